// Performance paths of the golden model are semantics-preserving (docs/performance.md):
//  - IntSnn (tap tables, int32 channels-last accumulators, weight-multiple tables,
//    separable window sums) equals the straightforward reference scatter
//    (bench/reference_snn.h) bit for bit: every tensor and current at every step, logits,
//    saturation / spike / event counters; on the default model, the ONNX fixtures when
//    present and random graphs (strides, padding, overlapping pools, concat, residual,
//    2D, narrow and wide accumulators, every integer method).
//  - FloatSnn's sparse scatter equals the dense Eigen path up to float summation order:
//    identical predictions at every T, potentials within 1e-4 relative.
#include <cmath>
#include <fstream>
#include <limits>
#include <random>

#include <gtest/gtest.h>

#include "bench/reference_snn.h"
#include "data/synth.h"
#include "golden/onnx_import.h"
#include "golden/ops.h"
#include "golden/qnet.h"
#include "golden/snn_float.h"
#include "golden/snn_int.h"

using namespace sdm;

namespace {

std::string default_onnx() { return std::string(SDM_SOURCE_DIR) + "/models/default/model.onnx"; }

bool exists(const std::string& p) { return std::ifstream(p).good(); }

// Synthetic action clips (realistic spike statistics) for a 1x8x16x16 model.
std::vector<uint8_t> action_clips(int n, uint64_t seed) {
  synth::Options o;
  o.size = 16;
  o.frames = 8;
  o.seed = seed;
  return synth::generate_split(o, "test", n).clips;
}

std::vector<uint8_t> random_clips(const Shape& s, int n, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<uint8_t> v(size_t(s.size() * n));
  for (auto& p : v) p = uint8_t(rng() & 0xff);
  return v;
}

// --- random graphs -------------------------------------------------------------------

struct GraphBuilder {
  Graph g;
  std::mt19937_64 rng;
  explicit GraphBuilder(uint64_t seed) : rng(seed) {}
  int uni(int lo, int hi) { return lo + int(rng() % uint64_t(hi - lo + 1)); }
  double unif() { return double(rng() >> 11) / double(1ULL << 53); }

