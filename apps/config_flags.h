// The flags that make a command's configuration, registered in one place with one help
// text, one default and one limit each (golden/config.h), and resolved once into a
// validated sdm::Config that the command passes on.
//
// Precedence (docs/cli.md, "Settings and precedence"): built-in default < the artifact's
// own setting (NET.sdm: method, alpha, beta, dual, T, weight bits) or, for the hardware
// options (Config::hw: lanes, batch sums, shared neuron, board), the design folder's
// signature.json when a command regenerates one < a flag given on the command line.
// "Given" is CLI11's count(), so `--alpha 0.2` wins even though 0.2 is the default. The
// hardware options and threads are not artifact settings.
#pragma once

#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "golden/config.h"

namespace sdm::cli {

class ConfigFlags {
 public:
  enum : unsigned {
    kMethod = 1, kAlphaBeta = 2, kDual = 4, kT = 8, kWeightBits = 16, kPotBits = 32,
    kLanes = 64, kThreads = 128,  // kLanes: --lanes, --simd and --positions
    kHwOptions = 256,  // --[no-]batch-sums, --[no-]shared-neuron
    kBoard = 512,      // --board B: size the design for B (pick_for_board)
    kNeuron = kMethod | kAlphaBeta | kDual,
    kHardware = kLanes | kHwOptions | kBoard,
  };
  // Registers the flags in `which` on cmd. Flags in `lists` take comma lists (eval's
  // sweeps: --methods, --alpha, --beta, --T); the others take one value.
  ConfigFlags(CLI::App* cmd, unsigned which, unsigned lists = 0, int default_lanes = 8,
              const std::string& default_T = "4");

  // The flag is registered on this command and was given on the command line.
  bool given(const char* flag) const {
    const CLI::Option* opt = cmd_->get_option_no_throw(flag);
    return opt && opt->count() > 0;
  }

  // Defaults < *artifact (if not null; its neuron settings, T and widths) and *design (if
  // not null: a design folder's hardware options, hw_options_of_signature) < flags given;
  // validated (one-line sdm::Error). A list flag contributes its first value. Without a
  // design the hardware options are the command's defaults (lanes: default_lanes).
  Config resolve(const Config* artifact = nullptr, const HwOptions* design = nullptr) const;

  // Which hardware options a flag fixed: --board searches the others (pick_for_board).
  struct HwPins {
    bool lanes = false, batch_sums = false, shared_neuron = false, overlap = false, simd = false, positions = false;
  };
  HwPins hw_pins() const {
    return {given("--lanes"), given("--batch-sums"), given("--shared-neuron"), given("--overlap"), given("--simd"),
            given("--positions")};
  }
  // --board was given (even empty: resolve names the unknown board).
  bool board_given() const { return given("--board"); }

  // The values of a list flag, or {the resolved config c's value} when it was not given.
  std::vector<std::string> methods(const Config& c) const;
  std::vector<double> alphas(const Config& c) const;
  std::vector<int> betas(const Config& c) const;
  // --T's values (its default list when not given), or {artifact->T} for an artifact
  // without --T. Each checked against the T limit.
  std::vector<int> Ts(const Config* artifact) const;

  int threads() const;  // 0 = every core, else checked

 private:
  CLI::App* cmd_;
  unsigned which_, lists_;
  int default_lanes_;
  std::string method_ = "sdm", alpha_ = "0.2", beta_ = "5", T_, board_;
  bool no_dual_ = false, batch_sums_ = false, shared_neuron_ = false, overlap_ = true;
  int weight_bits_ = 8, pot_bits_ = 0;
  long long lanes_ = 8, simd_ = 1, positions_ = 1, threads_ = 0;
};

}  // namespace sdm::cli
