#include "golden/snn_float.h"

#include <algorithm>

namespace sdm {

FloatSnn::FloatSnn(const Graph& g, const NeuronSpec& spec, int T, bool dense) : g_(g), dense_(dense) {
  g.check_convertible();
  clip_nodes_ = g.clip_nodes();
  layer_of_.assign(g.nodes.size(), -1);
  static_.assign(g.nodes.size(), 0);
  for (size_t id = 0; id < g.nodes.size(); ++id) {
    const Node& n = g.nodes[id];
    if (n.kind == OpKind::Input) {
      static_[id] = 1;
    } else if (n.kind != OpKind::Clip) {
      bool s = true;
      for (int in : n.inputs) s = s && static_[in];
      static_[id] = s;
    }
  }
  for (size_t l = 0; l < clip_nodes_.size(); ++l) {
    const Node& n = g.nodes[clip_nodes_[l]];
    layer_of_[clip_nodes_[l]] = int(l);
    Layer L;
    L.rule = FloatRule::make(spec, n.lambda, T);
    layers_.push_back(std::move(L));
  }
  vals_.resize(g.nodes.size());
  // Scatter plans for every per-step Conv / Linear.
  plan_of_.assign(g.nodes.size(), -1);
  size_t acc_size = 0;
  for (size_t id = 1; id < g.nodes.size() && !dense_; ++id) {
    const Node& n = g.nodes[id];
    if (static_[id] || (n.kind != OpKind::Conv && n.kind != OpKind::Linear)) continue;
    const Shape& is = g.nodes[n.inputs.at(0)].out;
    Shape os = n.out;
    std::array<int, 3> k = n.kernel, st = n.stride, pad = n.pad_lo;
    if (n.kind == OpKind::Linear) {  // a conv whose kernel covers the whole input
      os = Shape{n.out.c, 1, 1, 1};
      k = {is.f, is.h, is.w};
      st = {1, 1, 1};
      pad = {0, 0, 0};
    }
    ScatterPlan p = ScatterPlan::make(is, os, k, st, pad);
    p.set_float_weights(n.weight);
    plan_of_[id] = int(plans_.size());
    plans_.push_back(std::move(p));
    acc_size = std::max(acc_size, size_t(os.size()));
  }
  acc_.assign(acc_size, 0.0f);
}

// out = W * x + bias over the nonzero values of x only (channels-last accumulation).
void FloatSnn::scatter_forward(int id, const ScatterPlan& p) {
  const Node& n = g_.nodes[id];
  const float* x = vals_[n.inputs[0]].data();
  const int co = p.co;
  const long P = n.out.size() / co;
  float* acc = acc_.data();
  std::fill(acc, acc + P * co, 0.0f);
  events_ += scatter_add(p, x, acc);
  auto& out = vals_[id];
  out.resize(size_t(n.out.size()));
  for (int o = 0; o < co; ++o) {
    float* dst = out.data() + o * P;
    const float b = n.bias[size_t(o)];
    for (long pos = 0; pos < P; ++pos) dst[pos] = acc[pos * co + o] + b;
  }
}

void FloatSnn::run(const unsigned char* pixels, int Tmax, const std::function<void(int)>& on_step) {
  const Graph& g = g_;
  const long n_in = g.input().out.size();
  vals_[0].resize(size_t(n_in));
  for (long i = 0; i < n_in; ++i) vals_[0][i] = float(pixels[i]) * g.input_scale + g.input_bias;
  for (size_t id = 1; id < g.nodes.size(); ++id)
    if (static_[id]) linear_node_forward(g, int(id), vals_, vals_[id], scratch_);
  for (auto& L : layers_) {
    const long size = g.nodes[clip_nodes_[&L - layers_.data()]].out.size();
    L.state.assign(size_t(size), L.rule.init());
    L.out_sum.assign(size_t(size), 0.0);
    L.abs_count = L.pos_count = L.neg_count = 0;
  }
  logit_sum_.assign(size_t(g.num_classes()), 0.0);
  events_ = 0;
  for (int t = 1; t <= Tmax; ++t) {
    for (size_t id = 1; id < g.nodes.size(); ++id) {
      if (static_[id]) continue;
      const Node& n = g.nodes[id];
      if (n.kind == OpKind::Clip) {
        Layer& L = layers_[layer_of_[id]];
        const auto& I = vals_[n.inputs[0]];
        auto& out = vals_[id];
        out.resize(I.size());
        // Local copies: the state / sum stores (double) could otherwise alias the rule's
        // double fields and force reloads every element.
        const FloatRule rule = L.rule;
        const double th = rule.theta;
        FloatNeuron* st = L.state.data();
        double* sum = L.out_sum.data();
        const float* cur = I.data();
        float* o = out.data();
        long long pos = 0, neg = 0;
        for (size_t i = 0, N = I.size(); i < N; ++i) {
          const int s = rule.step(st[i], cur[i]);
          if (s == 0) {
            o[i] = 0.0f;
            continue;
          }
          o[i] = float(s * th);
          sum[i] += s * th;
          if (s > 0) pos += s;
          else neg -= s;
        }
        L.pos_count += pos;
        L.neg_count += neg;
        L.abs_count += pos + neg;
      } else if (plan_of_[id] >= 0) {
        scatter_forward(int(id), plans_[size_t(plan_of_[id])]);
      } else {
        linear_node_forward(g, int(id), vals_, vals_[id], scratch_);
      }
    }
    const auto& o = vals_[g.output];
    for (size_t k = 0; k < logit_sum_.size(); ++k) logit_sum_[k] += o[k];
    if (on_step) on_step(t);
  }
}

}  // namespace sdm