  int add(Node n) {
    if (n.name.empty()) n.name = "n" + std::to_string(g.nodes.size());
    g.nodes.push_back(std::move(n));
    return int(g.nodes.size()) - 1;
  }
  int input(Shape s) {
    Node n;
    n.kind = OpKind::Input;
    n.out = s;
    return add(n);
  }
  const Shape& shape(int id) const { return g.nodes[id].out; }
  // Random geometry that keeps every output dimension >= 1.
  void geometry(Node& n, const Shape& is, bool twod, int kmax) {
    const int in[3] = {is.f, is.h, is.w};
    for (int a = 0; a < 3; ++a) {
      const int k = (twod && a == 0) ? 1 : uni(1, std::min(kmax, in[a] + 1));
      n.kernel[a] = k;
      n.stride[a] = uni(1, 2);
      n.pad_lo[a] = uni(0, k - 1);
      n.pad_hi[a] = uni(0, k - 1);
      while (in[a] + n.pad_lo[a] + n.pad_hi[a] < k) ++n.pad_hi[a];
    }
  }
  int conv(int src, int co, bool twod, double wscale = 1.0) {
    Node n;
    n.kind = OpKind::Conv;
    n.inputs = {src};
    const Shape& is = shape(src);
    geometry(n, is, twod, 3);
    n.out = Shape{co, window_out(is.f, n.kernel[0], n.stride[0], n.pad_lo[0], n.pad_hi[0]),
                  window_out(is.h, n.kernel[1], n.stride[1], n.pad_lo[1], n.pad_hi[1]),
                  window_out(is.w, n.kernel[2], n.stride[2], n.pad_lo[2], n.pad_hi[2])};
    fill(n, is.c * n.kernel[0] * n.kernel[1] * n.kernel[2], co, wscale);
    return add(n);
  }
  // A conv of same-shape output (stride 1, "same" padding) for residual adds.
  int conv_same(int src, bool twod) {
    Node n;
    n.kind = OpKind::Conv;
    n.inputs = {src};
    const Shape& is = shape(src);
    n.kernel = {twod ? 1 : 3, 3, 3};
    n.pad_lo = n.pad_hi = {twod ? 0 : 1, 1, 1};
    n.out = is;
    fill(n, is.c * n.kernel[0] * 9, is.c, 1.0);
    return add(n);
  }
  void fill(Node& n, long fan_in, int co, double wscale) {
    std::normal_distribution<double> nd(0.0, wscale * 2.0 / std::sqrt(double(fan_in)));
    n.weight.resize(size_t(fan_in * co));
    for (auto& w : n.weight) w = float(nd(rng));
    n.bias.resize(size_t(co));
    for (auto& b : n.bias) b = float(0.2 * (unif() - 0.3));
  }
  int clip(int src) {
    Node n;
    n.kind = OpKind::Clip;
    n.inputs = {src};
    n.out = shape(src);
    n.lambda = float(0.5 + 1.5 * unif());
    return add(n);
  }
  int pool(int src, bool twod) {
    Node n;
    n.kind = OpKind::AvgPool;
    n.inputs = {src};
    const Shape& is = shape(src);
    geometry(n, is, twod, 3);
    n.out = Shape{is.c, window_out(is.f, n.kernel[0], n.stride[0], n.pad_lo[0], n.pad_hi[0]),
                  window_out(is.h, n.kernel[1], n.stride[1], n.pad_lo[1], n.pad_hi[1]),
                  window_out(is.w, n.kernel[2], n.stride[2], n.pad_lo[2], n.pad_hi[2])};
    return add(n);
  }
  int binop(OpKind k, int a, int b) {
    Node n;
    n.kind = k;
    n.inputs = {a, b};
    n.out = shape(a);
    if (k == OpKind::Concat) n.out.c += shape(b).c;
    return add(n);
  }
  int gap(int src) {
    Node n;
    n.kind = OpKind::GlobalAvgPool;
    n.inputs = {src};
    n.out = Shape{shape(src).c, 1, 1, 1};
    return add(n);
  }
  int linear(int src, int classes, bool flatten) {
    if (!flatten) src = gap(src);
    Node n;
    n.kind = OpKind::Linear;
    n.inputs = {src};
    n.out = Shape{classes, 1, 1, 1};
    fill(n, shape(src).size(), classes, 1.0);
    return add(n);
  }
};

// Input -> [pool] -> conv/clip -> residual block -> overlapping pool -> two paths + concat
// -> strided conv/clip -> GAP or flatten -> Linear. `wide`: 32 input channels with a
// 3x3x3 first kernel (96 for 2D) so 16-bit weights overflow int32 accumulators.
Graph random_graph(uint64_t seed, bool twod, bool wide = false) {
  GraphBuilder b(seed);
  const int c0 = wide ? (twod ? 96 : 32) : b.uni(1, 3);
  const Shape in = twod ? Shape{c0, 1, b.uni(5, 10), b.uni(5, 10)}
                        : Shape{c0, b.uni(3, 7), b.uni(5, 9), b.uni(5, 9)};
  int x = b.input(in);
  if (!wide && b.uni(0, 3) == 0) x = b.pool(x, twod);  // pixels pooled: a static SumPool
  int c = b.uni(2, 6);
  if (wide) {
    Node n;
    n.kind = OpKind::Conv;
    n.inputs = {x};
    n.kernel = {twod ? 1 : 3, 3, 3};
    n.pad_lo = n.pad_hi = {twod ? 0 : 1, 1, 1};
    n.out = Shape{c, in.f, in.h, in.w};
    b.fill(n, c0 * n.kernel[0] * 9, c, 1.0);
    // Equal magnitudes: every weight rounds near the 16-bit maximum.
    for (auto& w : n.weight) w = w < 0 ? -1.0f : 1.0f;
    x = b.clip(b.add(n));
  } else {
    x = b.clip(b.conv(x, c, twod, 3.0));
  }
  if (b.uni(0, 1)) x = b.clip(b.binop(OpKind::Add, b.conv_same(b.clip(b.conv_same(x, twod)), twod), x));
  x = b.pool(x, twod);
  if (b.uni(0, 1)) {
    int p1 = b.clip(b.conv_same(x, twod));
    x = b.binop(OpKind::Concat, x, p1);
  }
  x = b.clip(b.conv(x, b.uni(2, 8), twod));
  b.g.output = b.linear(x, b.uni(2, 6), b.uni(0, 1));
  b.g.validate();
  return b.g;
}

// --- comparisons ---------------------------------------------------------------------

// Runs the optimized and the reference integer model on `n` clips; every tensor, every
// current, every counter at every step must be equal. Returns events seen.
long long expect_int_identical(const QNet& q, const uint8_t* clips, long clip_size, int n,
                               const std::string& what) {
  IntSnn fast(q);
  ref::RefIntSnn slow(q);
  long long ev = 0;
  for (int i = 0; i < n; ++i) {
    const uint8_t* px = clips + long(i) * clip_size;
    std::vector<std::vector<std::vector<int32_t>>> tens;
    std::vector<std::vector<std::vector<int64_t>>> cur;
    std::vector<long long> evs;
    slow.run(px, [&](int) {
      tens.emplace_back();
      cur.emplace_back();
      for (size_t t = 0; t < q.tensors.size(); ++t) tens.back().push_back(slow.tensor(int(t)));
      for (size_t s = 0; s < q.stages.size(); ++s)
        cur.back().push_back(q.stages[s].kind == QStage::SumPool ? std::vector<int64_t>{}
                                                                 : slow.current(int(s)));
      evs.push_back(slow.events());
    });
    int step = 0;
    bool ok = true;
    fast.run(px, [&](int t) {
      if (!ok) return;
      for (size_t k = 0; k < q.tensors.size() && ok; ++k) {
        ok = fast.tensor(int(k)) == tens[size_t(step)][k];
        EXPECT_TRUE(ok) << what << " clip " << i << " step " << t << " tensor " << q.tensors[k].name;
      }
      for (size_t s = 0; s < q.stages.size() && ok; ++s) {
        if (q.stages[s].kind == QStage::SumPool) continue;
        ok = fast.current(int(s)) == cur[size_t(step)][s];
        EXPECT_TRUE(ok) << what << " clip " << i << " step " << t << " current " << q.stages[s].name;
      }
      EXPECT_EQ(fast.events(), evs[size_t(step)]) << what << " clip " << i << " step " << t;
      ++step;
    });
    if (!ok) return ev;
    EXPECT_EQ(step, int(tens.size()));
    EXPECT_EQ(fast.logit_acc(), slow.logit_acc()) << what << " clip " << i;
    EXPECT_EQ(fast.predicted_class(), slow.predicted_class());
    for (size_t s = 0; s < q.stages.size(); ++s) {
      EXPECT_EQ(fast.saturations(int(s)), slow.saturations(int(s))) << what;
      EXPECT_EQ(fast.spike_abs(int(s)), slow.spike_abs(int(s))) << what;
      EXPECT_EQ(fast.spike_neg(int(s)), slow.spike_neg(int(s))) << what;
    }
    ev += fast.events();
  }
  return ev;
}

std::vector<Config> int_configs() {
  std::vector<Config> v;
  auto add = [&](Method m, double a, int b, bool dual, int wb, int T) {
    Config c;
    c.neuron.method = m;
    c.neuron.alpha = a;
    c.neuron.beta = b;
    c.neuron.dual = dual;
    c.weight_bits = wb;
    c.T = T;
    v.push_back(c);
  };
  add(Method::SDM, 0.2, 5, true, 8, 4);
  add(Method::SDM, 0.5, 2, true, 12, 6);
  add(Method::SDM, 0.2, 5, false, 4, 3);
  add(Method::OPT, 1, 1, true, 8, 5);
  add(Method::BURST, 1, 3, true, 8, 4);
  add(Method::IF, 1, 1, true, 16, 4);
  return v;
}

}  // namespace

