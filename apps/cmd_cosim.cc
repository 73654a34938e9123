// cosim: generated RTL vs the integer golden model, spike for spike (SPEC §11).
#include <filesystem>
#include <memory>

#include <fmt/core.h>

#include "apps/cli_util.h"
#include "apps/commands.h"
#include "golden/error.h"
#include "golden/fileio.h"
#include "testbench/cosim.h"

namespace sdm::cli {
namespace {

struct CosimOpts {
  CosimOptions o;
  std::string json;
};

void run(const CosimOpts& c) {
  // Inputs: every file of the design folder (but the report the bench rewrites) and the data.
  std::vector<std::string> inputs = data_inputs(c.o.data);
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(c.o.design_dir, ec))
    if (e.is_regular_file(ec) && e.path().filename() != "cosim.json") inputs.push_back(e.path().string());
  check_outputs_not_inputs(inputs, {c.json});
  CosimResult r = run_cosim(c.o);
  if (r.clips < 1) throw Error("co-simulation compared no clips");  // never a vacuous pass
  nlohmann::json j = to_json(r);
  long maxdev = 0;
  for (long cy : r.cycles_per_clip) maxdev = std::max(maxdev, std::labs(cy - r.predicted_cycles));
  const double dev = r.predicted_cycles ? 100.0 * double(maxdev) / double(r.predicted_cycles) : 0.0;
  j["max_cycle_deviation_percent"] = dev;
  std::fprintf(stderr, "cosim: %d clips, %ld mismatches; cycles/clip %ld (predicted %ld, max deviation %.2f%%); "
               "%.0f simulated cycles/s\n", r.clips, r.mismatches,
               r.cycles_per_clip.empty() ? 0L : r.cycles_per_clip.front(), r.predicted_cycles, dev,
               r.sim_cycles_per_s);
  if (!c.json.empty()) write_output(c.json, j.dump(2) + "\n");
  if (r.mismatches) throw Error("co-simulation mismatch: " + r.first_mismatch);
  // the cycle model is exact (docs/architecture.md): any difference is a fault
  for (size_t k = 0; k < r.cycles_per_clip.size(); ++k)
    if (r.cycles_per_clip[k] != r.predicted_cycles)
      throw Error(fmt::format("clip {} took {} cycles, the prediction is {} (they must be equal)", c.o.first + long(k),
                              r.cycles_per_clip[k], r.predicted_cycles));
}

void reg(CLI::App& app) {
  auto c = std::make_shared<CosimOpts>();
  auto* s = app.add_subcommand("cosim", "Verilator co-simulation of a generated design vs the golden model");
  s->add_option("design", c->o.design_dir, "design folder from `sdmforge rtl`")->required()->check(CLI::ExistingDirectory);
  s->add_option("--data", c->o.data, "split folder or dataset root (its test split)")->required();
  s->add_option("--clips", c->o.clips, "number of clips")->capture_default_str();
  s->add_option("--first", c->o.first, "index of the first clip")->capture_default_str();
  s->add_flag("--wave", c->o.wave, "write an FST waveform of every clip (mismatches always get one)");
  s->add_flag("-q,--quiet", c->o.quiet, "no per-clip lines");
  s->add_option("--json", c->json, "write the JSON report here");
  s->callback([c] { run(*c); });
}

}  // namespace
}  // namespace sdm::cli

SDM_REGISTER_COMMAND(50, sdm::cli::reg);
