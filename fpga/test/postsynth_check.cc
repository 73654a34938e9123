// Post-synthesis check of a generated accelerator: Yosys `synth_ice40` of sdm_accel,
// `write_verilog -noattr`, and the netlist simulated with Yosys's iCE40 cell models
// (cells_sim.v) on a few clips — under Verilator (--binary --timing) by default: Icarus on
// the ~17 K-cell netlist printed nothing for one clip in 14 CPU-minutes, Verilator runs
// three in seconds (after a few minutes of compiling); `--netlist-sim icarus` keeps the old
// path. Class, logits and cycles must equal the golden
// integer model (IntSnn) and the cycle model (signature.json predicted_cycles.per_clip).
// The same testbench first runs on the RTL, so that a testbench fault is told apart from a
// synthesis mismatch.
//
//   fpga_postsynth_check --design DIR --net NET.sdm --data SPLIT --clips N --work WORK
//       --yosys EXE --cells CELLS_SIM.v --tb tb_accel.v [--synth-args "-dsp"] [--no-rtl]
//       [--netlist-sim verilator|icarus]
#include <sys/stat.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <fmt/core.h>
#include <nlohmann/json.hpp>

#include "data/dataset.h"
#include "fpga/flow.h"
#include "golden/artifact.h"
#include "golden/snn_int.h"

namespace fs = std::filesystem;

