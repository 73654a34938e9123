// Float graph -> integer network (docs/number-format.md). The only place where values are
// rounded: weights, biases and identity scales, once, at conversion.
#include <algorithm>
#include <cmath>
#include <climits>
#include <map>

#include <fmt/core.h>

#include "golden/error.h"
#include "golden/hw_widths.h"
#include "golden/linear_fold.h"
#include "golden/qnet.h"

namespace sdm {
namespace {

// Signed width holding [-m, m] (two's complement), at least 2.
int signed_bits_for(int64_t m) {
  int b = 1;
  while (b < 63 && ((int64_t{1} << (b - 1)) - 1) < m) ++b;
  return std::max(b, 2);
}

// Round half away from zero: the one rounding rule of the number format.
int64_t round_int(double x) { return int64_t(std::llround(x)); }

// A run of channels of one QTensor: an IR value is a list of them (Concat makes several).
struct Segment {
  int tensor;
  int channels;
};

// A float contribution to an accumulator not yet bound to its unit.
struct FTerm {
  QTerm::Kind kind;
  int src;                  // QTensor id
  const Node* conv = nullptr;  // Conv / Linear node (float weights)
  int ci_begin = 0;         // first input channel of the conv's weight this segment covers
  int out_offset = 0;       // identity: output channel offset
};

struct Value {
  enum Kind { View, Current } kind = View;
  std::vector<Segment> segs;  // View
  std::vector<FTerm> terms;   // Current
  std::vector<double> bias;   // Current, per output channel
  Shape shape;
};

class Quantizer {
 public:
  Quantizer(const Graph& g, const Config& cfg) : g_(g), cfg_(cfg) { q_.cfg = cfg; }

  QNet run() {
    vals_.resize(g_.nodes.size());
    for (size_t id = 0; id < g_.nodes.size(); ++id) visit(int(id));
    const Value& out = vals_[g_.output];
    if (out.kind != Value::Current)
      throw Error(fmt::format("node '{}': the output must be a Linear layer",
                              g_.nodes[g_.output].name));
    return std::move(q_);
  }

 private:
  [[noreturn]] void fail(int id, const std::string& why) const {
    const Node& n = g_.nodes[id];
    throw Error(fmt::format("node '{}' ({}): {}", n.name, op_name(n.kind), why));
  }

  const Value& view_of(int id, int user) const {
    const Value& v = vals_[id];
    if (v.kind != Value::View)
      fail(user, "integer mode needs spikes or pixels here, not a pre-activation current "
                 "(pooling/concat must come after a Clip)");
    return v;
  }

  // A View used as a current: identity terms, one per segment.
  Value as_current(int id, int user) const {
    const Value& v = vals_[id];
    if (v.kind == Value::Current) return v;
    Value c;
    c.kind = Value::Current;
    c.shape = v.shape;
    c.bias.assign(size_t(v.shape.c), 0.0);
    int off = 0;
    for (const Segment& s : v.segs) {
      FTerm t;
      t.kind = QTerm::Identity;
      t.src = s.tensor;
      t.out_offset = off;
      off += s.channels;
      c.terms.push_back(t);
    }
    (void)user;
    return c;
  }

  Value conv_current(int id, const Node& n) const {
    const Value& in = view_of(n.inputs[0], id);
    Value c;
    c.kind = Value::Current;
    c.shape = n.out;
    c.bias.assign(n.bias.begin(), n.bias.end());
    int ci = 0;
    for (const Segment& s : in.segs) {
      FTerm t;
      t.kind = QTerm::Conv;
      t.src = s.tensor;
      t.conv = &n;
      t.ci_begin = ci;
      ci += s.channels;
      c.terms.push_back(t);
    }
    return c;
  }

