#include "golden/config.h"

#include <fmt/core.h>

#include "golden/error.h"

namespace sdm {

void Config::validate() const {
  neuron.validate();
  if (T < 1) throw Error(fmt::format("T = {} must be >= 1", T));
  if (T > 4096) throw Error(fmt::format("T = {} is larger than the supported 4096", T));
  if (weight_bits < 2 || weight_bits > 16)
    throw Error(fmt::format("weight bits = {} outside [2, 16]", weight_bits));
  if (bias_bits < 2 || bias_bits > 32)
    throw Error(fmt::format("bias bits = {} outside [2, 32]", bias_bits));
  if (pot_bits != 0 && (pot_bits < 4 || pot_bits > 48))
    throw Error(fmt::format("potential bits = {} outside [4, 48] (0 = automatic)", pot_bits));
  if (lanes < 1 || lanes > 256) throw Error(fmt::format("lanes = {} outside [1, 256]", lanes));
}

void to_json(nlohmann::json& j, const Config& c) {
  j = nlohmann::json{{"method", method_name(c.neuron.method)},
                     {"alpha", c.neuron.alpha},
                     {"beta", c.neuron.beta},
                     {"dual", c.neuron.dual},
                     {"T", c.T},
                     {"weight_bits", c.weight_bits},
                     {"bias_bits", c.bias_bits},
                     {"pot_bits", c.pot_bits},
                     {"lanes", c.lanes}};
}

void from_json(const nlohmann::json& j, Config& c) {
  try {
    c.neuron.method = parse_method(j.at("method").get<std::string>());
    c.neuron.alpha = j.at("alpha").get<double>();
    c.neuron.beta = j.at("beta").get<int>();
    c.neuron.dual = j.at("dual").get<bool>();
    c.T = j.at("T").get<int>();
    c.weight_bits = j.at("weight_bits").get<int>();
    c.bias_bits = j.value("bias_bits", 24);
    c.pot_bits = j.value("pot_bits", 0);
    c.lanes = j.value("lanes", 1);
  } catch (const nlohmann::json::exception& e) {
    throw Error(fmt::format("bad configuration: {}", e.what()));
  }
  c.validate();
}

}  // namespace sdm
