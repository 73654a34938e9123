// Co-simulation runner: Verilates a generated design folder (once; cached in
// DIR/obj_dir) together with testbench/cosim_bench.cc and the golden model, runs it on
// clips and returns the comparison. Used by `sdmforge cosim` and `sdmforge run`.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace sdm {

struct CosimOptions {
  std::string design_dir;  // from `sdmforge rtl` (holds net.sdm and signature.json)
  std::string data;        // split folder or dataset root
  int clips = 20;
  int first = 0;
  bool wave = false;       // FST of every clip (mismatches always get one)
  bool quiet = false;
};

struct CosimResult {
  int clips = 0;
  long mismatches = 0;
  std::vector<long> cycles_per_clip;
  long predicted_cycles = 0;
  std::string first_mismatch;
  double sim_cycles_per_s = 0;
  double build_seconds = 0, run_seconds = 0;
  nlohmann::json raw;  // the bench's full report
};

// Builds (if needed) and runs the bench. Throws sdm::Error (one line) when Verilator or
// the compiler fails, with the log path.
CosimResult run_cosim(const CosimOptions& o);
// Just the build; returns the bench executable path.
std::string build_cosim(const std::string& design_dir, bool quiet);
nlohmann::json to_json(const CosimResult& r);

}  // namespace sdm