namespace {

struct Expect {
  int cls;
  std::vector<int64_t> logits;
};

struct Got {
  int cls = -1;
  long long cycles = -1;
  std::vector<int64_t> logits;
};

int fail(const std::string& m) {
  std::fprintf(stderr, "FAIL: %s\n", m.c_str());
  return 1;
}

double since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

// Runs the testbench on `sources` with Icarus (or Verilator); returns the RESULT lines parsed.
std::vector<Got> simulate(const std::string& tag, const std::vector<std::string>& sources,
                          const std::string& tb, const nlohmann::json& sig, long clips,
                          const std::string& work, const std::string& cwd,
                          bool verilator = false) {
  using sdm::fpga::run_tool;
  std::string log = work + "/" + tag + ".log", vvp = work + "/" + tag + ".vvp",
              out = work + "/" + tag + ".out";
  fs::remove(log);
  std::vector<std::string> cmd = {"iverilog", "-g2012", "-o", vvp, "-s", "tb_accel"};
  std::string exe;
  if (verilator) {
    const std::string mdir = work + "/obj_" + tag;
    exe = mdir + "/Vtb_accel";
    // Yosys's cell models are not lint-clean; their warnings are not this check's subject.
    cmd = {"verilator", "--binary", "--timing", "-O1", "-Wno-fatal", "-Wno-lint", "-Wno-style",
           "--top-module", "tb_accel", "--Mdir", mdir, "-j", "2"};
  }
  auto P = [&](const char* k, long long v) {
    cmd.push_back(verilator ? fmt::format("-G{}={}", k, v) : fmt::format("-Ptb_accel.{}={}", k, v));
  };
  P("CLIP_BYTES", sig["clip_bytes"].get<long long>());
  P("NUM_CLIPS", clips);
  P("NUM_CLASSES", sig["num_classes"].get<long long>());
  P("CLASS_W", sig["class_width"].get<long long>());
  P("LOGIT_W", sig["logit_width"].get<long long>());
  P("MAX_CYCLES", 4 * sig["predicted_cycles"]["per_clip"].get<long long>() + 10000);
  // Port default values in cells_sim.v are SystemVerilog Icarus rejects; the netlist
  // connects every port anyway.
  cmd.push_back("-DNO_ICE40_DEFAULT_ASSIGNMENTS");
  cmd.push_back(tb);
  for (const auto& s : sources) cmd.push_back(s);
  if (run_tool(cmd, cwd, log) != 0)
    throw std::runtime_error(std::string(verilator ? "verilator" : "iverilog") + " failed, see " + log);
  // clips.hex is read from cwd; the RTL's ROM files too.
  if (!fs::equivalent(work, cwd))  // the netlist run works in `work` itself
    fs::copy_file(work + "/clips.hex", cwd + "/clips.hex", fs::copy_options::overwrite_existing);
  if (run_tool(verilator ? std::vector<std::string>{exe} : std::vector<std::string>{"vvp", "-n", vvp},
               cwd, log, "", out) != 0)
    throw std::runtime_error("simulation failed, see " + log);
  std::ifstream f(out);
  std::vector<Got> r;
  for (std::string line; std::getline(f, line);) {
    if (line.rfind("TIMEOUT", 0) == 0) throw std::runtime_error(tag + ": " + line);
    if (line.rfind("RESULT ", 0) != 0) continue;
    std::istringstream ss(line.substr(7));
    long idx;
    Got g;
    ss >> idx >> g.cls >> g.cycles;
    for (long long v; ss >> v;) g.logits.push_back(v);
    r.push_back(g);
  }
  return r;
}

int compare(const std::string& tag, const std::vector<Got>& got, const std::vector<Expect>& want,
            long long predicted) {
  if (got.size() != want.size())
    return fail(fmt::format("{}: {} results for {} clips", tag, got.size(), want.size()));
  for (size_t i = 0; i < got.size(); ++i) {
    if (got[i].cls != want[i].cls || got[i].logits != want[i].logits ||
        got[i].cycles != predicted)
      return fail(fmt::format("{}: clip {}: class {} logits {} cycles {}; golden class {} logits {} "
                              "cycles {}",
                              tag, i, got[i].cls, nlohmann::json(got[i].logits).dump(),
                              got[i].cycles, want[i].cls, nlohmann::json(want[i].logits).dump(),
                              predicted));
    std::printf("%s: clip %zu: class %d, logits and %lld cycles equal the golden model\n",
                tag.c_str(), i, got[i].cls, got[i].cycles);
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  std::string design, net, data, work, yosys = "yosys", cells, tb, synth_args;
  long clips = 3;
  bool rtl = true;
  std::string netlist_sim = "verilator";
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto val = [&]() -> std::string { return i + 1 < argc ? argv[++i] : ""; };
    if (a == "--design") design = val();
    else if (a == "--net") net = val();
    else if (a == "--data") data = val();
    else if (a == "--clips") clips = std::stol(val());
    else if (a == "--work") work = val();
    else if (a == "--yosys") yosys = val();
    else if (a == "--cells") cells = val();
    else if (a == "--tb") tb = val();
    else if (a == "--synth-args") synth_args = val();
    else if (a == "--no-rtl") rtl = false;
    else if (a == "--netlist-sim") netlist_sim = val();
    else return fail("unknown option '" + a + "'");
  }
  if (netlist_sim != "verilator" && netlist_sim != "icarus")
    return fail("--netlist-sim must be verilator or icarus, not '" + netlist_sim + "'");
  if (design.empty() || net.empty() || data.empty() || work.empty() || cells.empty() || tb.empty())
    return fail("usage: fpga_postsynth_check --design DIR --net NET.sdm --data SPLIT --work WORK "
                "--cells cells_sim.v --tb tb_accel.v [--yosys EXE] [--clips N]");
  try {
    design = fs::absolute(design).string();
    work = fs::absolute(work).string();
    fs::create_directories(work);
    auto sig = nlohmann::json::parse(std::ifstream(design + "/signature.json"));
    const long long predicted = sig["predicted_cycles"]["per_clip"].get<long long>();
    sdm::Artifact a = sdm::load_artifact(net);
    sdm::Dataset d = sdm::load_dataset(data, static_cast<size_t>(clips));
    clips = std::min<long>(clips, static_cast<long>(d.size()));
    if (static_cast<long long>(d.clip_size()) != sig["clip_bytes"].get<long long>())
      return fail("data clip size differs from the design's clip_bytes");
    std::vector<Expect> want;
    std::ofstream hex(work + "/clips.hex");
    for (long c = 0; c < clips; ++c) {
      sdm::IntSnn sim(a.qnet);
      sim.run(d.clip(static_cast<size_t>(c)));
      want.push_back({sim.predicted_class(), sim.logit_acc()});
      for (size_t i = 0; i < d.clip_size(); ++i)
        hex << fmt::format("{:02x}\n", d.clip(static_cast<size_t>(c))[i]);
    }
    hex.close();

    std::vector<std::string> vsrc;
    for (const auto& f : sig["files"])
      if (fs::path(f.get<std::string>()).extension() == ".v") vsrc.push_back(design + "/" + f.get<std::string>());

    if (rtl) {
      auto t0 = std::chrono::steady_clock::now();
      auto g = simulate("rtl", vsrc, tb, sig, clips, work, design);
      if (int rc = compare("rtl", g, want, predicted)) return rc;
      std::printf("rtl simulation: %.1f s\n", since(t0));
    }

    // Synthesis of the accelerator alone (no board top), ROM contents baked in.
    auto t0 = std::chrono::steady_clock::now();
    std::string ys = "";
    for (const auto& s : vsrc) ys += "read_verilog " + s + "\n";
    ys += "synth_ice40 -top sdm_accel " + synth_args + "\n";
    ys += "tee -o " + work + "/stat.txt stat\n";
    ys += "write_verilog -noattr " + work + "/netlist.v\n";
    std::ofstream(work + "/postsynth.ys") << ys;
    std::string ylog = work + "/yosys.log";
    fs::remove(ylog);
    if (sdm::fpga::run_tool({yosys, "-q", "-l", ylog, "-s", work + "/postsynth.ys"}, design,
                            work + "/yosys_run.log") != 0)
      return fail("yosys failed, see " + ylog);
    std::printf("synth_ice40 + write_verilog: %.1f s (%s)\n", since(t0), yosys.c_str());

    t0 = std::chrono::steady_clock::now();
    // The netlist runs in WORK so that no RTL ROM file can be picked up by accident.
    auto g = simulate("netlist", {work + "/netlist.v", cells}, tb, sig, clips, work, work,
                      netlist_sim == "verilator");
    if (int rc = compare("netlist", g, want, predicted)) return rc;
    std::printf("netlist simulation (%s, compile included): %.1f s\nPASS: the synthesized netlist "
                "of %s equals the golden model on %ld clips\n",
                netlist_sim.c_str(), since(t0), design.c_str(), clips);
    return 0;
  } catch (const std::exception& e) {
    return fail(e.what());
  }
}