TEST(PerfInt, BitIdenticalOnDefaultModel) {
  Graph g = import_onnx(default_onnx());
  const long cs = g.input().out.size();
  std::vector<uint8_t> clips = action_clips(6, 11);
  std::vector<uint8_t> noise = random_clips(g.input().out, 2, 5);
  long long ev = 0;
  std::vector<Config> cfgs = int_configs();
  {  // potentials one bit wider than the largest threshold: they saturate (counted)
    Config narrow = cfgs[0];
    int maxF = 0;
    for (const QStage& s : quantize(g, narrow).stages)
      if (s.kind == QStage::Neuron) maxF = std::max(maxF, s.F);
    narrow.pot_bits = maxF + 2;
    cfgs.push_back(narrow);
  }
  uint64_t sat = 0;
  for (const Config& cfg : cfgs) {
    QNet q = quantize(g, cfg);
    IntSnn probe(q);
    probe.run(clips.data());
    sat += probe.total_saturations();
    ev += expect_int_identical(q, clips.data(), cs, 6, "default " + cfg.neuron.label());
    ev += expect_int_identical(q, noise.data(), cs, 2, "default/noise " + cfg.neuron.label());
  }
  EXPECT_GT(ev, 0);
  EXPECT_GT(sat, 0u) << "the narrow configuration should saturate";
}

