// Float SNN of SPEC §2: every Clip node of the graph becomes a layer of spiking neurons
// with the chosen rule; every other node acts linearly on spike values each step.
// Direct encoding (the clip is the input at every step), averaged non-spiking readout.
//
// Performance (docs/performance.md): a Conv/Linear whose input changes every step is a
// scatter from the input's nonzero values (spike values n*theta, mostly zero) into
// channels-last accumulators through precomputed (kernel tap, output) tables; nodes that
// depend only on the clip are computed once per clip; buffers persist across steps.
// `dense = true` keeps the original path (Eigen im2col + GEMM every step) as the
// reference the sparse path is tested against (tests/test_perf.cc); the two differ only
// in float summation order.
#pragma once

#include <functional>
#include <vector>

#include "golden/ir.h"
#include "golden/neuron.h"
#include "golden/ops.h"

namespace sdm {

class FloatSnn {
 public:
  // `T` fixes the rts shift theta/(2T); other methods do not depend on it.
  FloatSnn(const Graph& g, const NeuronSpec& spec, int T, bool dense = false);

  // Runs steps 1..Tmax on one clip. After step t, `on_step(t)` may read logit_sum(),
  // out_sum(l) and spikes(l).
  void run(const unsigned char* pixels, int Tmax, const std::function<void(int)>& on_step);

  // Sum over steps so far of the readout current I_out(t); logits(T) = logit_sum / T.
  const std::vector<double>& logit_sum() const { return logit_sum_; }
  // Per spiking layer l (index into graph.clip_nodes()): sum of output values n*theta over
  // steps so far, per neuron; and signed / absolute spike counts over steps so far.
  const std::vector<double>& out_sum(int l) const { return layers_[l].out_sum; }
  long long spike_abs(int l) const { return layers_[l].abs_count; }
  long long spike_pos(int l) const { return layers_[l].pos_count; }
  long long spike_neg(int l) const { return layers_[l].neg_count; }
  int num_layers() const { return int(layers_.size()); }
  // Neuron states (v, memory) of spiking layer l after the last step.
  const std::vector<FloatNeuron>& state(int l) const { return layers_[l].state; }
  // Output of graph node `id` at the current step (spike values for Clip nodes).
  const std::vector<float>& value(int id) const { return vals_[id]; }
  // Synaptic events (nonzero input x output-channel row) of the sparse path so far.
  long long events() const { return events_; }
  const std::vector<int>& clip_nodes() const { return clip_nodes_; }

 private:
  struct Layer {
    FloatRule rule;
    std::vector<FloatNeuron> state;
    std::vector<double> out_sum;
    long long abs_count = 0, pos_count = 0, neg_count = 0;
  };
  const Graph& g_;
  std::vector<int> clip_nodes_;
  std::vector<int> layer_of_;  // node id -> layer index or -1
  std::vector<char> static_;   // node value constant over steps
  std::vector<Layer> layers_;
  std::vector<std::vector<float>> vals_;
  std::vector<double> logit_sum_;
  std::vector<float> scratch_;

  // Sparse Conv/Linear of a per-step input (golden/ops.h).
  void scatter_forward(int id, const ScatterPlan& p);
  bool dense_ = false;
  std::vector<int> plan_of_;  // node id -> index into plans_ or -1
  std::vector<ScatterPlan> plans_;
  std::vector<float> acc_;    // channels-last accumulators [pos][co]
  long long events_ = 0;
};

}  // namespace sdm
