// Linear-chain folding (golden/linear_fold.h): the composition of two convolutions.
#include "golden/linear_fold.h"

#include <algorithm>
#include <map>

#include <fmt/core.h>

#include "golden/error.h"

namespace sdm {
namespace {

using Vec3 = std::array<int, 3>;

bool is_linear(OpKind k) { return k == OpKind::Conv || k == OpKind::Linear || k == OpKind::Add; }

// One linear map from a source tensor (a node that is not linear: the Input, a Clip, a
// pool, a Concat) into an expression's channels, written as a convolution over the source.
struct Term {
  int src = 0;  // node id in the original graph
  Shape in;     // the source's shape
  Vec3 kernel{1, 1, 1}, stride{1, 1, 1}, pad_lo{0, 0, 0};
  int co = 0;
  std::vector<double> w;  // [co][in.c][kt][kh][kw]
  long kvol() const { return long(kernel[0]) * kernel[1] * kernel[2]; }
  bool pointwise() const {
    return kvol() == 1 && stride == Vec3{1, 1, 1} && pad_lo == Vec3{0, 0, 0};
  }
};

// A pre-activation current: sum of terms plus a per-channel bias.
struct Expr {
  Shape out;
  std::vector<Term> terms;
  std::vector<double> bias;
};

Vec3 dims(const Shape& s) { return {s.f, s.h, s.w}; }

class Folder {
 public:
  explicit Folder(const Graph& g) : g_(g) {}

  // The current computed by linear node `id` as terms over its non-linear sources.
  const Expr& expr(int id) {
    auto it = memo_.find(id);
    if (it != memo_.end()) return it->second;
    const Node& n = g_.nodes[size_t(id)];
    Expr e;
    e.out = n.out;
    if (n.kind == OpKind::Add) {
      e.bias.assign(size_t(n.out.c), 0.0);
      for (int in : n.inputs) {
        const Expr part = operand(in);
        e.terms.insert(e.terms.end(), part.terms.begin(), part.terms.end());
        for (size_t c = 0; c < e.bias.size(); ++c) e.bias[c] += part.bias[c];
      }
    } else {
      const int in = n.inputs.at(0);
      e = is_linear(g_.nodes[size_t(in)].kind) ? compose(id, expr(in)) : single(id, in);
    }
    return memo_.emplace(id, std::move(e)).first->second;
  }

 private:
  // An Add operand: a linear node's current, or a tensor added as is (identity map).
  Expr operand(int id) {
    if (is_linear(g_.nodes[size_t(id)].kind)) return expr(id);
    const Shape& s = g_.nodes[size_t(id)].out;
    Expr e;
    e.out = s;
    e.bias.assign(size_t(s.c), 0.0);
    Term t;
    t.src = id;
    t.in = s;
    t.co = s.c;
    t.w.assign(size_t(s.c) * s.c, 0.0);
    for (int c = 0; c < s.c; ++c) t.w[size_t(c) * s.c + c] = 1.0;
    e.terms.push_back(std::move(t));
    return e;
  }

  // Conv / Linear node `id` reading tensor `in` directly: one term, its own weights.
  Expr single(int id, int in) const {
    const Node& n = g_.nodes[size_t(id)];
    Expr e;
    e.out = n.out;
    e.bias.assign(size_t(n.out.c), 0.0);
    for (size_t c = 0; c < n.bias.size() && c < e.bias.size(); ++c) e.bias[c] = n.bias[c];
    Term t;
    t.src = in;
    t.in = g_.nodes[size_t(in)].out;
    t.co = n.out.c;
    if (n.kind == OpKind::Linear) {
      t.kernel = dims(t.in);
    } else {
      t.kernel = n.kernel;
      t.stride = n.stride;
      t.pad_lo = n.pad_lo;
    }
    t.w.assign(n.weight.begin(), n.weight.end());
    e.terms.push_back(std::move(t));
    return e;
  }