  void visit(int id) {
    const Node& n = g_.nodes[id];
    Value& v = vals_[id];
    v.shape = n.out;
    switch (n.kind) {
      case OpKind::Input: {
        if (g_.input_bias != 0.0f)
          fail(id, fmt::format("integer mode needs a zero input offset (model declares {})",
                               g_.input_bias));
        QTensor t;
        t.name = n.name;
        t.shape = n.out;
        t.per_step = false;
        t.lo = 0;
        t.hi = 255;
        t.unit.assign(size_t(n.out.c), double(g_.input_scale));
        q_.tensors.push_back(t);
        v.segs = {{0, n.out.c}};
        break;
      }
      case OpKind::Conv:
      case OpKind::Linear:
        v = conv_current(id, n);
        break;
      case OpKind::Add: {
        Value a = as_current(n.inputs[0], id), b = as_current(n.inputs[1], id);
        v = a;
        v.terms.insert(v.terms.end(), b.terms.begin(), b.terms.end());
        for (size_t i = 0; i < v.bias.size(); ++i) v.bias[i] += b.bias[i];
        break;
      }
      case OpKind::Concat: {
        v.kind = Value::View;
        for (int in : n.inputs) {
          const Value& s = view_of(in, id);
          v.segs.insert(v.segs.end(), s.segs.begin(), s.segs.end());
        }
        break;
      }
      case OpKind::AvgPool:
      case OpKind::GlobalAvgPool: {
        if (!n.uniform_divisor())
          fail(id, "integer mode folds pooling into the next layer as a sum over the full "
                   "window; windows with their own divisor (count_include_pad=0 on a padded "
                   "border, ceil_mode) have no integer form");
        const Value& in = view_of(n.inputs[0], id);
        v.kind = Value::View;
        for (const Segment& s : in.segs) v.segs.push_back({add_sumpool(id, s.tensor), s.channels});
        break;
      }
      case OpKind::Clip: {
        Value c = as_current(n.inputs[0], id);
        v.kind = Value::View;
        v.segs = {{add_accumulator(id, c, false), n.out.c}};
        break;
      }
    }
    if (id == g_.output) {
      if (v.kind != Value::Current) fail(id, "the output must be a Linear layer");
      add_accumulator(id, v, true);
    }
  }

  // A rounded multiplier as stored (int32), never wrapped: out of range fails naming it.
  int32_t narrow(int id, double m, const char* what) const {
    const double r = std::round(m);
    if (!(std::fabs(r) <= double(INT32_MAX)))
      fail(id, fmt::format("{} {:.6g} does not fit 32 bits", what, m));
    return int32_t(round_int(m));
  }

  int add_sumpool(int id, int src) {
    const Node& n = g_.nodes[id];
    const QTensor& s = q_.tensors[src];
    QStage st;
    st.kind = QStage::SumPool;
    st.name = n.name;
    st.src = src;
    if (n.kind == OpKind::GlobalAvgPool) {
      st.kernel = {s.shape.f, s.shape.h, s.shape.w};
    } else {
      st.kernel = n.kernel;
      st.stride = n.stride;
      st.pad_lo = n.pad_lo;
      st.pad_hi = n.pad_hi;
    }
    const int K = st.kernel[0] * st.kernel[1] * st.kernel[2];
    QTensor t;
    t.name = n.name;
    t.shape = Shape{s.shape.c, window_out(s.shape.f, st.kernel[0], st.stride[0], st.pad_lo[0], st.pad_hi[0]),
                    window_out(s.shape.h, st.kernel[1], st.stride[1], st.pad_lo[1], st.pad_hi[1]),
                    window_out(s.shape.w, st.kernel[2], st.stride[2], st.pad_lo[2], st.pad_hi[2])};
    t.per_step = s.per_step;
    t.lo = s.lo * K;
    t.hi = s.hi * K;
    for (double u : s.unit) t.unit.push_back(u / K);
    q_.tensors.push_back(t);
    st.out = int(q_.tensors.size()) - 1;
    q_.stages.push_back(st);
    return st.out;
  }

