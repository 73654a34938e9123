// Integer (bit-accurate) golden model: executes a QNet exactly as docs/number-format.md
// says. The RTL must reproduce every spike count at every step and the logit
// accumulators; the co-simulation bench reads them from here.
//
// Performance (docs/performance.md): conv terms scatter from the nonzero source values
// through per-axis tables of valid (kernel offset, output index) pairs, so the inner
// loop has no stride/bounds tests; accumulators are channels-last and int32 whenever the
// stage's acc_bits <= 32 (the overflow bound of quantize() bounds every partial sum too);
// sources of few values (spikes, pixels) add precomputed weight multiples w*n instead of
// multiplying. Integer
// addition is exact in any order, so results are bit-identical to the straightforward
// reference (bench/reference_snn.h, checked by tests/test_perf.cc). The neuron update is
// IntRule::step written branch-free over a layer (vectorizes), window sums are separable.
#pragma once

#include <cstdint>
#include <functional>
#include <vector>

#include "golden/ops.h"
#include "golden/qnet.h"

namespace sdm {

class IntSnn {
 public:
  explicit IntSnn(const QNet& q);

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
  // One conv term, prepared for the scatter (golden/ops.h).
  struct ConvPlan {
    int src = 0;  // source tensor
    ScatterPlan plan;
  };
  struct StagePlan {
    bool wide = false;            // a partial sum may exceed 32 bits: int64 accumulators
    std::vector<ConvPlan> convs;  // conv terms (identity terms are read from the QStage)
  };
  void compute_current(int s);
  void sum_pool(const QStage& st);

  const QNet& q_;
  std::vector<std::vector<int32_t>> vals_;
  std::vector<std::vector<int64_t>> cur_;
  std::vector<std::vector<int64_t>> v_, m_;
  std::vector<StagePlan> plans_;
  std::vector<int32_t> acc32_;  // channels-last scratch accumulators [pos][co]
  std::vector<int64_t> acc64_;
  std::vector<int32_t> pool_a_, pool_b_;  // separable window-sum scratch
  std::vector<int> pool_rng_;
  std::vector<int64_t> logits_;
  std::vector<uint64_t> sat_;
  std::vector<long long> spikes_abs_, spikes_neg_;
  long long events_ = 0;
};

}  // namespace sdm
