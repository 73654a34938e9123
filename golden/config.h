// The one validated configuration object: neuron method and its switches (alpha, beta,
// dual), T, widths and datapath lanes. It feeds the golden model, the RTL generator and
// the test benches, and is written next to the generated RTL (signature.json).
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "golden/neuron.h"

namespace sdm {

// The one set of limits of every command and of the artifact (docs/cli.md).
constexpr long kMaxT = 4096;       // time-steps
constexpr long kMaxLanes = 64;     // accelerator datapath lanes
constexpr long kMaxThreads = 256;  // worker threads of the golden model

// Each throws sdm::Error (one line, naming the value) outside its limit.
void check_T(long long T);
void check_lanes(long long lanes);
void check_weight_bits(long long bits);
// Worker threads: 0 = every core; otherwise 1..kMaxThreads.
int resolve_threads(long long requested);

struct Config {
  NeuronSpec neuron;
  int T = 4;             // time-steps, 1..kMaxT
  int weight_bits = 8;   // signed synaptic weights, 2..16
  int bias_bits = 24;    // signed bias, 2..32
  int pot_bits = 0;      // signed potential / memory width; 0 = sized from the bound
  int lanes = 1;         // datapath parallelism (output channels computed at once), 1..kMaxLanes

  // Throws sdm::Error with a one-line message naming the bad value.
  void validate() const;
};

void to_json(nlohmann::json& j, const Config& c);
void from_json(const nlohmann::json& j, Config& c);  // validates

}  // namespace sdm
