// sweep: design-space exploration on Dask (docs/sweep.md). The driver is Python
// (python/sweep.py): Dask is a Python engine, and every stage it schedules is this same
// executable (eval, convert, rtl, synth, energy), so the numbers are the CLI's own.
#include <unistd.h>

#include <climits>
#include <cstdlib>
#include <memory>
#include <vector>

#include <fmt/core.h>

#include "apps/commands.h"
#include "golden/error.h"
#include "golden/paths.h"

namespace sdm::cli {
namespace {

struct SweepOpts {
  std::string python = "python3";
  std::vector<std::string> args;
};

[[noreturn]] void run(const SweepOpts& o) {
  const std::string driver = data_paths().root + "/python/sweep.py";
  if (access(driver.c_str(), R_OK) != 0) throw Error(fmt::format("sweep driver '{}' is missing", driver));
  char self[PATH_MAX];
  const ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
  if (n <= 0) throw Error("cannot resolve the sdmforge executable's path");
  self[n] = 0;
  setenv("SDMFORGE", self, 1);  // every stage runs this executable
  std::vector<std::string> argv = {o.python, driver};
  argv.insert(argv.end(), o.args.begin(), o.args.end());
  std::vector<char*> c;
  for (auto& s : argv) c.push_back(s.data());
  c.push_back(nullptr);
  execvp(c[0], c.data());
  throw Error(fmt::format("cannot run '{}' (install with: bash scripts/setup.sh)", o.python));
}

void reg(CLI::App& app) {
  auto o = std::make_shared<SweepOpts>();
  auto* s = app.add_subcommand(
      "sweep", "Design-space exploration on Dask: accuracy, clips/s, LUTs, energy, Pareto front "
               "(options: sdmforge sweep --help)");
  s->set_help_flag();  // --help goes to the driver, which owns the options
  s->prefix_command();
  s->add_option("--python", o->python, "Python with dask.distributed (default python3)");
  s->callback([o, s] {
    o->args = s->remaining();
    run(*o);
  });
}

}  // namespace
}  // namespace sdm::cli

SDM_REGISTER_COMMAND(75, sdm::cli::reg);
