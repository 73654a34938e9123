// The integer golden model as it was before the performance work (commit ab77f5a):
// a straightforward scatter with int64 accumulators, per-element stride checks and a
// direct window sum. Kept verbatim (renamed RefIntSnn) as the reference the optimized
// IntSnn must equal bit for bit (tests/test_perf.cc) and as the "before" of bench_golden.
#pragma once

#include <algorithm>
#include <cstdint>
#include <functional>
#include <vector>

#include "golden/qnet.h"

namespace sdm {
namespace ref {

class RefIntSnn {
 public:
  explicit RefIntSnn(const QNet& q);

  // Runs t = 1..cfg.T (or Tmax) on one clip; after each step calls on_step(t).
  void run(const unsigned char* pixels, const std::function<void(int)>& on_step = {}, int Tmax = 0);

  // Values of tensor `id` at the current step (spike counts, pooled sums or pixels).
  const std::vector<int32_t>& tensor(int id) const { return vals_[id]; }
  // Input current of stage s at the current step (Neuron/Readout stages).
  const std::vector<int64_t>& current(int s) const { return cur_[s]; }
  // Readout accumulators: sum over steps so far of I_out(t).
  const std::vector<int64_t>& logit_acc() const { return logits_; }
  int predicted_class() const;
  // Saturation events of v / M per stage over the run so far (the golden model warns).
  uint64_t saturations(int s) const { return sat_[s]; }
  uint64_t total_saturations() const;
  // |spike| sum per stage over the run so far (Neuron stages).
  long long spike_abs(int s) const { return spikes_abs_[s]; }
  long long spike_neg(int s) const { return spikes_neg_[s]; }
  // Synaptic events (nonzero input x weight row) executed so far; for throughput figures.
  long long events() const { return events_; }
  const QNet& net() const { return q_; }

