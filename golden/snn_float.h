// Float SNN of SPEC §2: every Clip node of the graph becomes a layer of spiking neurons
// with the chosen rule; every other node acts linearly on spike values each step.
// Direct encoding (the clip is the input at every step), averaged non-spiking readout.
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
  FloatSnn(const Graph& g, const NeuronSpec& spec, int T);

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
};

}  // namespace sdm
