// The accelerator of a configuration: generated as configured, or sized for a board
// (`rtl --board B`, `run --board B`) from the resource estimate (fpga/estimate.h).
#pragma once

#include <string>

#include "apps/config_flags.h"
#include "golden/artifact.h"
#include "rtl_gen/accel_gen.h"

namespace sdm::cli {

// c.hw.board set: every lane count and both read modes (those not fixed by `pins`) are
// generated in memory and estimated for the board; the fitting one with the fewest cycles
// per clip wins, ties to the smaller estimate. Nothing fits: one line naming the first
// resource that overflows at the smallest configuration. The winner's signature holds
// `board_choice` (the design is not generated twice). c.hw.board empty: the design of c.hw.
GeneratedDesign design_for(const Artifact& a, const Config& c, const ConfigFlags::HwPins& pins);

// The stderr line naming a board pick ("ulx3s: 16 lanes, --batch-sums, ..."), "" when the
// signature holds no `board_choice`.
std::string board_choice_line(const nlohmann::json& sig);

}  // namespace sdm::cli