  // Conv / Linear node `id` applied to the current `y`: every term composed with it.
  Expr compose(int id, const Expr& y) const {
    const Node& n2 = g_.nodes[size_t(id)];
    const bool linear2 = n2.kind == OpKind::Linear;
    const Vec3 k2 = linear2 ? dims(y.out) : n2.kernel;
    const Vec3 s2 = linear2 ? Vec3{1, 1, 1} : n2.stride;
    const Vec3 p2 = linear2 ? Vec3{0, 0, 0} : n2.pad_lo;
    const Vec3 p2hi = linear2 ? Vec3{0, 0, 0} : n2.pad_hi;
    const bool padded = p2 != Vec3{0, 0, 0} || p2hi != Vec3{0, 0, 0};
    const int c1 = y.out.c, co = n2.out.c;
    const long k2vol = long(k2[0]) * k2[1] * k2[2];
    const std::string& src_name = g_.nodes[size_t(g_.nodes[size_t(id)].inputs[0])].name;
    auto refuse = [&](const std::string& why) {
      throw Error(fmt::format("node '{}' ({}): reads the pre-activation current of '{}' with no "
                              "activation between them, and {}; integer mode needs a Clip "
                              "between them", n2.name, op_name(n2.kind), src_name, why));
    };

    Expr e;
    e.out = n2.out;
    e.bias.assign(size_t(co), 0.0);
    for (int o = 0; o < co && size_t(o) < n2.bias.size(); ++o) e.bias[size_t(o)] = n2.bias[size_t(o)];
    // Bias of y through n2: the same at every position only if no window reaches the padding.
    bool y_bias = false;
    for (double b : y.bias) y_bias = y_bias || b != 0.0;
    if (y_bias && padded)
      refuse(fmt::format("its padding would meet the bias of '{}' only inside the map (a "
                         "position-dependent correction)", src_name));
    for (int o = 0; o < co; ++o)
      for (int c = 0; c < c1; ++c) {
        double wsum = 0;
        for (long k = 0; k < k2vol; ++k) wsum += n2.weight[size_t((long(o) * c1 + c) * k2vol + k)];
        e.bias[size_t(o)] += wsum * y.bias[size_t(c)];
      }

    for (const Term& t : y.terms) {
      if (padded && !t.pointwise())
        refuse("it pads its input while the map before it is not pointwise (1x1x1, stride 1, "
               "no padding): zero padding does not commute with it");
      Term r;
      r.src = t.src;
      r.in = t.in;
      r.co = co;
      for (int d = 0; d < 3; ++d) {
        r.kernel[size_t(d)] = (k2[size_t(d)] - 1) * t.stride[size_t(d)] + t.kernel[size_t(d)];
        r.stride[size_t(d)] = t.stride[size_t(d)] * s2[size_t(d)];
        r.pad_lo[size_t(d)] = t.pad_lo[size_t(d)] + p2[size_t(d)] * t.stride[size_t(d)];
      }
      const int ci = t.in.c;
      const long kc = r.kvol();
      if (kc > (1L << 24) / std::max(1, ci) / std::max(1, co))
        refuse(fmt::format("the composed kernel ({}x{}x{}) is too large", r.kernel[0], r.kernel[1],
                           r.kernel[2]));
      r.w.assign(size_t(long(co) * ci * kc), 0.0);
      // w[o][i][k2*s1 + k1] += w2[o][c][k2] * w1[c][i][k1], per axis.
      for (int o = 0; o < co; ++o)
        for (int c = 0; c < c1; ++c)
          for (long a = 0; a < k2vol; ++a) {
            const double w2 = n2.weight[size_t((long(o) * c1 + c) * k2vol + a)];
            if (w2 == 0.0) continue;
            const int at = int(a / (long(k2[1]) * k2[2])), ah = int(a / k2[2] % k2[1]), aw = int(a % k2[2]);
            for (int i = 0; i < ci; ++i)
              for (int bt = 0; bt < t.kernel[0]; ++bt)
                for (int bh = 0; bh < t.kernel[1]; ++bh)
                  for (int bw = 0; bw < t.kernel[2]; ++bw) {
                    const double w1 = t.w[size_t(((long(c) * ci + i) * t.kernel[0] + bt) *
                                                     t.kernel[1] * t.kernel[2] +
                                                 long(bh) * t.kernel[2] + bw)];
                    const long kt = long(at) * t.stride[0] + bt, kh = long(ah) * t.stride[1] + bh,
                               kw = long(aw) * t.stride[2] + bw;
                    r.w[size_t(((long(o) * ci + i) * r.kernel[0] + kt) * r.kernel[1] * r.kernel[2] +
                               kh * r.kernel[2] + kw)] += w2 * w1;
                  }
          }
      e.terms.push_back(std::move(r));
    }
    return e;
  }

