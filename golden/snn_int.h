// Integer (bit-accurate) golden model: executes a QNet exactly as docs/number-format.md
// says. The RTL must reproduce every spike count at every step and the logit
// accumulators; the co-simulation bench reads them from here.
#pragma once

#include <cstdint>
#include <functional>
#include <vector>

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

}  // namespace sdm
