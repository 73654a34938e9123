#include "golden/snn_int.h"

#include <algorithm>
#include <limits>

namespace sdm {

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define SDM_CLONES __attribute__((target_clones("avx2", "default")))
#else
#define SDM_CLONES
#endif

namespace {

// IntRule::step (golden/neuron.h) over a whole layer, written branch-free so that it
// vectorizes: the same saturating adds (counted), burst count min(beta, v >> F), the
// dual-threshold negative spike and the soft reset. tests/test_perf.cc checks it against
// IntRule::step through the reference model, saturation counts included.
SDM_CLONES void neuron_steps(const IntRule& rule, int64_t* __restrict v, int64_t* __restrict m,
                             const int64_t* __restrict I, int32_t* __restrict out, size_t N,
                             uint64_t& sat_out, long long& abs_out, long long& neg_out) {
  const int64_t vmax = rule.vmax(), vmin = rule.vmin();
  const int F = rule.F;
  const int64_t th = int64_t{1} << F, beta = rule.beta;
  const bool dual = rule.dual;
  int64_t sat = 0, abs_n = 0, neg_n = 0;
  for (size_t i = 0; i < N; ++i) {
    int64_t a = v[i] + I[i];
    sat += (a > vmax) + (a < vmin);
    a = a > vmax ? vmax : a;
    a = a < vmin ? vmin : a;
    int64_t b = m[i] + I[i];
    sat += (b > vmax) + (b < vmin);
    b = b > vmax ? vmax : b;
    b = b < vmin ? vmin : b;
    const int64_t q = a >> F;
    const int64_t pos = q < beta ? q : beta;
    const int64_t neg = (dual & (a <= -th) & (b > 0)) ? -1 : 0;
    const int64_t n = a >= th ? pos : neg;
    v[i] = a - n * th;
    m[i] = b;
    out[i] = int32_t(n);
    abs_n += n < 0 ? -n : n;
    neg_n += n < 0;
  }
  sat_out += uint64_t(sat);
  abs_out += abs_n;
  neg_out += neg_n;
}

}  // namespace

IntSnn::IntSnn(const QNet& q) : q_(q) {
  vals_.resize(q.tensors.size());
  for (size_t i = 0; i < q.tensors.size(); ++i) vals_[i].assign(size_t(q.tensors[i].shape.size()), 0);
  const size_t S = q.stages.size();
  cur_.resize(S);
  v_.resize(S);
  m_.resize(S);
  plans_.resize(S);
  sat_.assign(S, 0);
  spikes_abs_.assign(S, 0);
  spikes_neg_.assign(S, 0);
  size_t acc_size = 0, pool_size = 0;
  for (size_t s = 0; s < S; ++s) {
    const QStage& st = q.stages[s];
    const Shape& os = q.tensors[st.out].shape;
    if (st.kind == QStage::SumPool) {
      const Shape& is = q.tensors[st.src].shape;
      pool_size = std::max(pool_size, size_t(long(is.c) * is.f * is.h * os.w));
      pool_size = std::max(pool_size, size_t(long(is.c) * is.f * os.h * os.w));
      continue;
    }
    cur_[s].assign(size_t(os.size()), 0);
    StagePlan& sp = plans_[s];
    // Every partial sum of I is bounded by current_bound (sum of |w| * max|x| + |bias|).
    sp.wide = current_bound(q, st) > int64_t(std::numeric_limits<int32_t>::max());
    for (const QTerm& t : st.terms) {
      if (t.kind != QTerm::Conv) continue;
      const QTensor& src = q.tensors[t.src];
      ConvPlan p;
      p.src = t.src;
      p.plan = ScatterPlan::make(src.shape, os, t.kernel, t.stride, t.pad_lo);
      p.plan.set_int_weights(t.weight, src.lo, src.hi);
      sp.convs.push_back(std::move(p));
    }
    if (!sp.convs.empty()) acc_size = std::max(acc_size, size_t(os.size()));
  }
  acc32_.assign(acc_size, 0);
  acc64_.assign(acc_size, 0);
  pool_a_.assign(pool_size, 0);
  pool_b_.assign(pool_size, 0);
}

// I = bias + sum over terms. Conv terms scatter from the nonzero source values into
// channels-last accumulators (int32 when the stage's bound allows), then transpose.
void IntSnn::compute_current(int s) {
  const QStage& st = q_.stages[s];
  const Shape& os = q_.tensors[st.out].shape;
  auto& I = cur_[s];
  const long P = os.plane();
  const int co = os.c;
  const StagePlan& sp = plans_[s];
  if (sp.convs.empty()) {
    for (int c = 0; c < co; ++c) std::fill(I.begin() + c * P, I.begin() + (c + 1) * P, st.bias[c]);
  } else if (!sp.wide) {
    int32_t* acc = acc32_.data();
    std::fill(acc, acc + P * co, 0);
    for (const ConvPlan& p : sp.convs) events_ += scatter_add(p.plan, vals_[p.src].data(), acc);
    for (int c = 0; c < co; ++c) {
      int64_t* dst = I.data() + c * P;
      const int64_t b = st.bias[c];
      for (long pos = 0; pos < P; ++pos) dst[pos] = b + acc[pos * co + c];
    }
  } else {
    int64_t* acc = acc64_.data();
    std::fill(acc, acc + P * co, 0);
    for (const ConvPlan& p : sp.convs) events_ += scatter_add(p.plan, vals_[p.src].data(), acc);
    for (int c = 0; c < co; ++c) {
      int64_t* dst = I.data() + c * P;
      const int64_t b = st.bias[c];
      for (long pos = 0; pos < P; ++pos) dst[pos] = b + acc[pos * co + c];
    }
  }
  for (const QTerm& t : st.terms) {
    if (t.kind != QTerm::Identity) continue;
    const Shape& is = q_.tensors[t.src].shape;
    const auto& x = vals_[t.src];
    for (int c = 0; c < is.c; ++c) {
      const int64_t sc = t.scale[c];
      int64_t* dst = I.data() + (c + t.out_offset) * P;
      const int32_t* xs = x.data() + c * P;
      for (long p = 0; p < P; ++p)
        if (xs[p]) dst[p] += sc * xs[p], ++events_;
    }
  }
}

// Window sum with zero padding, separably: along w, then h, then t. The windows are
// boxes, so the three passes add exactly the same values as the direct sum.
void IntSnn::sum_pool(const QStage& st) {
  const Shape &is = q_.tensors[st.src].shape, &os = q_.tensors[st.out].shape;
  const int32_t* x = vals_[st.src].data();
  int32_t* out = vals_[st.out].data();
  const int kt = st.kernel[0], kh = st.kernel[1], kw = st.kernel[2];
  // Pass 1 (w): a[c][f][h][wo].
  const long rows = long(is.c) * is.f * is.h;
  int32_t* a = pool_a_.data();
  pool_rng_.resize(size_t(os.w) * 2);
  for (int wo = 0; wo < os.w; ++wo) {
    const int w0 = wo * st.stride[2] - st.pad_lo[2];
    pool_rng_[size_t(2 * wo)] = std::max(0, w0);
    pool_rng_[size_t(2 * wo + 1)] = std::min(is.w, w0 + kw);
  }
  const int* rng = pool_rng_.data();
  for (long r = 0; r < rows; ++r) {
    const int32_t* xr = x + r * is.w;
    int32_t* d = a + r * os.w;
    for (int wo = 0; wo < os.w; ++wo) {
      int32_t sum = 0;
      for (int wi = rng[2 * wo]; wi < rng[2 * wo + 1]; ++wi) sum += xr[wi];
      d[wo] = sum;
    }
  }
  // Pass 2 (h): b[c][f][ho][wo].
  const long planes = long(is.c) * is.f;
  int32_t* b = pool_b_.data();
  for (long q = 0; q < planes; ++q) {
    const int32_t* src = a + q * is.h * os.w;
    int32_t* dst = b + q * os.h * os.w;
    for (int ho = 0; ho < os.h; ++ho) {
      int32_t* d = dst + long(ho) * os.w;
      std::fill(d, d + os.w, 0);
      const int h0 = ho * st.stride[1] - st.pad_lo[1];
      for (int dh = std::max(0, -h0); dh < kh && h0 + dh < is.h; ++dh) {
        const int32_t* sr = src + long(h0 + dh) * os.w;
        for (int wo = 0; wo < os.w; ++wo) d[wo] += sr[wo];
      }
    }
  }
  // Pass 3 (t): out[c][fo][ho][wo].
  const long hw = long(os.h) * os.w;
  for (int c = 0; c < os.c; ++c) {
    const int32_t* src = b + long(c) * is.f * hw;
    int32_t* dst = out + long(c) * os.f * hw;
    for (int fo = 0; fo < os.f; ++fo) {
      int32_t* d = dst + fo * hw;
      std::fill(d, d + hw, 0);
      const int f0 = fo * st.stride[0] - st.pad_lo[0];
      for (int dt = std::max(0, -f0); dt < kt && f0 + dt < is.f; ++dt) {
        const int32_t* sr = src + (f0 + dt) * hw;
        for (long j = 0; j < hw; ++j) d[j] += sr[j];
      }
    }
  }
}

void IntSnn::run(const unsigned char* pixels, const std::function<void(int)>& on_step, int Tmax) {
  const int T = Tmax > 0 ? Tmax : q_.cfg.T;
  auto& px = vals_[0];
  for (size_t i = 0; i < px.size(); ++i) px[i] = pixels[i];
  const size_t S = q_.stages.size();
  for (size_t s = 0; s < S; ++s) {
    const QStage& st = q_.stages[s];
    sat_[s] = 0;
    spikes_abs_[s] = spikes_neg_[s] = 0;
    if (st.kind == QStage::Neuron) {
      v_[s].assign(cur_[s].size(), st.rule.v0());
      m_[s].assign(cur_[s].size(), 0);
    }
  }
  logits_.assign(size_t(q_.num_classes()), 0);
  events_ = 0;
  for (int t = 1; t <= T; ++t) {
    for (size_t s = 0; s < S; ++s) {
      const QStage& st = q_.stages[s];
      auto& out = vals_[st.out];
      if (st.kind == QStage::SumPool) {
        if (!q_.tensors[st.src].per_step && t > 1) continue;
        sum_pool(st);
        continue;
      }
      if (!(st.static_input && t > 1)) compute_current(int(s));
      const auto& I = cur_[s];
      if (st.kind == QStage::Readout) {
        for (size_t k = 0; k < logits_.size(); ++k) logits_[k] += I[k];
        continue;
      }
      uint64_t sat = 0;
      long long abs_n = 0, neg_n = 0;
      neuron_steps(st.rule, v_[s].data(), m_[s].data(), I.data(), out.data(), I.size(), sat, abs_n, neg_n);
      sat_[s] += sat;
      spikes_abs_[s] += abs_n;
      spikes_neg_[s] += neg_n;
    }
    if (on_step) on_step(t);
  }
}

int IntSnn::predicted_class() const {
  int best = 0;
  for (size_t k = 1; k < logits_.size(); ++k)
    if (logits_[k] > logits_[best]) best = int(k);
  return best;
}

uint64_t IntSnn::total_saturations() const {
  uint64_t s = 0;
  for (auto v : sat_) s += v;
  return s;
}

}  // namespace sdm
