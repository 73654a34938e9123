// The one validated configuration object: neuron method and its switches (alpha, beta,
// dual), T, widths and datapath lanes. It feeds the golden model, the RTL generator and
// the test benches, and is written next to the generated RTL (signature.json).
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "golden/neuron.h"

namespace sdm {

struct Config {
  NeuronSpec neuron;
  int T = 4;             // time-steps, >= 1
  int weight_bits = 8;   // signed synaptic weights, 2..16
  int bias_bits = 24;    // signed bias, 2..32
  int pot_bits = 0;      // signed potential / memory width; 0 = sized from the bound
  int lanes = 1;         // datapath parallelism (output channels computed at once)

  // Throws sdm::Error with a one-line message naming the bad value.
  void validate() const;
};

void to_json(nlohmann::json& j, const Config& c);
void from_json(const nlohmann::json& j, Config& c);  // validates

}  // namespace sdm