TEST(PerfInt, BitIdenticalOnOnnxFixtures) {
  int seen = 0;
  for (const char* m : {"residual3d", "twopath", "net2d"}) {
    const std::string path = std::string(SDM_FIXTURE_DIR) + "/" + m + ".onnx";
    if (!exists(path)) continue;  // made by the make_onnx_fixtures test
    ++seen;
    Graph g = import_onnx(path);
    std::vector<uint8_t> clips = random_clips(g.input().out, 3, 17);
    for (const Config& cfg : int_configs())
      expect_int_identical(quantize(g, cfg), clips.data(), g.input().out.size(), 3,
                           std::string(m) + " " + cfg.neuron.label());
  }
  if (!seen) GTEST_SKIP() << "ONNX fixtures not built (run ctest -R make_onnx first)";
}

TEST(PerfInt, BitIdenticalOnRandomGraphs) {
  const auto cfgs = int_configs();
  for (uint64_t seed = 1; seed <= 24; ++seed) {
    const bool twod = seed % 4 == 0;
    Graph g = random_graph(seed, twod);
    const Config& cfg = cfgs[seed % cfgs.size()];
    QNet q = quantize(g, cfg);
    std::vector<uint8_t> clips = random_clips(g.input().out, 3, seed * 7);
    expect_int_identical(q, clips.data(), g.input().out.size(), 3,
                         "random graph " + std::to_string(seed) + " " + cfg.neuron.label());
  }
}

TEST(PerfInt, BitIdenticalWithInt64Accumulators) {
  for (uint64_t seed : {101u, 102u}) {
    Graph g = random_graph(seed, seed % 2 == 0, true);
    Config cfg;
    cfg.weight_bits = 16;
    cfg.T = 3;
    QNet q = quantize(g, cfg);
    bool wide = false;
    for (const QStage& s : q.stages)
      if (s.kind != QStage::SumPool)
        wide = wide || current_bound(q, s) > int64_t(std::numeric_limits<int32_t>::max());
    EXPECT_TRUE(wide) << "the test net should need 64-bit accumulators";
    std::vector<uint8_t> clips = random_clips(g.input().out, 2, seed);
    expect_int_identical(q, clips.data(), g.input().out.size(), 2, "wide " + std::to_string(seed));
  }
}

// --- float: sparse scatter vs dense Eigen ---------------------------------------------

