// rtl: generate the accelerator for a converted network (SPEC §11).
#include <cmath>
#include <memory>

#include <fmt/core.h>

#include "apps/commands.h"
#include "apps/config_flags.h"
#include "golden/artifact.h"
#include "golden/error.h"
#include "golden/fileio.h"
#include "fpga/boards.h"
#include "fpga/estimate.h"
#include "rtl_gen/accel_gen.h"
#include "rtl_gen/core_file.h"

namespace sdm::cli {
namespace {

struct RtlOpts {
  std::string net, out;
  std::shared_ptr<ConfigFlags> flags;
  std::string json, board;
  CLI::Option* board_opt = nullptr;
  bool batch_sums = false, shared_neuron = false;
  // given either way (--x or --no-x): kept by --board; not given: --board tries both
  CLI::Option *batch_sums_opt = nullptr, *shared_neuron_opt = nullptr;
};

// `--board B` without --lanes / --batch-sums: every lane count and both read modes are
// generated in memory and estimated (fpga/estimate.h); the fitting one with the fewest
// cycles per clip wins, ties to the smaller estimate. Nothing fits: one line naming the
// first resource that overflows at the smallest configuration. Returns the winning design
// (its signature holds `board_choice`), so it is not generated twice.
GeneratedDesign pick_for_board(const Artifact& a, const fpga::Board& b, const RtlOpts& o) {
  const bool fixed_lanes = o.flags->given("--lanes");
  std::vector<int> lanes_list = fixed_lanes ? std::vector<int>{o.flags->lanes()}
                                            : std::vector<int>{1, 2, 3, 4, 6, 8, 12, 16, 24, 32, 48, 64};
  auto choices = [](const CLI::Option* opt, bool v) {
    return opt->count() > 0 ? std::vector<bool>{v} : std::vector<bool>{false, true};
  };
  const std::vector<bool> bs_list = choices(o.batch_sums_opt, o.batch_sums);
  const std::vector<bool> sn_list = choices(o.shared_neuron_opt, o.shared_neuron);
  long best_cycles = -1;
  int best_logic = 0;
  GeneratedDesign best;
  nlohmann::json chosen;
  std::string first_overflow;
  for (int L : lanes_list)
    for (bool bs : bs_list)
    for (bool sn : sn_list) {
      if (sn && L == 1 && sn_list.size() > 1) continue;  // one lane: the same design
      const HwOptions opt{L, bs, sn};
      GeneratedDesign d = generate_accelerator(a, opt);
      const fpga::ResourceEstimate e = fpga::estimate_resources(d.signature, b);
      if (!e.fits) {
        if (first_overflow.empty()) first_overflow = fmt::format("{} lane{}: {}", L, L == 1 ? "" : "s", e.overflow);
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
  if (best_cycles < 0)
    throw Error(fmt::format("no configuration fits {} ({}): {}", b.name, b.part, first_overflow));
  best.signature["board_choice"] = chosen;
  best.files["signature.json"] = best.signature.dump(2) + "\n";
  return best;
}

void run_rtl(const RtlOpts& o) {
  Artifact a = load_artifact(o.net);
  // --board given, even empty: find_board names the value and lists the boards
  GeneratedDesign d = o.board_opt->count() > 0
                          ? pick_for_board(a, fpga::find_board(o.board), o)
                          : generate_accelerator(a, HwOptions{o.flags->lanes(), o.batch_sums, o.shared_neuron});
  const HwOptions opt = hw_options_from_json(d.signature["hw_options"]);
  const int lanes = opt.lanes;
  if (d.signature.contains("board_choice")) {
    const auto& e = d.signature["board_choice"]["estimate"];
    std::fprintf(stderr, "sdmforge: %s: %d lane%s%s%s, the fewest cycles whose estimate fits (logic %d/%d, "
                 "block RAM %d/%d, SPRAM %d/%d, multipliers %d/%d; check with `sdmforge synth`)\n",
                 o.board.c_str(), lanes, lanes == 1 ? "" : "s", opt.batch_sums ? ", --batch-sums" : "",
                 opt.shared_neuron ? ", --shared-neuron" : "", e["logic"].get<int>(),
                 e["logic_avail"].get<int>(), e["bram"].get<int>(), e["bram_avail"].get<int>(),
                 e["spram"].get<int>(), e["spram_avail"].get<int>(), e["mult"].get<int>(), e["mult_avail"].get<int>());
  }
  // The artifact travels with its RTL (cosim, synth --weights and --fit read it): it is
  // an output too, so `rtl D/net.sdm -o D` is refused before anything is written.
  std::vector<std::string> outs = design_files(d, o.out);
  outs.push_back(o.out + "/net.sdm");
  outs.push_back(o.out + "/sdm_accel.core");
  outs.push_back(o.json);
  check_outputs_not_inputs({o.net}, outs);
  write_design(d, o.out);
  save_artifact(a, o.out + "/net.sdm");  // byte-identical: the format round-trips exactly
  write_fusesoc_core(o.out);  // FuseSoC CAPI2 core: lint and simulation targets
  const auto& pc = d.signature["predicted_cycles"];
  std::fprintf(stderr, "sdmforge: wrote %s/sdm_accel.v (%d lane%s, %zu stages); predicted %ld cycles per clip "
               "(dense bound %ld)\n", o.out.c_str(), lanes, lanes == 1 ? "" : "s", d.signature["stages"].size(),
               pc["per_clip"].get<long>(), pc["dense_bound"].get<long>());
  if (!o.json.empty()) write_output(o.json, d.signature.dump(2) + "\n");
}

void reg(CLI::App& app) {
  auto o = std::make_shared<RtlOpts>();
  auto* c = app.add_subcommand("rtl", "Generate the accelerator RTL (Verilog, ROM files, signature.json, FuseSoC core)");
  c->add_option("net", o->net, "converted network NET.sdm")->required()->check(CLI::ExistingFile);
  c->add_option("-o,--out", o->out, "output folder")->required();
  o->flags = std::make_shared<ConfigFlags>(c, ConfigFlags::kLanes);  // output channels per cycle
  c->add_option("--json", o->json, "write the signature JSON here too");
  o->board_opt = c->add_option("--board", o->board,
                "pick lanes, --batch-sums and --shared-neuron for this board (icebreaker, hx8k, ulx3s, orangecrab) from a "
                "resource estimate: the fewest cycles per clip that fits; --lanes and --[no-]batch-sums / --[no-]shared-neuron given are kept");
  o->shared_neuron_opt = c->add_flag("--shared-neuron,!--no-shared-neuron", o->shared_neuron,
              "one neuron shared by the lanes (fed one lane after another): fewer logic cells, lanes x T "
              "feeds per output group instead of T");
  o->batch_sums_opt = c->add_flag("--batch-sums,!--no-batch-sums", o->batch_sums,
              "also read pooled sums all T time-steps per cycle (wider shift-add products: fewer cycles, more LUTs)");
  c->callback([o] { run_rtl(*o); });
}

}  // namespace
}  // namespace sdm::cli

SDM_REGISTER_COMMAND(40, sdm::cli::reg);
