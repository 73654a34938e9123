// rtl: generate the accelerator for a converted network (SPEC §11).
#include <memory>

#include <fmt/core.h>

#include "apps/board_pick.h"
#include "apps/commands.h"
#include "apps/config_flags.h"
#include "golden/artifact.h"
#include "golden/error.h"
#include "golden/fileio.h"
#include "rtl_gen/accel_gen.h"
#include "rtl_gen/core_file.h"

namespace sdm::cli {
namespace {

struct RtlOpts {
  std::string net, out;
  std::shared_ptr<ConfigFlags> flags;
  std::string json;
};

void run_rtl(const RtlOpts& o) {
  Artifact a = load_artifact(o.net);
  // The hardware options from the flags (the artifact holds none); --board B sizes them
  // for B, keeping the ones given (--board given, even empty: resolve names the value).
  const Config c = o.flags->resolve(&a.cfg);
  GeneratedDesign d = design_for(a, c, o.flags->hw_pins());
  const int lanes = hw_options_of_signature(d.signature).lanes;
  if (d.signature.contains("board_choice"))
    std::fprintf(stderr, "sdmforge: %s\n", board_choice_line(d.signature).c_str());
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
  // --lanes (output channels per cycle), --[no-]batch-sums, --[no-]shared-neuron, --board
  o->flags = std::make_shared<ConfigFlags>(c, ConfigFlags::kHardware);
  c->add_option("--json", o->json, "write the signature JSON here too");
  c->callback([o] { run_rtl(*o); });
}

}  // namespace
}  // namespace sdm::cli

SDM_REGISTER_COMMAND(40, sdm::cli::reg);
