// `sdmforge synth DIR --board B`: Yosys + nextpnr + pack for a generated accelerator folder
// (fpga/flow.h). Writes the bitstream into DIR/build-<board>/ and a JSON report.
#include <algorithm>
#include <cstdio>
#include <filesystem>

#include <fmt/core.h>

#include "apps/cli_util.h"
#include "apps/commands.h"
#include "fpga/fixture.h"
#include "fpga/flow.h"
#include "golden/artifact.h"
#include "golden/error.h"
#include "rtl_gen/accel_gen.h"

namespace {

namespace fs = std::filesystem;

// The artifact a folder was generated from: --net, else DIR/net.sdm (`sdmforge rtl` copies it).
std::string artifact_of(const std::string& dir, const std::string& net) {
  if (!net.empty()) {
    if (!fs::exists(net)) throw sdm::Error(fmt::format("--net '{}' not found", net));
    return net;
  }
  std::string p = (fs::path(dir) / "net.sdm").string();
  if (!fs::exists(p))
    throw sdm::Error(fmt::format(
        "'{}' holds no net.sdm; pass the artifact it was generated from with --net NET.sdm", dir));
  return p;
}

// Writes the accelerator of `net` with the hardware options hw (a folder's: signature.json
// `hw_options`, hw_options_of_signature) into `out` (and the artifact next to it).
std::string generate(const std::string& net, const sdm::HwOptions& hw, const std::string& out) {
  sdm::Artifact a = sdm::load_artifact(net);
  sdm::GeneratedDesign d = sdm::generate_accelerator(a, hw);
  sdm::write_design(d, out);
  fs::path copy = fs::path(out) / "net.sdm";
  if (!fs::exists(copy) || !fs::equivalent(copy, net))
    sdm::copy_file_atomic(net, copy.string());
  return out;
}

struct SynthArgs {
  std::string dir, board = "icebreaker", json, tools = "yowasp", weights, net;
  std::string freq = "auto", router = "router1";
  double auto_from = 0;
  bool allow_timing_fail = false;
  int baud = 3000000, seed = 1, fit_lo = 1, fit_hi = 64;
  bool fit = false, patch = false;
};

std::string summary(const sdm::fpga::SynthResult& r) {
  if (!r.fits) return fmt::format("{}: does NOT fit ({})\n", r.board, r.overflow);
  std::string s = fmt::format("{}: fits; LUT {}/{}  FF {}/{}  BRAM {}/{}  SPRAM {}/{}  DSP {}/{}\n",
                              r.board, r.lut.used, r.lut.avail, r.ff.used, r.ff.avail, r.bram.used,
                              r.bram.avail, r.spram.used, r.spram.avail, r.dsp.used, r.dsp.avail);
  for (size_t i = 0; i + 1 < r.attempts.size(); ++i)
    s += fmt::format("{}: attempt {}: clock {:.3f} MHz, Fmax {:.2f} MHz: timing failed\n", r.board,
                     i + 1, r.attempts[i].clock_mhz, r.attempts[i].fmax_mhz);
  s += fmt::format("{}: clock {:.3f} MHz ({}), Fmax {:.2f} MHz: {}\nbitstream {}\n", r.board,
                   r.clock_mhz, r.freq_mode, r.fmax_mhz,
                   r.meets_timing ? "timing met"
                                  : (r.timing_fail_allowed ? "TIMING FAILED (--allow-timing-fail)"
                                                           : "TIMING FAILED"),
                   r.bitstream.empty() ? "none" : r.bitstream);
  return s;
}

void reg(CLI::App& app) {
  auto a = std::make_shared<SynthArgs>();
  auto* sub = app.add_subcommand("synth", "Yosys + nextpnr + pack: bitstream, utilization, Fmax");
  sub->add_option("dir", a->dir, "accelerator folder (signature.json, *.v, *.hex)")->required();
  auto* board_opt = sub->add_option("--board", a->board,
                                    "icebreaker | hx8k | ulx3s | orangecrab (default: the board `rtl --board` "
                                    "picked this design for, else icebreaker)")
                        ->capture_default_str();
  sub->add_option("--freq", a->freq,
                  "design clock: auto (the board's target, lowered to what the placement meets) "
                  "or MHz (an error if it fails timing)")
      ->capture_default_str();
  sub->add_option("--auto-from", a->auto_from,
                  "with --freq auto: first try at most this many MHz instead of the board's target");
  sub->add_flag("--allow-timing-fail", a->allow_timing_fail,
                "with an explicit --freq: write the bitstream even if Fmax is below it (flagged)");
  sub->add_option("--tools", a->tools, "yowasp (PyPI, preferred) | debian")->capture_default_str();
  sub->add_option("--baud", a->baud, "UART baud rate of the board link")->capture_default_str();
  sub->add_option("--seed", a->seed, "nextpnr placement seed")->capture_default_str();
  sub->add_option("--router", a->router,
                  "nextpnr router: router1 (nextpnr's default, timing-driven) | router2 (far faster on a full ECP5, lower Fmax)")
      ->capture_default_str();
  sub->add_option("--json", a->json, "write the report JSON to FILE ('-' = stdout)");
  sub->add_flag("--fit", a->fit, "search the largest lane count that fits and meets the clock");
  sub->add_option("--fit-min", a->fit_lo, "smallest lane count for --fit")->capture_default_str();
  sub->add_option("--fit-max", a->fit_hi, "largest lane count for --fit")->capture_default_str();
  sub->add_flag("--patch", a->patch,
                "only the ROM contents (*.hex) changed: patch the previous build's bitstream");
  sub->add_option("--weights", a->weights,
                  "NET.sdm whose weights replace the ROM contents of the previous build "
                  "(same architecture, else refused naming the difference)");
  sub->add_option("--net", a->net,
                  "the artifact DIR was generated from (default DIR/net.sdm); --fit regenerates "
                  "from it");
  sub->callback([a, board_opt] {
    using namespace sdm::fpga;
    // A design `rtl --board B` sized for B is built for B unless --board says otherwise.
    // (The flow's own test fixture holds no hardware options.)
    if (board_opt->count() == 0) {
      const auto sig = read_signature(a->dir);
      const std::string sized_for = sig.raw.contains("fixture") ? "" : sdm::hw_options_of_signature(sig.raw).board;
      if (!sized_for.empty()) a->board = sized_for;
    }
    SynthOptions o;
    o.board = a->board;
    o.freq_mhz = sdm::cli::parse_freq(a->freq);
    o.auto_from_mhz = a->auto_from;
    o.allow_timing_fail = a->allow_timing_fail;
    if (a->allow_timing_fail && o.freq_mhz <= 0)
      throw sdm::Error("--allow-timing-fail needs an explicit --freq MHz (auto never fails timing)");
    if (a->auto_from < 0 || (a->auto_from > 0 && o.freq_mhz > 0))
      throw sdm::Error(fmt::format("--auto-from {} needs --freq auto and a positive MHz", a->auto_from));
    o.tools = parse_tools(a->tools);
    o.baud = a->baud;
    o.seed = a->seed;
    o.router = a->router;
    o.progress = [](const std::string& s) { std::fprintf(stderr, "%s\n", s.c_str()); };
    find_board(a->board);
    if (!a->weights.empty() && (a->fit || a->patch))
      throw sdm::Error("--weights cannot be combined with --fit or --patch");
    nlohmann::json j;
    if (a->fit) {
      auto sig = read_signature(a->dir);
      Regenerate regen;
      if (sig.raw.contains("fixture")) {  // the flow's own test fixture
        std::string src = a->dir;
        regen = [src](int lanes) {
          return write_fixture(src, fmt::format("{}/fit-lanes{}", src, lanes), lanes);
        };
      } else {  // a generated accelerator: regenerate from its artifact
        // the folder's hardware options at each lane count, built for the board synthesized
        std::string net = artifact_of(a->dir, a->net), src = a->dir;
        sdm::HwOptions base = sdm::hw_options_of_signature(sig.raw);
        base.board = find_board(a->board).name;
        regen = [net, src, base](int lanes) {
          sdm::HwOptions hw = base;
          hw.lanes = lanes;
          // the folder's --simd where it divides the lane count, else the largest power of
          // two that does (lanes 1, 2, 4, ...: --fit doubles from --fit-min)
          hw.simd = std::min(base.simd, lanes & -lanes);
          // two positions need an even lane count (lane 1 of --fit-min 1 computes one)
          if (lanes % 2 != 0) hw.positions = 1;
          return generate(net, hw, fmt::format("{}/fit-lanes{}", src, lanes));
        };
      }
      FitResult f = fit_lanes(regen, o, a->fit_lo, a->fit_hi);
      j = f.to_json();
      if (f.best_lanes)
        std::fprintf(stderr, "largest fitting lanes: %d (%s)\n%s", f.best_lanes,
                     f.best_dir.c_str(), summary(f.best).c_str());
      else
        std::fprintf(stderr, "not even %d lanes fit: %s\n", a->fit_lo,
                     f.tried.empty() ? "" : summary(f.tried.back()).c_str());
    } else if (!a->weights.empty()) {
      // New weights, same architecture: regenerate the folder from NET.sdm at the built lane
      // count beside DIR and patch the previous build's bitstream (patch_weights refuses,
      // naming the first difference, when anything but ROM contents changed).
      auto sig = read_signature(a->dir);
      if (sig.lanes < 1) throw sdm::Error(fmt::format("'{}/signature.json' has no lanes", a->dir));
      const sdm::HwOptions hw = sdm::hw_options_of_signature(sig.raw);  // the built design's
      if (!fs::exists(a->weights))
        throw sdm::Error(fmt::format("--weights '{}' not found", a->weights));
      std::string out = (fs::path(a->dir).lexically_normal().string() + "-weights");
      if (fs::path(out).filename() == "-weights") out = "weights-rtl";
      fs::remove_all(out);
      generate(a->weights, hw, out);
      const auto& b = find_board(a->board);
      o.build_dir = (fs::absolute(a->dir) / ("build-" + b.name)).string();
      SynthResult r = patch_weights(out, o);
      j = r.to_json();
      j["weights"] = a->weights;
      j["weights_dir"] = out;
      std::fprintf(stderr, "weights of %s patched (folder %s)\n%s", a->weights.c_str(),
                   out.c_str(), summary(r).c_str());
    } else {
      SynthResult r = a->patch ? patch_weights(a->dir, o) : synthesize(a->dir, o);
      j = r.to_json();
      std::fprintf(stderr, "%s", summary(r).c_str());
    }
    if (!a->json.empty()) sdm::cli::write_output(a->json, j.dump(2) + "\n");
  });
}

}  // namespace

SDM_REGISTER_COMMAND(60, reg);