  const Graph& g_;
  std::map<int, Expr> memo_;
};

// The node computing term t of a folded layer (kind and output shape of the layer).
Node term_node(const Term& t, const Node& layer, int src_new) {
  Node n;
  n.kind = layer.kind;
  n.inputs = {src_new};
  n.out = layer.out;
  const int ci = t.in.c;
  const long kc = t.kvol();
  if (layer.kind == OpKind::Linear) {
    // One window starting at -pad_lo: tap k reads position k - pad_lo (padding taps read 0).
    const Vec3 d = dims(t.in);
    const long plane = t.in.plane();
    n.weight.assign(size_t(long(t.co) * ci * plane), 0.0f);
    for (int o = 0; o < t.co; ++o)
      for (int i = 0; i < ci; ++i)
        for (int f = 0; f < d[0]; ++f)
          for (int h = 0; h < d[1]; ++h)
            for (int w = 0; w < d[2]; ++w) {
              const int kt = f + t.pad_lo[0], kh = h + t.pad_lo[1], kw = w + t.pad_lo[2];
              if (kt >= t.kernel[0] || kh >= t.kernel[1] || kw >= t.kernel[2]) continue;
              n.weight[size_t((long(o) * ci + i) * plane + (long(f) * d[1] + h) * d[2] + w)] =
                  float(t.w[size_t((long(o) * ci + i) * kc +
                                   (long(kt) * t.kernel[1] + kh) * t.kernel[2] + kw)]);
            }
  } else {
    n.kernel = t.kernel;
    n.stride = t.stride;
    n.pad_lo = t.pad_lo;
    const Vec3 in = dims(t.in), out = dims(layer.out);
    for (int d = 0; d < 3; ++d) {
      // The smallest high padding that gives the layer's output size.
      n.pad_hi[size_t(d)] = std::max(0, (out[size_t(d)] - 1) * t.stride[size_t(d)] +
                                            t.kernel[size_t(d)] - in[size_t(d)] - t.pad_lo[size_t(d)]);
      if (window_out(in[size_t(d)], t.kernel[size_t(d)], t.stride[size_t(d)], t.pad_lo[size_t(d)],
                     n.pad_hi[size_t(d)]) != out[size_t(d)])
        throw Error(fmt::format("node '{}': folded convolution has the wrong output size on axis {}",
                                layer.name, d));
    }
    n.weight.assign(t.w.begin(), t.w.end());
  }
  n.bias.assign(size_t(layer.out.c), 0.0f);
  return n;
}

}  // namespace

Graph fold_linear_chains(const Graph& g) {
  std::vector<bool> fold(g.nodes.size(), false);
  bool any = false;
  for (size_t i = 0; i < g.nodes.size(); ++i) {
    const Node& n = g.nodes[i];
    if ((n.kind == OpKind::Conv || n.kind == OpKind::Linear) && !n.inputs.empty() &&
        is_linear(g.nodes[size_t(n.inputs[0])].kind))
      fold[i] = any = true;
  }
  if (!any) return g;

  Folder folder(g);
  Graph r = g;
  r.nodes.clear();
  std::vector<int> map(g.nodes.size(), -1);
  for (size_t i = 0; i < g.nodes.size(); ++i) {
    const Node& n = g.nodes[i];
    if (!fold[i]) {
      Node c = n;
      for (int& in : c.inputs) in = map[size_t(in)];
      r.nodes.push_back(std::move(c));
      map[i] = int(r.nodes.size()) - 1;
      continue;
    }
    Expr e = folder.expr(int(i));
    // Terms over one source with one geometry are one convolution (e.g. a residual Add
    // folded into the next conv): sum their weights.
    std::vector<Term> merged;
    for (Term& t : e.terms) {
      auto same = std::find_if(merged.begin(), merged.end(), [&](const Term& m) {
        return m.src == t.src && m.kernel == t.kernel && m.stride == t.stride && m.pad_lo == t.pad_lo;
      });
      if (same == merged.end()) {
        merged.push_back(std::move(t));
      } else {
        for (size_t j = 0; j < t.w.size(); ++j) same->w[j] += t.w[j];
      }
    }
    e.terms = std::move(merged);
    const size_t k = e.terms.size();
    int sum = -1;
    for (size_t t = 0; t < k; ++t) {
      Node c = term_node(e.terms[t], n, map[size_t(e.terms[t].src)]);
      c.name = k == 1 ? n.name : fmt::format("{}/fold{}", n.name, t);
      if (t == 0)
        for (size_t o = 0; o < c.bias.size(); ++o) c.bias[o] = float(e.bias[o]);
      r.nodes.push_back(std::move(c));
      const int id = int(r.nodes.size()) - 1;
      if (sum < 0) {
        sum = id;
        continue;
      }
      Node a;
      a.kind = OpKind::Add;
      a.name = t + 1 == k ? n.name : fmt::format("{}/sum{}", n.name, t);
      a.inputs = {sum, id};
      a.out = n.out;
      r.nodes.push_back(std::move(a));
      sum = int(r.nodes.size()) - 1;
    }
    map[i] = sum;
  }
  r.output = map[size_t(g.output)];

  // Drop what no longer reaches the output (the folded-away first layers).
  std::vector<bool> live(r.nodes.size(), false);
  live[0] = true;
  live[size_t(r.output)] = true;
  for (size_t i = r.nodes.size(); i-- > 0;)
    if (live[i])
      for (int in : r.nodes[i].inputs) live[size_t(in)] = true;
  std::vector<int> keep(r.nodes.size(), -1);
  std::vector<Node> nodes;
  for (size_t i = 0; i < r.nodes.size(); ++i) {
    if (!live[i]) continue;
    Node c = std::move(r.nodes[i]);
    for (int& in : c.inputs) in = keep[size_t(in)];
    nodes.push_back(std::move(c));
    keep[i] = int(nodes.size()) - 1;
  }
  r.output = keep[size_t(r.output)];
  r.nodes = std::move(nodes);
  return r;
}

}  // namespace sdm