namespace {

struct FloatDiff {
  long neurons = 0, off = 0;  // potentials compared / outside 1e-4 relative
  long spike_mismatch = 0, spikes = 0;
};

void expect_float_equivalent(const Graph& g, const NeuronSpec& spec, int T, const uint8_t* clips,
                             int n, const std::string& what, FloatDiff& d) {
  FloatSnn sparse(g, spec, T), dense(g, spec, T, /*dense=*/true);
  for (int i = 0; i < n; ++i) {
    const uint8_t* px = clips + long(i) * g.input().out.size();
    std::vector<int> pred;
    std::vector<std::vector<std::vector<FloatNeuron>>> st;
    std::vector<std::vector<long long>> spk;
    dense.run(px, T, [&](int) {
      pred.push_back(argmax(dense.logit_sum().data(), int(dense.logit_sum().size())));
      st.emplace_back();
      spk.emplace_back();
      for (int l = 0; l < dense.num_layers(); ++l) {
        st.back().push_back(dense.state(l));
        spk.back().push_back(dense.spike_abs(l));
      }
    });
    int k = 0;
    sparse.run(px, T, [&](int t) {
      EXPECT_EQ(argmax(sparse.logit_sum().data(), int(sparse.logit_sum().size())), pred[size_t(k)])
          << what << " clip " << i << " T " << t;
      for (int l = 0; l < sparse.num_layers(); ++l) {
        const auto& a = sparse.state(l);
        const auto& b = st[size_t(k)][size_t(l)];
        const double th = g.nodes[sparse.clip_nodes()[size_t(l)]].lambda * spec.theta_scale();
        for (size_t j = 0; j < a.size(); ++j) {
          ++d.neurons;
          // relative to the potential's scale (its threshold), so v near 0 is fine
          if (std::fabs(a[j].v - b[j].v) > 1e-4 * (std::fabs(b[j].v) + th)) ++d.off;
        }
        d.spikes += spk[size_t(k)][size_t(l)];
        d.spike_mismatch += std::llabs(sparse.spike_abs(l) - spk[size_t(k)][size_t(l)]);
      }
      ++k;
    });
    EXPECT_EQ(k, T);
  }
}

std::vector<NeuronSpec> float_specs() {
  std::vector<NeuronSpec> v;
  for (Method m : {Method::IF, Method::OPT, Method::RTS, Method::BURST, Method::SNM, Method::SDM}) {
    NeuronSpec s;
    s.method = m;
    s.alpha = 0.2;
    s.beta = 5;
    v.push_back(s);
  }
  NeuronSpec s;
  s.alpha = 0.5;
  s.beta = 2;
  v.push_back(s);
  return v;
}

}  // namespace

TEST(PerfFloat, SparseEqualsDenseOnDefaultModel) {
  Graph g = import_onnx(default_onnx());
  std::vector<uint8_t> clips = action_clips(4, 11);
  FloatDiff d;
  for (const NeuronSpec& s : float_specs()) expect_float_equivalent(g, s, 16, clips.data(), 4, s.label(), d);
  // Summation order may move a potential across a threshold once in a great while; the
  // spike totals and potentials must agree everywhere else.
  EXPECT_LE(d.off, d.neurons / 100000) << d.off << " of " << d.neurons << " potentials differ";
  EXPECT_LE(d.spike_mismatch, d.spikes / 100000 + 1) << d.spike_mismatch << " of " << d.spikes;
  std::printf("default: %ld of %ld potentials outside 1e-4, %ld of %ld spikes differ\n", d.off,
              d.neurons, d.spike_mismatch, d.spikes);
}

TEST(PerfFloat, SparseEqualsDenseOnFixturesAndRandomGraphs) {
  FloatDiff d;
  int fixtures = 0;
  for (const char* m : {"residual3d", "twopath", "net2d"}) {
    const std::string path = std::string(SDM_FIXTURE_DIR) + "/" + m + ".onnx";
    if (!exists(path)) continue;
    ++fixtures;
    Graph g = import_onnx(path);
    std::vector<uint8_t> clips = random_clips(g.input().out, 4, 3);
    for (const NeuronSpec& s : float_specs())
      expect_float_equivalent(g, s, 16, clips.data(), 4, std::string(m) + " " + s.label(), d);
  }
  for (uint64_t seed = 1; seed <= 12; ++seed) {
    Graph g = random_graph(seed, seed % 4 == 0);
    std::vector<uint8_t> clips = random_clips(g.input().out, 2, seed);
    for (const NeuronSpec& s : float_specs())
      expect_float_equivalent(g, s, 8, clips.data(), 2, "random " + std::to_string(seed) + " " + s.label(), d);
  }
  EXPECT_LE(d.off, d.neurons / 100000 + 2) << d.off << " of " << d.neurons;
  EXPECT_LE(d.spike_mismatch, d.spikes / 100000 + 2) << d.spike_mismatch << " of " << d.spikes;
  std::printf("fixtures (%d) + random: %ld of %ld potentials outside 1e-4, %ld of %ld spikes differ\n",
              fixtures, d.off, d.neurons, d.spike_mismatch, d.spikes);
}
