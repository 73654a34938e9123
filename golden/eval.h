// Accuracy evaluation of the ANN and of every requested neuron setting x T x mode, with
// per-layer statistics (spike counts, conversion error). Threads over clips; one run to
// the longest T serves every shorter T (except rts, whose shift depends on T).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "golden/config.h"
#include "golden/ir.h"

namespace sdm {

// Clips in C-order, uint8, `clip_size` bytes each.
struct ClipSet {
  const uint8_t* data = nullptr;
  long n = 0;
  long clip_size = 0;
  std::vector<int64_t> shape;  // per clip, (C, F, H, W) or (C, H, W); empty: size only
  std::vector<int64_t> labels;
  const uint8_t* clip(long i) const { return data + i * clip_size; }
};

struct EvalRequest {
  std::vector<NeuronSpec> specs;
  std::vector<int> Ts;
  bool float_mode = true, int_mode = true;
  int weight_bits = 8;
  bool layer_error = false;  // per-layer |ANN - SNN mean output| (float mode)
  int threads = 2;
  bool progress = false;     // a progress line on stderr
};

struct LayerStat {
  std::string name;
  long neurons = 0;
  double spikes_per_clip = 0;      // |n| summed over neurons and steps, mean over clips
  double neg_spikes_per_clip = 0;
  double firing_rate = 0;          // spikes / (neurons * T)
  double conversion_error = -1;    // E|a - mean output| (float mode, if requested)
  double ops_next = 0;             // synaptic fan-out of this layer (connections per clip-step)
};

struct EvalRow {
  NeuronSpec spec;
  int T = 0;
  int weight_bits = 0;
  std::string mode;  // "float" or "int"
  long correct = 0, n = 0;
  double top1 = 0;
  uint64_t saturations = 0;  // int mode
  std::vector<LayerStat> layers;
};

struct EvalResult {
  double ann_top1 = 0;
  long n = 0;
  std::vector<EvalRow> rows;
  std::vector<std::string> notes;  // e.g. "rts: float only", "sdm ...: no integer mode: <why>"
  double seconds = 0;
  double events_per_s = 0;  // integer synaptic events per second (int mode rows)
};

EvalResult evaluate(const Graph& g, const ClipSet& data, const EvalRequest& req);
nlohmann::json to_json(const EvalResult& r);

// ANN forward on every clip: predictions (for comparisons with PyTorch).
std::vector<std::vector<float>> ann_logits(const Graph& g, const ClipSet& data, int threads);

}  // namespace sdm