 private:
  void compute_current(int s);
  const QNet& q_;
  std::vector<std::vector<int32_t>> vals_;
  std::vector<std::vector<int64_t>> cur_;
  std::vector<std::vector<int64_t>> v_, m_;
  std::vector<std::vector<std::vector<int32_t>>> wt_;  // per stage, per term: [ci][k][co]
  std::vector<int64_t> logits_;
  std::vector<uint64_t> sat_;
  std::vector<long long> spikes_abs_, spikes_neg_;
  long long events_ = 0;
};

inline RefIntSnn::RefIntSnn(const QNet& q) : q_(q) {
  vals_.resize(q.tensors.size());
  for (size_t i = 0; i < q.tensors.size(); ++i) vals_[i].assign(size_t(q.tensors[i].shape.size()), 0);
  const size_t S = q.stages.size();
  cur_.resize(S);
  v_.resize(S);
  m_.resize(S);
  wt_.resize(S);
  sat_.assign(S, 0);
  spikes_abs_.assign(S, 0);
  spikes_neg_.assign(S, 0);
  for (size_t s = 0; s < S; ++s) {
    const QStage& st = q.stages[s];
    if (st.kind == QStage::SumPool) continue;
    const Shape& os = q.tensors[st.out].shape;
    cur_[s].assign(size_t(os.size()), 0);
    // Weights transposed to [ci][kt][kh][kw][co] so the scatter's inner loop is over co.
    for (const QTerm& t : st.terms) {
      std::vector<int32_t> w;
      if (t.kind == QTerm::Conv) {
        const int co = os.c;
        const long row = long(t.weight.size()) / co;
        w.resize(t.weight.size());
        for (int o = 0; o < co; ++o)
          for (long k = 0; k < row; ++k) w[k * co + o] = t.weight[o * row + k];
      }
      wt_[s].push_back(std::move(w));
    }
  }
}

// I = bias + sum over terms. Conv terms scatter from the nonzero source values, so the
// work follows the spikes (zero spikes cost nothing).
inline void RefIntSnn::compute_current(int s) {
  const QStage& st = q_.stages[s];
  const Shape& os = q_.tensors[st.out].shape;
  auto& I = cur_[s];
  const long P = os.plane();
  for (int c = 0; c < os.c; ++c) std::fill(I.begin() + c * P, I.begin() + (c + 1) * P, st.bias[c]);
  for (size_t ti = 0; ti < st.terms.size(); ++ti) {
    const QTerm& t = st.terms[ti];
    const QTensor& src = q_.tensors[t.src];
    const Shape& is = src.shape;
    const auto& x = vals_[t.src];
    if (t.kind == QTerm::Identity) {
      for (int c = 0; c < is.c; ++c)
        for (long p = 0; p < P; ++p) {
          const int32_t xv = x[c * P + p];
          if (xv) I[(c + t.out_offset) * P + p] += int64_t(t.scale[c]) * xv, ++events_;
        }
      continue;
    }
    const auto& w = wt_[s][ti];
    const int co = os.c, kt = t.kernel[0], kh = t.kernel[1], kw = t.kernel[2];
    const long ksz = long(kt) * kh * kw;
    for (int ci = 0; ci < is.c; ++ci)
      for (int fi = 0; fi < is.f; ++fi)
        for (int hi = 0; hi < is.h; ++hi)
          for (int wi = 0; wi < is.w; ++wi) {
            const int32_t xv = x[((long(ci) * is.f + fi) * is.h + hi) * is.w + wi];
            if (!xv) continue;
            for (int dt = 0; dt < kt; ++dt) {
              const int ft = fi + t.pad_lo[0] - dt;
              if (ft < 0 || ft % t.stride[0]) continue;
              const int fo = ft / t.stride[0];
              if (fo >= os.f) continue;
              for (int dh = 0; dh < kh; ++dh) {
                const int ht = hi + t.pad_lo[1] - dh;
                if (ht < 0 || ht % t.stride[1]) continue;
                const int ho = ht / t.stride[1];
                if (ho >= os.h) continue;
                for (int dw = 0; dw < kw; ++dw) {
                  const int wt = wi + t.pad_lo[2] - dw;
                  if (wt < 0 || wt % t.stride[2]) continue;
                  const int wo = wt / t.stride[2];
                  if (wo >= os.w) continue;
                  const int32_t* wr = w.data() + ((ci * ksz) + (long(dt) * kh + dh) * kw + dw) * co;
                  const long pos = (long(fo) * os.h + ho) * os.w + wo;
                  for (int o = 0; o < co; ++o) I[o * P + pos] += int64_t(wr[o]) * xv;
                  events_ += co;
                }
              }
            }
          }
  }
}

inline void RefIntSnn::run(const unsigned char* pixels, const std::function<void(int)>& on_step, int Tmax) {
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
        const QTensor& src = q_.tensors[st.src];
        if (!src.per_step && t > 1) continue;
        const Shape &is = src.shape, &os = q_.tensors[st.out].shape;
        const auto& x = vals_[st.src];
        for (int c = 0; c < os.c; ++c)
          for (int fo = 0; fo < os.f; ++fo)
            for (int ho = 0; ho < os.h; ++ho)
              for (int wo = 0; wo < os.w; ++wo) {
                int32_t sum = 0;
                for (int dt = 0; dt < st.kernel[0]; ++dt) {
                  const int fi = fo * st.stride[0] - st.pad_lo[0] + dt;
                  if (fi < 0 || fi >= is.f) continue;
                  for (int dh = 0; dh < st.kernel[1]; ++dh) {
                    const int hi = ho * st.stride[1] - st.pad_lo[1] + dh;
                    if (hi < 0 || hi >= is.h) continue;
                    for (int dw = 0; dw < st.kernel[2]; ++dw) {
                      const int wi = wo * st.stride[2] - st.pad_lo[2] + dw;
                      if (wi >= 0 && wi < is.w) sum += x[((long(c) * is.f + fi) * is.h + hi) * is.w + wi];
                    }
                  }
                }
                out[((long(c) * os.f + fo) * os.h + ho) * os.w + wo] = sum;
              }
        continue;
      }
      if (!(st.static_input && t > 1)) compute_current(int(s));
      const auto& I = cur_[s];
      if (st.kind == QStage::Readout) {
        for (size_t k = 0; k < logits_.size(); ++k) logits_[k] += I[k];
        continue;
      }
      auto& v = v_[s];
      auto& m = m_[s];
      uint64_t sat = 0;
      long long abs_n = 0, neg_n = 0;
      for (size_t i = 0; i < I.size(); ++i) {
        const int n = st.rule.step(v[i], m[i], I[i], sat);
        out[i] = n;
        abs_n += n < 0 ? -n : n;
        neg_n += n < 0;
      }
      sat_[s] += sat;
      spikes_abs_[s] += abs_n;
      spikes_neg_[s] += neg_n;
    }
    if (on_step) on_step(t);
  }
}

inline int RefIntSnn::predicted_class() const {
  int best = 0;
  for (size_t k = 1; k < logits_.size(); ++k)
    if (logits_[k] > logits_[best]) best = int(k);
  return best;
}

inline uint64_t RefIntSnn::total_saturations() const {
  uint64_t s = 0;
  for (auto v : sat_) s += v;
  return s;
}

}  // namespace ref
}  // namespace sdm
