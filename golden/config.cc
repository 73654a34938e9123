#include "golden/config.h"

#include <algorithm>
#include <thread>

#include <fmt/core.h>

#include "golden/error.h"

namespace sdm {

void check_T(long long T) {
  if (T < 1) throw Error(fmt::format("T = {} must be >= 1", T));
  if (T > kMaxT) throw Error(fmt::format("T = {} is larger than the supported {}", T, kMaxT));
}

void check_lanes(long long lanes) {
  if (lanes < 1 || lanes > kMaxLanes) throw Error(fmt::format("lanes = {} outside [1, {}]", lanes, kMaxLanes));
}

void check_simd(long long simd, long long lanes) {
  if (simd < 1 || simd > kMaxSimd || (simd & (simd - 1)) != 0)
    throw Error(fmt::format("simd = {} must be a power of two in [1, {}]", simd, kMaxSimd));
  if (lanes % simd != 0)
    throw Error(fmt::format("simd = {} must divide lanes = {} (a lane's memory slice is its index mod simd)", simd,
                            lanes));
}

void check_positions(long long positions, long long lanes, bool shared_neuron) {
  if (positions < 1 || positions > kMaxPositions)
    throw Error(fmt::format("positions = {} outside [1, {}] (a block RAM has two read ports)", positions,
                            kMaxPositions));
  if (positions == 2 && (lanes < 2 || lanes % 2 != 0))
    throw Error(fmt::format("positions = 2 needs an even lane count, not lanes = {} (each half of the lanes takes "
                            "one output column)",
                            lanes));
  if (positions == 2 && shared_neuron)
    throw Error("positions = 2 needs a neuron per lane (--no-shared-neuron): the shared neuron's feed order is "
                "one position per group");
}

void check_weight_bits(long long bits) {
  if (bits < 2 || bits > 16) throw Error(fmt::format("weight bits = {} outside [2, 16]", bits));
}

int resolve_threads(long long requested) {
  if (requested < 0 || requested > kMaxThreads)
    throw Error(fmt::format("threads = {} outside [1, {}] (0 = every core)", requested, kMaxThreads));
  if (requested > 0) return int(requested);
  return int(std::min<long long>(kMaxThreads, std::max(1u, std::thread::hardware_concurrency())));
}

void Config::validate() const {
  neuron.validate();
  check_T(T);
  check_weight_bits(weight_bits);
  if (bias_bits < 2 || bias_bits > 32)
    throw Error(fmt::format("bias bits = {} outside [2, 32]", bias_bits));
  if (pot_bits != 0 && (pot_bits < 4 || pot_bits > 48))
    throw Error(fmt::format("potential bits = {} outside [4, 48] (0 = automatic)", pot_bits));
  check_lanes(hw.lanes);
  check_simd(hw.simd, hw.lanes);
  check_positions(hw.positions, hw.lanes, hw.shared_neuron);
}

nlohmann::json to_json(const HwOptions& o) {
  nlohmann::json j = {{"lanes", o.lanes}, {"batch_sums", o.batch_sums}, {"shared_neuron", o.shared_neuron},
                      {"overlap", o.overlap}, {"simd", o.simd}};
  if (o.positions != 1) j["positions"] = o.positions;
  if (!o.board.empty()) j["board"] = o.board;
  return j;
}

HwOptions hw_options_from_json(const nlohmann::json& j, HwOptions o) {
  if (!j.is_object()) return o;
  try {
    o.lanes = j.value("lanes", o.lanes);
    o.batch_sums = j.value("batch_sums", o.batch_sums);
    o.shared_neuron = j.value("shared_neuron", o.shared_neuron);
    o.overlap = j.value("overlap", o.overlap);
    o.simd = j.value("simd", o.simd);
    o.positions = j.value("positions", o.positions);
    o.board = j.value("board", o.board);
  } catch (const nlohmann::json::exception& e) {
    throw Error(fmt::format("bad hardware options: {}", e.what()));
  }
  check_lanes(o.lanes);
  check_simd(o.simd, o.lanes);
  check_positions(o.positions, o.lanes, o.shared_neuron);
  return o;
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
                     {"lanes", c.hw.lanes}};
  if (c.hw.batch_sums) j["batch_sums"] = true;
  if (c.hw.shared_neuron) j["shared_neuron"] = true;
  if (!c.hw.overlap) j["overlap"] = false;
  if (c.hw.simd != 1) j["simd"] = c.hw.simd;
  if (c.hw.positions != 1) j["positions"] = c.hw.positions;
  if (!c.hw.board.empty()) j["board"] = c.hw.board;
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
    c.hw = hw_options_from_json(j);  // the same field names as signature.json `hw_options`
  } catch (const nlohmann::json::exception& e) {
    throw Error(fmt::format("bad configuration: {}", e.what()));
  }
  c.validate();
}

}  // namespace sdm
