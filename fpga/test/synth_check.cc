// Real Yosys + nextpnr runs on the fixture (CTest label synth).
//   --mode build: one iCEBreaker build at 30 MHz; checks utilization, Fmax, bitstream;
//                 then the ROM patch path: new weights change the bitstream, the original
//                 weights give back the identical bitstream, a changed architecture is refused.
//   --mode fit:   lane search 4..16 at 20 MHz must pick 8 (16 overflows the UP5K's 30 block RAMs).
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <string>

#include "fpga/fixture.h"
#include "fpga/flow.h"
#include "golden/error.h"

namespace fs = std::filesystem;
using namespace sdm::fpga;

namespace {

int failures = 0;
void check(bool ok, const std::string& what) {
  std::printf("%s: %s\n", ok ? "ok  " : "FAIL", what.c_str());
  if (!ok) ++failures;
}

std::string slurp(const std::string& p) {
  std::ifstream f(p, std::ios::binary);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

Tools g_tools = Tools::yowasp;

SynthOptions options() {
  SynthOptions o;
  o.tools = g_tools;
  o.board = "icebreaker";
  o.freq_mhz = 30;
  o.progress = [](const std::string& s) { std::printf("%s\n", s.c_str()); std::fflush(stdout); };
  return o;
}

int build(const std::string& work) {
  fs::remove_all(work);
  std::string acc = write_fixture(fixture_dir(), work + "/acc", 2);
  SynthResult r = synthesize(acc, options());
  std::printf("%s\n", r.to_json().dump(2).c_str());
  check(r.fits, "fixture fits the UP5K");
  check(r.overflow.empty(), "no overflow");
  check(r.lut.used > 100 && r.lut.used < r.lut.avail, "LUT count plausible");
  check(r.ff.used > 50, "flip-flops counted");
  check(r.bram.used >= 2 && r.bram.avail == 30, "weight ROM in block RAM (30 on UP5K)");
  check(r.dsp.used >= 1 && r.dsp.avail == 8, "multipliers in SB_MAC16 (-dsp)");
  check(std::abs(r.target_mhz - 30.0) < 1e-6, "PLL gives exactly 30 MHz from 12 MHz");
  check(r.fmax_mhz > 0, "Fmax reported");
  check(r.meets_timing == (r.fmax_mhz >= r.target_mhz), "meets_timing agrees with Fmax");
  check(fs::exists(r.bitstream) && fs::file_size(r.bitstream) > 100000, "bitstream written");
  check(r.tool_versions.at("yosys").find("Yosys") != std::string::npos, "yosys version recorded");
  check(r.tool_versions.at("nextpnr").find("Version") != std::string::npos, "nextpnr version recorded");
  std::string original = slurp(r.bitstream);

  // New weights, same architecture: patched in place.
  std::string hex = slurp(acc + "/fixture_weights.hex");
  std::mt19937 rng(99);
  std::string other;
  for (int i = 0; i < 1024; ++i) {
    char b[4];
    std::snprintf(b, sizeof b, "%02x\n", static_cast<unsigned>(rng() & 0xff));
    other += b;
  }
  std::ofstream(acc + "/fixture_weights.hex") << other;
  SynthResult p = patch_weights(acc, options());
  check(slurp(p.bitstream) != original, "patched bitstream differs with new weights");
  std::ofstream(acc + "/fixture_weights.hex") << hex;
  p = patch_weights(acc, options());
  check(slurp(p.bitstream) == original, "patching the original weights back restores the bitstream");

  // Different architecture: refused, naming what changed.
  write_fixture(fixture_dir(), acc, 4);
  std::string msg;
  try {
    patch_weights(acc, options());
  } catch (const sdm::Error& e) {
    msg = e.what();
  }
  std::printf("refusal: %s\n", msg.c_str());
  check(msg.find("architecture changed") != std::string::npos && msg.find("lanes") != std::string::npos,
        "patch refused after a lane change, naming 'lanes'");
  return failures ? 1 : 0;
}

int fit(const std::string& work) {
  fs::remove_all(work);
  auto regen = [&](int lanes) {
    return write_fixture(fixture_dir(), work + "/lanes" + std::to_string(lanes), lanes);
  };
  SynthOptions o = options();
  // 8 lanes reach ~23 MHz; 16 lanes overflow the block RAM. 18 MHz is exact from the PLL
  // and 6 clocks per bit at the default 3 Mbaud (20 MHz is 6.6: refused by the UART rule).
  o.freq_mhz = 18;
  FitResult f = fit_lanes(regen, o, 4, 16);
  std::printf("%s\n", f.to_json().dump(2).c_str());
  check(f.best_lanes == 8, "largest fitting lane count is 8");
  check(!f.tried.empty() && !f.tried.back().fits, "16 lanes do not fit");
  check(!f.tried.empty() && f.tried.back().overflow.find("ICESTORM_RAM") != std::string::npos,
        "overflow names ICESTORM_RAM");
  return failures ? 1 : 0;
}

}  // namespace

int main(int argc, char** argv) {
  std::string mode, work;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string a = argv[i];
    if (a == "--mode") mode = argv[i + 1];
    else if (a == "--work") work = argv[i + 1];
    else if (a == "--tools") g_tools = parse_tools(argv[i + 1]);
  }
  try {
    if (mode == "build") return build(work);
    if (mode == "fit") return fit(work);
  } catch (const std::exception& e) {
    std::printf("FAIL: %s\n", e.what());
    return 1;
  }
  std::fprintf(stderr, "usage: %s --mode build|fit --work DIR\n", argv[0]);
  return 2;
}