  // Real multiplier of each weight of a float term: weight * source unit / target scale.
  // Calls f(real multiplier) for every weight; used to size F and then to round.
  template <class F>
  void for_each_multiplier(const FTerm& t, double scale, F&& f) const {
    const QTensor& src = q_.tensors[t.src];
    if (t.kind == QTerm::Identity) {
      for (int c = 0; c < src.shape.c; ++c) f(src.unit[c] / scale);
      return;
    }
    const Node& n = *t.conv;
    const long per_ci = n.kind == OpKind::Linear ? src.shape.plane()
                                                 : long(n.kernel[0]) * n.kernel[1] * n.kernel[2];
    const long row = long(n.weight.size()) / n.out.c;
    for (int co = 0; co < n.out.c; ++co)
      for (int ci = 0; ci < src.shape.c; ++ci)
        for (long k = 0; k < per_ci; ++k)
          f(double(n.weight[co * row + (t.ci_begin + ci) * per_ci + k]) * src.unit[ci] / scale);
  }

  int add_accumulator(int id, const Value& c, bool readout) {
    const Node& n = g_.nodes[id];
    const NeuronSpec& ns = cfg_.neuron;
    // Readout: no neuron; its "threshold" is 1 so that acc = real * 2^F.
    const double theta = readout ? 1.0 : double(n.lambda) * ns.theta_scale();
    const int64_t wmax = (int64_t{1} << (cfg_.weight_bits - 1)) - 1;
    const int64_t bmax = (int64_t{1} << (cfg_.bias_bits - 1)) - 1;
    double max_mult = 0, max_bias = 0;
    for (const FTerm& t : c.terms)
      for_each_multiplier(t, theta, [&](double m) { max_mult = std::max(max_mult, std::fabs(m)); });
    for (double b : c.bias) max_bias = std::max(max_bias, std::fabs(b / theta));
    // Largest F (finest threshold) at which every weight and bias still fits its width.
    // The readout has no threshold, so its F may go below 0 (coarser logits, same argmax)
    // rather than stop at 2^0 with weights wider than the ROM (check_stored_widths).
    const int kFmax = 24, Fmin = readout ? -kFmax : 0;
    int F = kFmax;
    while (F > Fmin && (max_mult * std::ldexp(1.0, F) > wmax + 0.5 - 1e-9 ||
                     max_bias * std::ldexp(1.0, F) > bmax + 0.5 - 1e-9))
      --F;
    if (!readout && F < 1)
      fail(id, fmt::format("weights too large for {}-bit integers at a threshold of 2^1 "
                           "(largest weight/threshold ratio {:.3g})", cfg_.weight_bits, max_mult));
    const double scale = theta / std::ldexp(1.0, F);  // real value of one accumulator unit

    QStage st;
    st.kind = readout ? QStage::Readout : QStage::Neuron;
    st.name = n.name;
    st.F = F;
    st.theta = theta;
    for (double b : c.bias) {
      if (!(std::fabs(b / scale) < 0x1p62)) fail(id, fmt::format("bias {:.6g} does not fit 64 bits", b / scale));
      st.bias.push_back(round_int(b / scale));
    }
    bool all_static = true;
    for (const FTerm& t : c.terms) {
      QTerm q;
      q.kind = t.kind;
      q.src = t.src;
      all_static = all_static && !q_.tensors[t.src].per_step;
      if (t.kind == QTerm::Identity) {
        q.out_offset = t.out_offset;
        for_each_multiplier(t, scale, [&](double m) { q.scale.push_back(narrow(id, m, "identity scale")); });
      } else {
        const Node& cn = *t.conv;
        if (cn.kind == OpKind::Linear) {
          const Shape& s = q_.tensors[t.src].shape;
          q.kernel = {s.f, s.h, s.w};
        } else {
          q.kernel = cn.kernel;
          q.stride = cn.stride;
          q.pad_lo = cn.pad_lo;
          q.pad_hi = cn.pad_hi;
        }
        for_each_multiplier(t, scale, [&](double m) { q.weight.push_back(narrow(id, m, "weight")); });
      }
      st.terms.push_back(std::move(q));
    }
    st.static_input = all_static;

    QTensor out;
    out.name = n.name;
    out.shape = readout ? Shape{n.out.c, 1, 1, 1} : n.out;
    out.per_step = true;
    q_.stages.push_back(st);
    QStage& s = q_.stages.back();
    const int64_t bound = current_bound(q_, s);
    s.acc_bits = signed_bits_for(bound);
    if (readout) {
      out.lo = -bound * cfg_.T;
      out.hi = bound * cfg_.T;
      out.unit.assign(size_t(n.out.c), scale);
    } else {
      IntRule r;
      r.F = F;
      r.beta = ns.max_burst();
      r.dual = ns.method == Method::SDM && ns.dual;
      r.init_half = ns.init_half();
      r.pbits = 0;
      const int64_t vmax = r.v0() + int64_t(cfg_.T) * bound;
      r.pbits = cfg_.pot_bits ? cfg_.pot_bits : std::max(signed_bits_for(vmax), F + 2);
      if (r.pbits < F + 2)
        fail(id, fmt::format("potential width {} cannot hold the threshold 2^{} (needs >= {})",
                             r.pbits, F, F + 2));
      if (r.pbits > 48) fail(id, fmt::format("potential width {} exceeds 48 bits", r.pbits));
      s.rule = r;
      out.lo = r.dual ? -1 : 0;
      out.hi = r.beta;
      out.unit.assign(size_t(n.out.c), theta);
    }
    if (s.acc_bits > 40) fail(id, fmt::format("accumulator width {} exceeds 40 bits", s.acc_bits));
    q_.tensors.push_back(out);
    s.out = int(q_.tensors.size()) - 1;
    return s.out;
  }

