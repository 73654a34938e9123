// The one validated configuration object: neuron method and its switches (alpha, beta,
// dual), T, widths and the accelerator's hardware options (lanes, batch sums, shared
// neuron, board). It feeds the golden model, the RTL generator and the test benches, and
// is written next to the generated RTL (signature.json `config` and `hw_options`).
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "golden/neuron.h"

namespace sdm {

// The one set of limits of every command and of the artifact (docs/cli.md).
constexpr long kMaxT = 4096;       // time-steps
constexpr long kMaxLanes = 64;     // accelerator datapath lanes
constexpr long kMaxSimd = 16;      // input channels per lane and cycle (SIMD)
constexpr long kMaxPositions = 2;  // output positions per cycle (P): the two ports of a block RAM
constexpr long kMaxThreads = 256;  // worker threads of the golden model

// Each throws sdm::Error (one line, naming the value) outside its limit.
void check_T(long long T);
void check_lanes(long long lanes);
// SIMD: a power of two in [1, kMaxSimd] that divides lanes (one line naming both otherwise).
void check_simd(long long simd, long long lanes);
// Output positions per cycle: 1, or 2 with an even lane count and a neuron per lane (the two
// halves of the lanes take adjacent output columns; one line naming the values otherwise).
void check_positions(long long positions, long long lanes, bool shared_neuron);
void check_weight_bits(long long bits);
// Worker threads: 0 = every core; otherwise 1..kMaxThreads.
int resolve_threads(long long requested);

// The accelerator's parallelism and datapath choices (docs/architecture.md). Part of
// Config (Config::hw), validated with it; signature.json `hw_options` holds them.
struct HwOptions {
  int lanes = 1;  // output channels per cycle (FINN's PE), 1..kMaxLanes
  // Input channels per lane and cycle (FINN's SIMD): every tensor is interleaved by channel
  // over `simd` memory slices read at one address, each lane adds simd products per step.
  // A power of two that divides lanes (the write-back's slice is the lane's low bits).
  int simd = 1;
  // Output positions per cycle (P, 1 or 2): a neuron stage with at most lanes / 2 output
  // channels computes two adjacent output columns per group, lanes [0, L/2) the first and
  // [L/2, L) the second, from the tensor memories' second read port (block RAM true dual
  // port); the other stages run as with 1. docs/architecture.md, "Output positions".
  int positions = 1;
  // Also read pooled sums T steps per cycle (shift-add step products as wide as the widest
  // pooled sum instead of one step per cycle on the wide product): fewer cycles, more LUTs.
  bool batch_sums = false;
  // One neuron shared by the lanes instead of one per lane: the lanes' T currents are fed to
  // it one after another (S_OUT lanes x T feeds instead of T). Fewer logic cells, a few
  // more cycles per output group (the neuron idles during the synapse loop either way).
  bool shared_neuron = false;
  // The output unit (neuron feed, write-back) runs beside the next group's synapse loop,
  // from an output buffer of L x T sums, where the stage does not read the bank it writes
  // (docs/architecture.md, "Output unit overlapped"). Off: every group waits for its
  // write-back and the buffer is not built (fewer logic cells, more cycles).
  bool overlap = true;
  // The board the design is sized for (`rtl --board`, `run --board`); "" = none. A name
  // only: fpga::find_board checks it where a command uses it.
  std::string board;
};
// signature.json `hw_options` (one place for the field names; `board` only when set).
nlohmann::json to_json(const HwOptions& o);
// Absent fields keep `base`'s values; validated (one-line sdm::Error naming the value).
HwOptions hw_options_from_json(const nlohmann::json& j, HwOptions base = {});

struct Config {
  NeuronSpec neuron;
  int T = 4;             // time-steps, 1..kMaxT
  int weight_bits = 8;   // signed synaptic weights, 2..16
  int bias_bits = 24;    // signed bias, 2..32
  int pot_bits = 0;      // signed potential / memory width; 0 = sized from the bound
  HwOptions hw;          // the accelerator's hardware options (lanes, ...)

  // Throws sdm::Error with a one-line message naming the bad value.
  void validate() const;
};

// JSON (the artifact's and signature.json's `config`): "lanes" always, batch_sums,
// shared_neuron, overlap (when off) and board only when set, so an artifact written before they existed
// round-trips byte for byte.
void to_json(nlohmann::json& j, const Config& c);
void from_json(const nlohmann::json& j, Config& c);  // validates

}  // namespace sdm
