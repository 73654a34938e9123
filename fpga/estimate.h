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

// Block RAMs of the board's family (iCE40 EBR, ECP5 DP16KD) a depth x width memory maps to,
// with the shapes Yosys uses (the estimate's own rule).
long bram_blocks(const Board& b, long depth, int width);

// The device limit of issue 12's honest utilisation: products per cycle the whole device
// could compute at this design's widths. Hard multipliers (UP5K: 8 SB_MAC16 = 16 8x8
// products; ECP5: one per MULT18X18D) plus the products of T-batched lanes that the LUTs
// left after the fixed logic (the model's base) could hold, at the logic model's LUT4 per
// product (a lane's modelled logic over its T products: accumulators and neuron included,
// since a product without them computes nothing). Throws like estimate_resources.
struct DeviceLimit {
  double mult_products = 0, lut_products = 0, lut4_per_product = 0;
  double products() const { return mult_products + lut_products; }
};
DeviceLimit device_limit(const nlohmann::json& sig, const Board& b);

}  // namespace sdm::fpga
