#include "testbench/cosim.h"

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sys/stat.h>

#include <fmt/core.h>

#include "data/dataset.h"
#include "golden/error.h"
#include "golden/paths.h"

namespace sdm {
namespace {

namespace fs = std::filesystem;

bool exists(const std::string& p) {
  struct stat st;
  return ::stat(p.c_str(), &st) == 0;
}
double mtime(const std::string& p) {
  struct stat st;
  if (::stat(p.c_str(), &st) != 0) return 0;
  return double(st.st_mtim.tv_sec) + st.st_mtim.tv_nsec * 1e-9;
}
std::string shq(const std::string& s) {
  std::string r = "'";
  for (char c : s) r += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return r + "'";
}

// A relative folder means relative to this process's working directory (what a caller
// using subprocess(cwd=...) or chdir expects), never to $PWD, which a parent shell may
// have left pointing elsewhere; absolute also because the commands below `cd` first.
std::string absolute_path(const std::string& p) {
  std::error_code ec;
  fs::path a = fs::absolute(p, ec);
  if (ec) throw Error(fmt::format("cannot resolve '{}': {}", p, ec.message()));
  return a.lexically_normal().string();
}

}  // namespace

std::string build_cosim(const std::string& dir_arg, bool quiet) {
  const std::string dir = absolute_path(dir_arg);
  if (!exists(dir + "/sdm_accel.v") || !exists(dir + "/net.sdm"))
    throw Error(fmt::format("'{}' is not a design folder from `sdmforge rtl` (no sdm_accel.v / net.sdm)", dir));
  const std::string obj = dir + "/obj_dir";
  const std::string exe = obj + "/Vsdm_accel";
  // Bench, headers and libraries of this build tree or install (golden/paths.h).
  const DataPaths& dp = data_paths();
  const std::string bench = dp.root + "/testbench/cosim_bench.cc";
  double newest = std::max({mtime(dir + "/sdm_accel.v"), mtime(dir + "/sd_neuron.v"), mtime(bench),
                            mtime(dp.golden_lib), mtime(dp.data_lib)});
  // The bench compiles against these headers: a change must rebuild it (a stale layout crashes).
  for (const char* h : {"golden/snn_int.h", "golden/qnet.h", "golden/artifact.h", "golden/config.h",
                        "golden/neuron.h", "golden/ir.h", "golden/fileio.h", "data/dataset.h"})
    newest = std::max(newest, mtime(dp.include + "/" + h));
  if (exists(exe) && mtime(exe) >= newest) return exe;
  if (std::system("command -v verilator > /dev/null 2>&1") != 0)
    throw Error("verilator not found: run `bash scripts/setup.sh`");
  if (!quiet) std::fprintf(stderr, "cosim: verilating %s (once per design: one to several minutes)\n", dir.c_str());
  const std::string log = dir + "/verilator_build.log";
  // -Wall: the generated RTL must lint clean; ROM files are read relative to the cwd.
  const std::string cmd = fmt::format(
      "cd {} && verilator --cc --exe --build -j 2 -Wall --trace-fst --top-module sdm_accel -Mdir obj_dir "
      "-O3 --x-assign fast --x-initial fast --noassert "
      "-CFLAGS {} -LDFLAGS {} sdm_accel.v sd_neuron.v {} > {} 2>&1",
      shq(dir),
      shq(fmt::format("-std=c++17 -O2 -I{}", dp.include)),
      shq(fmt::format("{} {} {} -lz -pthread", dp.golden_lib, dp.data_lib, SDM_FMT_LIB)), shq(bench),
      shq(log));
  if (std::system(cmd.c_str()) != 0 || !exists(exe))
    throw Error(fmt::format("verilating '{}' failed; see {}", dir, log));
  return exe;
}

CosimResult run_cosim(const CosimOptions& o) {
  if (o.clips < 1) throw Error(fmt::format("clips = {} must be >= 1", o.clips));
  if (o.first < 0) throw Error(fmt::format("--first {} must be >= 0", o.first));
  {  // a first clip past the end would compare nothing and report "0 mismatches"
    const size_t n = load_dataset(o.data).size();
    if (size_t(o.first) >= n)
      throw Error(fmt::format("--first {} is outside the {} clips of '{}' (0..{})", o.first, n, o.data, long(n) - 1));
  }
  const auto t0 = std::chrono::steady_clock::now();
  const std::string design = absolute_path(o.design_dir), data = absolute_path(o.data);
  const std::string exe = build_cosim(design, o.quiet);
  const auto t1 = std::chrono::steady_clock::now();
  const std::string out = design + "/cosim.json";
  std::remove(out.c_str());
  // The bench runs in the design folder so $readmemh finds the ROM files.
  const std::string cmd =
      fmt::format("cd {} && {} --design . --data {} --clips {} --first {} --json cosim.json {} {}", shq(design),
                  shq(exe), shq(data), o.clips, o.first, o.wave ? "--wave" : "", o.quiet ? "2>/dev/null" : "");
  const int rc = std::system(cmd.c_str());
  std::ifstream f(out);
  if (!f) throw Error(fmt::format("co-simulation of '{}' produced no report (exit {})", design, rc));
  CosimResult r;
  r.raw = nlohmann::json::parse(f);
  if (r.raw.contains("error"))  // the bench stopped before comparing (e.g. clips of the wrong shape)
    throw Error(fmt::format("co-simulation of '{}': {}", design, r.raw["error"].get<std::string>()));
  r.clips = r.raw.value("clips", 0);
  r.mismatches = r.raw.value("mismatches", 0L);
  r.cycles_per_clip = r.raw.value("cycles_per_clip", std::vector<long>{});
  r.predicted_cycles = r.raw.value("predicted_cycles", 0L);
  r.first_mismatch = r.raw.value("first_mismatch", std::string());
  r.sim_cycles_per_s = r.raw.value("sim_cycles_per_s", 0.0);
  r.build_seconds = std::chrono::duration<double>(t1 - t0).count();
  r.run_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t1).count();
  return r;
}

nlohmann::json to_json(const CosimResult& r) {
  nlohmann::json j = r.raw;
  j["clips"] = r.clips;
  j["mismatches"] = r.mismatches;
  j["cycles_per_clip"] = r.cycles_per_clip;
  j["predicted_cycles"] = r.predicted_cycles;
  j["first_mismatch"] = r.first_mismatch.empty() ? nlohmann::json(nullptr) : nlohmann::json(r.first_mismatch);
  j["sim_cycles_per_s"] = r.sim_cycles_per_s;
  j["build_seconds"] = r.build_seconds;
  j["run_seconds"] = r.run_seconds;
  return j;
}

}  // namespace sdm
