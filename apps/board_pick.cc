#include "apps/board_pick.h"

#include <cmath>
#include <vector>

#include <fmt/core.h>

#include "fpga/boards.h"
#include "fpga/estimate.h"
#include "golden/error.h"

namespace sdm::cli {
namespace {

GeneratedDesign pick_for_board(const Artifact& a, const Config& c, const ConfigFlags::HwPins& pins) {
  const fpga::Board& b = fpga::find_board(c.hw.board);
  const std::vector<int> lanes_list =
      pins.lanes ? std::vector<int>{c.hw.lanes} : std::vector<int>{1, 2, 3, 4, 6, 8, 12, 16, 24, 32, 48, 64};
  auto choices = [](bool pinned, bool v) { return pinned ? std::vector<bool>{v} : std::vector<bool>{false, true}; };
  const std::vector<bool> bs_list = choices(pins.batch_sums, c.hw.batch_sums);
  const std::vector<bool> sn_list = choices(pins.shared_neuron, c.hw.shared_neuron);
  // with overlap a design never takes more cycles; without it, fewer logic cells
  const std::vector<bool> ov_list = pins.overlap ? std::vector<bool>{c.hw.overlap} : std::vector<bool>{true, false};
  // input channels per lane and cycle: the powers of two that divide the lane count
  const std::vector<int> simd_list = pins.simd ? std::vector<int>{c.hw.simd} : std::vector<int>{1, 2, 4, 8, 16};
  // output positions per cycle: 2 needs a second read port, which only the ECP5's block RAM
  // has (iCE40 SPRAM and EBR have one: Yosys would duplicate every memory a folded stage reads)
  const std::vector<int> pos_list = pins.positions ? std::vector<int>{c.hw.positions}
                                    : b.family == fpga::Family::ice40 ? std::vector<int>{1}
                                                                      : std::vector<int>{1, 2};
  long best_cycles = -1;
  int best_logic = 0;
  GeneratedDesign best;
  nlohmann::json chosen;
  std::string first_overflow;
  // every configuration searched, in one list (one lane with a shared neuron is the same design)
  std::vector<HwOptions> candidates;
  for (int L : lanes_list)
    for (int S : simd_list)
      for (int P : pos_list)
        for (bool bs : bs_list)
          for (bool sn : sn_list)
            for (bool ov : ov_list) {
              if (sn && L == 1 && sn_list.size() > 1) continue;
              if (L % S != 0) continue;  // (both given: resolve already refused it in one line)
              if (P == 2 && (L % 2 != 0 || sn)) continue;  // (check_positions; pinned: refused already)
              HwOptions opt = c.hw;
              opt.lanes = L, opt.simd = S, opt.positions = P, opt.batch_sums = bs, opt.shared_neuron = sn,
              opt.overlap = ov;
              opt.board = b.name;
              candidates.push_back(opt);
            }
  for (const HwOptions& opt : candidates) {
    GeneratedDesign d = generate_accelerator(a, opt);
    const fpga::ResourceEstimate e = fpga::estimate_resources(d.signature, b);
    if (!e.fits) {
      if (first_overflow.empty())
        first_overflow = fmt::format("{} lane{}{}{}: {}", opt.lanes, opt.lanes == 1 ? "" : "s",
                                     opt.simd > 1 ? fmt::format(" x simd {}", opt.simd) : "",
                                     opt.positions > 1 ? fmt::format(" x {} positions", opt.positions) : "", e.overflow);
      continue;
    }
    const long cyc = d.signature["predicted_cycles"]["per_clip"].get<long>();
    if (best_cycles < 0 || cyc < best_cycles || (cyc == best_cycles && e.need.logic < best_logic)) {
      best_cycles = cyc, best_logic = e.need.logic, best = std::move(d);
      chosen = to_json(opt);
      chosen.update({{"board", b.name}, {"predicted_cycles", cyc},
                     {"estimate", {{"logic", e.need.logic}, {"logic_avail", e.have.logic}, {"bram", e.need.bram},
                                   {"bram_avail", e.have.bram}, {"spram", e.need.spram}, {"spram_avail", e.have.spram},
                                   {"mult", e.need.mult}, {"mult_avail", e.have.mult}}}});
      const fpga::DeviceLimit dl = fpga::device_limit(best.signature, b);
      chosen["device_limit"] = {{"products_per_cycle", dl.products()},
                                {"mult_products", dl.mult_products},
                                {"lut_products", dl.lut_products},
                                {"lut4_per_product", std::round(dl.lut4_per_product * 10) / 10}};
    }
  }
  if (best_cycles < 0) throw Error(fmt::format("no configuration fits {} ({}): {}", b.name, b.part, first_overflow));
  best.signature["board_choice"] = chosen;
  best.files["signature.json"] = best.signature.dump(2) + "\n";
  return best;
}

}  // namespace

GeneratedDesign design_for(const Artifact& a, const Config& c, const ConfigFlags::HwPins& pins) {
  return c.hw.board.empty() ? generate_accelerator(a, c.hw) : pick_for_board(a, c, pins);
}

std::string board_choice_line(const nlohmann::json& sig) {
  if (!sig.contains("board_choice")) return "";
  const HwOptions opt = hw_options_of_signature(sig);
  const auto& e = sig["board_choice"]["estimate"];
  return fmt::format("{}: {} lane{}{}{}{}{}{}, the fewest cycles whose estimate fits (logic {}/{}, block RAM {}/{}, "
                     "SPRAM {}/{}, multipliers {}/{}; check with `sdmforge synth`)",
                     opt.board, opt.lanes, opt.lanes == 1 ? "" : "s",
                     opt.simd > 1 ? fmt::format(", --simd {}", opt.simd) : "",
                     opt.positions > 1 ? fmt::format(", --positions {}", opt.positions) : "", opt.batch_sums ? ", --batch-sums" : "",
                     opt.shared_neuron ? ", --shared-neuron" : "", opt.overlap ? "" : ", --no-overlap", e["logic"].get<int>(), e["logic_avail"].get<int>(),
                     e["bram"].get<int>(), e["bram_avail"].get<int>(), e["spram"].get<int>(),
                     e["spram_avail"].get<int>(), e["mult"].get<int>(), e["mult_avail"].get<int>());
}

}  // namespace sdm::cli
