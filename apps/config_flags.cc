#include "apps/config_flags.h"

#include <fmt/core.h>

#include "apps/cli_util.h"
#include "fpga/boards.h"
#include "golden/error.h"

namespace sdm::cli {

ConfigFlags::ConfigFlags(CLI::App* cmd, unsigned which, unsigned lists, int default_lanes,
                         const std::string& default_T)
    : cmd_(cmd), which_(which), lists_(lists), default_lanes_(default_lanes), T_(default_T), lanes_(default_lanes) {
  auto list = [&](unsigned bit, const char* one, const char* many) {
    return std::string(lists & bit ? many : one);
  };
  if (which & kMethod)
    cmd->add_option(lists & kMethod ? "--methods" : "--method", method_,
                    list(kMethod, "neuron method: sdm, opt, burst, if, rts, snm",
                         "comma list of neuron methods: sdm, opt, burst, if, rts, snm"))
        ->type_name("TEXT")->capture_default_str();
  if (which & kAlphaBeta) {
    cmd->add_option("--alpha", alpha_, list(kAlphaBeta, "threshold scale alpha in (0, 1] (sdm)",
                                            "comma list of threshold scales alpha in (0, 1] (sdm)"))
        ->type_name("FLOAT")->capture_default_str();
    cmd->add_option("--beta", beta_, list(kAlphaBeta, "max burst spikes per step beta, 1..64 (sdm, burst)",
                                          "comma list of max bursts beta, 1..64 (sdm, burst)"))
        ->type_name("INT")->capture_default_str();
  }
  if (which & kDual) cmd->add_flag("--no-dual", no_dual_, "sdm without the negative threshold (ablation)");
  if (which & kT)
    cmd->add_option("--T", T_, list(kT, fmt::format("time-steps, 1..{}", kMaxT).c_str(),
                                    fmt::format("comma list of time-steps, each 1..{}", kMaxT).c_str()))
        ->type_name("INT")->capture_default_str();
  if (which & kWeightBits)
    cmd->add_option("--weight-bits", weight_bits_, "signed synaptic weight width, 2..16")->capture_default_str();
  if (which & kPotBits)
    cmd->add_option("--pot-bits", pot_bits_, "potential width (0 = sized from the overflow bound)")
        ->capture_default_str();
  if (which & kLanes)
    cmd->add_option("--lanes", lanes_, fmt::format("accelerator datapath lanes, 1..{}", kMaxLanes))
        ->capture_default_str();
  if (which & kLanes)
    cmd->add_option("--simd", simd_,
                    fmt::format("input channels each lane adds per cycle (tensors interleaved by channel over this "
                                "many memory slices), a power of two up to {} that divides --lanes",
                                kMaxSimd))
        ->capture_default_str();
  if (which & kLanes)
    cmd->add_option("--positions", positions_,
                    "output positions per cycle, 1 or 2: with 2, a neuron stage with at most lanes/2 output channels "
                    "computes two adjacent output columns per group (half the lanes each, the memories' second read "
                    "port); needs an even lane count and a neuron per lane")
        ->capture_default_str();
  if (which & kHwOptions) {
    cmd->add_flag("--batch-sums,!--no-batch-sums", batch_sums_,
                  "also read pooled sums all T time-steps per cycle (wider shift-add products: fewer cycles, more LUTs)");
    cmd->add_flag("--shared-neuron,!--no-shared-neuron", shared_neuron_,
                  "one neuron shared by the lanes (fed one lane after another): fewer logic cells, lanes x T "
                  "feeds per output group instead of T");
    cmd->add_flag("--overlap,!--no-overlap", overlap_,
                  "run the output unit (neuron feed, write-back) beside the next group's synapse loop from an "
                  "output buffer of lanes x T sums (default on; off: fewer logic cells, more cycles)");
  }
  if (which & kBoard)
    cmd->add_option("--board", board_,
                    "size the design for this board (icebreaker, hx8k, ulx3s, orangecrab) from a resource estimate: "
                    "the fewest cycles per clip that fits; --lanes, --simd, --positions and --[no-]batch-sums / --[no-]shared-neuron / "
                    "--[no-]overlap given are kept");
  if (which & kThreads)
    cmd->add_option("--threads", threads_, fmt::format("worker threads, 1..{} (0 = every core)", kMaxThreads))
        ->capture_default_str();
}

Config ConfigFlags::resolve(const Config* artifact, const HwOptions* design) const {
  Config c;
  c.neuron.method = Method::SDM;
  c.neuron.alpha = 0.2;
  c.neuron.beta = 5;
  c.neuron.dual = true;
  c.T = 4;
  if (artifact) c = *artifact;
  // The hardware options: a design folder's, else the command's defaults (an artifact's
  // "lanes" is a placeholder `convert` writes, not a setting).
  c.hw = design ? *design : HwOptions{};
  if (!design && (which_ & kLanes)) c.hw.lanes = default_lanes_;
  // One value of a flag (a list flag contributes its first).
  auto one = [&](const char* flag, unsigned bit, const std::string& s) {
    std::vector<std::string> v = split(s);
    if (v.empty()) throw Error(fmt::format("{} names no value", flag));
    if (!(lists_ & bit) && v.size() > 1) throw Error(fmt::format("{} takes one value, not '{}'", flag, s));
    return v.front();
  };
  const char* mflag = lists_ & kMethod ? "--methods" : "--method";
  if (given(mflag)) c.neuron.method = parse_method(one(mflag, kMethod, method_));
  if (given("--alpha")) c.neuron.alpha = split_num<double>(one("--alpha", kAlphaBeta, alpha_), "alpha").at(0);
  if (given("--beta")) c.neuron.beta = split_num<int>(one("--beta", kAlphaBeta, beta_), "beta").at(0);
  if (given("--no-dual")) c.neuron.dual = false;
  if (given("--weight-bits")) c.weight_bits = weight_bits_;
  if (given("--pot-bits")) c.pot_bits = pot_bits_;
  if (given("--T") || !artifact) {
    const long long T = split_num<long long>(one("--T", kT, T_), "T").at(0);
    check_T(T);
    c.T = int(T);
  }
  if (given("--lanes")) {
    check_lanes(lanes_);
    c.hw.lanes = int(lanes_);
  }
  if (given("--simd")) {
    check_simd(simd_, c.hw.lanes);
    c.hw.simd = int(simd_);
  }
  if (given("--positions")) {
    check_positions(positions_, c.hw.lanes, c.hw.shared_neuron);
    c.hw.positions = int(positions_);
  }
  if (given("--batch-sums")) c.hw.batch_sums = batch_sums_;
  if (given("--shared-neuron")) c.hw.shared_neuron = shared_neuron_;
  if (given("--overlap")) c.hw.overlap = overlap_;
  if (given("--board")) c.hw.board = fpga::find_board(board_).name;  // unknown: one line naming it
  c.validate();
  return c;
}

std::vector<std::string> ConfigFlags::methods(const Config& c) const {
  const char* mflag = lists_ & kMethod ? "--methods" : "--method";
  if (!given(mflag)) return {method_name(c.neuron.method)};
  std::vector<std::string> v = split(method_);
  if (v.empty()) throw Error(fmt::format("{} names no method", mflag));
  for (const auto& m : v) parse_method(m);
  return v;
}

std::vector<double> ConfigFlags::alphas(const Config& c) const {
  if (!given("--alpha")) return {c.neuron.alpha};
  std::vector<double> v = split_num<double>(alpha_, "alpha");
  if (v.empty()) throw Error("--alpha names no value");
  for (double a : v) NeuronSpec{Method::SDM, a, 1, true}.validate();
  return v;
}

std::vector<int> ConfigFlags::betas(const Config& c) const {
  if (!given("--beta")) return {c.neuron.beta};
  std::vector<int> v = split_num<int>(beta_, "beta");
  if (v.empty()) throw Error("--beta names no value");
  for (int b : v) NeuronSpec{Method::SDM, 1.0, b, true}.validate();
  return v;
}

std::vector<int> ConfigFlags::Ts(const Config* artifact) const {
  if (artifact && !given("--T")) return {artifact->T};
  std::vector<long long> v = split_num<long long>(T_, "T");
  if (v.empty()) throw Error("--T names no time-step count");
  std::vector<int> r;
  for (long long T : v) check_T(T), r.push_back(int(T));
  return r;
}

int ConfigFlags::threads() const { return resolve_threads(threads_); }

}  // namespace sdm::cli
