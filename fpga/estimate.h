// Resource estimate of a generated accelerator on a board, from its signature.json, without
// synthesis: what `sdmforge rtl --board B` uses to pick lanes and --batch-sums
// (docs/fpga.md, "Choosing a configuration"). Memories and multipliers are counted from the
// design's structure with the block shapes Yosys maps to; logic is a per-family linear model
// in the datapath widths, calibrated on measured synthesis runs (the table in estimate.cc).
// `synth` remains the judge: the estimate only ranks and prunes.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "fpga/boards.h"

namespace sdm::fpga {

// What the board's device has.
struct DeviceResources {
  int logic = 0;        // iCE40 logic cells (LUT4 + FF) / ECP5 LUT4
  int bram = 0;         // block RAMs: iCE40 EBR (4 Kbit), ECP5 DP16KD (18 Kbit)
  int spram = 0;        // iCE40 UP5K SPRAM (16K x 16)
  int mult = 0;         // UP5K SB_MAC16 / ECP5 MULT18X18D
};
DeviceResources device_resources(const Board& b);

struct ResourceEstimate {
  DeviceResources need, have;
  bool fits = false;
  std::string overflow;  // "" when it fits, else the first overflowing resource and by how much
};

// sig: a signature.json of `sdmforge rtl` (lanes, widths, mac_units, memories, weight_rom).
// Throws sdm::Error if a field it needs is missing.
ResourceEstimate estimate_resources(const nlohmann::json& sig, const Board& b);

}  // namespace sdm::fpga