  const Graph& g_;
  const Config& cfg_;
  QNet q_;
  std::vector<Value> vals_;
};

}  // namespace

int QTensor::bits() const {
  if (lo >= 0) {
    int b = 1;
    while (b < 63 && ((int64_t{1} << b) - 1) < hi) ++b;
    return b;
  }
  return signed_bits_for(std::max(-lo - 1, hi));
}

long QTerm::connections(const Shape& out) const {
  if (kind == Identity) return long(scale.size()) * out.plane();
  return long(weight.size()) * out.plane();
}

int64_t current_bound(const QNet& q, const QStage& s) {
  const int co = q.tensors.empty() ? 0 : int(s.bias.size());
  std::vector<int64_t> per(size_t(co), 0);
  for (int o = 0; o < co; ++o) per[o] = std::llabs(s.bias[o]);
  for (const QTerm& t : s.terms) {
    const QTensor& src = q.tensors[t.src];
    const int64_t xmax = std::max(std::llabs(src.lo), std::llabs(src.hi));
    if (t.kind == QTerm::Identity) {
      for (size_t c = 0; c < t.scale.size(); ++c)
        per[c + size_t(t.out_offset)] += std::llabs(t.scale[c]) * xmax;
    } else {
      const long row = long(t.weight.size()) / co;
      for (int o = 0; o < co; ++o) {
        int64_t sum = 0;
        for (long k = 0; k < row; ++k) sum += std::llabs(t.weight[o * row + k]);
        per[o] += sum * xmax;
      }
    }
  }
  int64_t m = 0;
  for (auto v : per) m = std::max(m, v);
  return m;
}

QNet quantize(const Graph& graph, const Config& cfg) {
  cfg.validate();
  if (!cfg.neuron.has_integer_mode())
    throw Error(fmt::format("method '{}' has no integer mode (float only; the hardware "
                            "implements sdm, opt, burst and if)", method_name(cfg.neuron.method)));
  graph.check_convertible();
  // A linear layer reading another's current becomes one linear map of that current's
  // sources (golden/linear_fold.h): integer mode has no tensor form for a current.
  const Graph g = fold_linear_chains(graph);
  QNet q = Quantizer(g, cfg).run();
  check_stored_widths(q);  // the golden model holds exactly what the ROMs will hold
  return q;
}

}  // namespace sdm
