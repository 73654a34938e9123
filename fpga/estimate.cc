#include "fpga/estimate.h"

#include <algorithm>
#include <cmath>
#include <utility>
#include <vector>

#include <fmt/core.h>

#include "golden/error.h"

namespace sdm::fpga {

namespace {

struct Shape {
  long depth;
  int width;
};
// Block RAM shapes Yosys maps a memory onto (iCE40 SB_RAM40_4K, ECP5 DP16KD).
const std::vector<Shape> kEbr = {{256, 16}, {512, 8}, {1024, 4}, {2048, 2}};
const std::vector<Shape> kDp16kd = {{512, 36}, {1024, 18}, {2048, 9}, {4096, 4}, {8192, 2}, {16384, 1}};
// A memory with a second read port (positions = 2) needs DP16KD's true dual port mode, which
// has no 36-bit shape; on the iCE40 (SB_RAM40_4K: one read port, SPRAM: one port) Yosys
// duplicates it.
const std::vector<Shape> kDp16kdTdp = {{1024, 18}, {2048, 9}, {4096, 4}, {8192, 2}, {16384, 1}};
constexpr long kSpramDepth = 16384;
constexpr int kSpramWidth = 16;
// Yosys's memory_libmap picks, per memory, the cheapest mapping by the costs of its iCE40
// library (techlibs/ice40: SB_SPRAM256KA cost 2048, SB_RAM40_4K cost 64); it does not know
// how many blocks the device has. Seen in synthesis at T = 2: a 8,096 x 14 bank went to 28
// EBR (cost 1792 < 2048), the 16,384 x 8 banks to SPRAM (32 EBR, cost 2048: a tie goes to
// SPRAM). The estimate follows the same rule.
constexpr long kSpramCost = 2048, kEbrCost = 64;
constexpr long kLogicRomDepth = 64;  // a ROM this shallow (the bias ROM) is mapped to logic
// iCE40 logic cells of the output unit and of the overlap's hand-off (see estimate_resources)
constexpr int kIceOutputUnitCells = 5128 - 4910, kIceOverlapCells = 5383 - 5128 - 3 * 4 * 19;

// LUT4 per adder-tree bit of a simd > 1 lane (accel_mac.cc psum_*: one ripple adder per bit),
// not fitted: checked against synthesis (YoWASP yosys 0.70 + nextpnr, ECP5-85F, default model,
// 16 lanes x simd 8, seed 1): without --batch-sums 62,677 TRELLIS_COMB placed against an
// estimate of 63,340 (+1.1 %); with --batch-sums (9-bit step operands) about 137,700 LUT4
// before packing (124,274 LUT4 + 6,740 CCU2C) against 147,946 (+7 %: refused either way).
constexpr double kSimdLutPerTreeBit = 1.0;

long blocks(long depth, int width, const std::vector<Shape>& shapes) {
  long best = -1;
  for (const Shape& s : shapes) {
    const long n = (width + s.width - 1) / s.width * ((depth + s.depth - 1) / s.depth);
    if (best < 0 || n < best) best = n;
  }
  return best;
}

// Per-lane datapath bits the logic model scales with: A = T accumulators and the neuron,
// S = the T - 1 shift-add step products (about x_step/2 adders of weight width each).
struct LaneUnits {
  double a, s;
};
LaneUnits lane_units(int T, int acc, int x_step, int weight, int potential) {
  return {double(T) * acc + 2.0 * potential, double(T - 1) * x_step * weight / 2.0};
}

// Measured synthesis runs the logic model is calibrated on (sdmforge synth, YoWASP yosys
// 0.70 + nextpnr, seed 1; default model, alpha 0.2, beta 5, T 4: acc 19, weight 8,
// potential 24, x_step 4, or 9 with --batch-sums): iCE40 SB_LUT4 of the netlist, ECP5
// TRELLIS_COMB of the placed design (what `synth` reports as `lut`).
// The calibration runs' design widths (signature.json `widths` of those designs).
constexpr int kCalT = 4, kCalAcc = 19, kCalWeight = 8, kCalPotential = 24;
struct Point {
  int lanes;
  int x_step;
  int lut4;
};
struct Model {
  double base, ka, ks;     // lut4 = base + lanes * (ka * A + ks * S)
  double logic_per_lut;    // iCE40: logic cells per LUT4 after packing
};
// Three runs fix base, ka and ks (iCE40); with two (ECP5) ks / ka is taken from the iCE40
// fit (the same RTL, LUT4 for LUT4).
Model fit(const std::vector<Point>& pts, double ks_over_ka, double logic_per_lut) {
  auto u = [](const Point& p) { return lane_units(kCalT, kCalAcc, p.x_step, kCalWeight, kCalPotential); };
  Model m{0, 0, 0, logic_per_lut};
  if (pts.size() == 3) {  // rows: base + L*A*ka + L*S*ks = lut (Cramer's rule)
    double M[3][4];
    for (int r = 0; r < 3; ++r) {
      const LaneUnits lu = u(pts[r]);
      M[r][0] = 1, M[r][1] = pts[r].lanes * lu.a, M[r][2] = pts[r].lanes * lu.s, M[r][3] = pts[r].lut4;
    }
    auto det = [&](int c0, int c1, int c2) {
      return M[0][c0] * (M[1][c1] * M[2][c2] - M[1][c2] * M[2][c1]) -
             M[0][c1] * (M[1][c0] * M[2][c2] - M[1][c2] * M[2][c0]) +
             M[0][c2] * (M[1][c0] * M[2][c1] - M[1][c1] * M[2][c0]);
    };
    const double d = det(0, 1, 2);
    m.base = det(3, 1, 2) / d, m.ka = det(0, 3, 2) / d, m.ks = det(0, 1, 3) / d;
  } else {  // base + L*ka*(A + r*S)
    const LaneUnits u0 = u(pts[0]), u1 = u(pts[1]);
    const double w0 = pts[0].lanes * (u0.a + ks_over_ka * u0.s), w1 = pts[1].lanes * (u1.a + ks_over_ka * u1.s);
    m.ka = (pts[1].lut4 - pts[0].lut4) / (w1 - w0);
    m.ks = ks_over_ka * m.ka;
    m.base = pts[0].lut4 - m.ka * w0;
  }
  return m;
}
const Model& model(Family f) {
  // iCE40 logic cells per LUT4: 5523/4918, 6193/5530, 5319/4795 on the UP5K
  static const Model ice = fit({{2, 4, 3952}, {4, 4, 5530}, {2, 9, 4795}}, 0, 1.12);
  static const Model ecp = fit({{4, 4, 6376}, {16, 9, 23047}}, ice.ks / ice.ka, 1.0);
  return f == Family::ice40 ? ice : ecp;
}

}  // namespace

DeviceResources device_resources(const Board& b) {
  if (b.device == "up5k") return {5280, 30, 4, 8};
  if (b.device == "hx8k") return {7680, 32, 0, 0};
  if (b.device == "85k") return {83640, 208, 0, 156};
  if (b.device == "25k") return {24288, 56, 0, 28};
  throw Error(fmt::format("board '{}': no resource table for device '{}'", b.name, b.device));
}

ResourceEstimate estimate_resources(const nlohmann::json& sig, const Board& b) {
  for (const char* k : {"lanes", "widths", "memories", "weight_rom", "bias_rom", "config", "stages"})
    if (!sig.contains(k)) throw Error(fmt::format("signature.json has no '{}' (regenerate with `sdmforge rtl`)", k));
  ResourceEstimate e;
  e.have = device_resources(b);
  const bool ice = b.family == Family::ice40;
  const auto& shapes = ice ? kEbr : kDp16kd;
  const int L = sig["lanes"].get<int>(), T = sig["config"]["T"].get<int>();
  const auto& w = sig["widths"];
  const int x = w["x"].get<int>(), wb = w["weight"].get<int>();
  const int x_step = w.value("x_step", 0);

  // memories: each tensor bank where Yosys maps it (SPRAM when no dearer by its cost model,
  // whether or not the device has that many: the overflow shows then), the weight ROM
  // (with simd > 1 a bank is `slices` memories of `depth` words each)
  for (const auto& m : sig["memories"]) {
    const long depth = m["depth"].get<long>();
    const int width = m["word_bits"].get<int>();
    std::vector<int> widths{width};
    if (m.contains("slice_word_bits")) widths = m["slice_word_bits"].get<std::vector<int>>();
    const bool two_ports = m.value("read_ports", 1) == 2;
    for (int sw : widths) {
      if (two_ports) {
        e.need.bram += int(ice ? 2 * blocks(depth, sw, shapes) : blocks(depth, sw, kDp16kdTdp));
        continue;
      }
      const long sp = (sw + kSpramWidth - 1) / kSpramWidth * ((depth + kSpramDepth - 1) / kSpramDepth);
      const long ebr = blocks(depth, sw, shapes);
      if (e.have.spram > 0 && kSpramCost * sp <= kEbrCost * ebr) e.need.spram += int(sp);
      else e.need.bram += int(ebr);
    }
  }
  e.need.bram += int(blocks(sig["weight_rom"]["words"].get<long>(), sig["weight_rom"]["word_bits"].get<int>(), shapes));
  if (sig["bias_rom"]["words"].get<long>() > kLogicRomDepth)
    e.need.bram += int(blocks(sig["bias_rom"]["words"].get<long>(), sig["bias_rom"]["word_bits"].get<int>(), shapes));

  // multipliers: one wide product per lane and wide simd slice (signature `mac_units`; two
  // SB_MAC16 / MULT18 when an operand exceeds 16 / 18 bits)
  const int mw = ice ? 16 : 18;
  const int per_lane = (x > mw || wb > mw) ? 2 : 1;
  const int wide = sig.contains("mac_units") ? sig["mac_units"].value("wide", L) : L;
  const int simd = sig.contains("mac_units") ? sig["mac_units"].value("simd", 1) : 1;
  const int narrow = sig.contains("mac_units") ? sig["mac_units"].value("shift_add", 0) : 0;
  double lut_mult = 0;
  if (e.have.mult > 0) e.need.mult = wide * per_lane;
  else lut_mult = double(wide) * x * wb;  // no hard multipliers (HX8K): an array multiplier in LUTs

  // logic: the per-family linear model in the lane units
  const Model& md = model(b.family);
  const int pot = w["neuron_potential"].get<int>();
  LaneUnits lu = lane_units(T, w["acc"].get<int>(), x_step, wb, pot);
  // a shared neuron (signature `neurons` = 1) is counted once instead of once per lane
  const bool shared = sig.value("neurons", L) == 1 && L > 1;
  // the output buffer exists where some stage overlaps (rtl_gen HwPlan::any_overlap)
  const bool overlap = std::any_of(sig["stages"].begin(), sig["stages"].end(),
                                   [](const nlohmann::json& s) { return s.value("overlap", false); });
  if (shared) lu.a -= 2.0 * pot;
  // simd > 1: every narrow product the lanes hold (signature mac_units.shift_add), and per lane
  // and step the adder tree and sum register over the slices (simd - 1 adders of acc bits),
  // priced by kSimdLutPerTreeBit (calibrated below)
  double simd_lut = 0;
  if (simd > 1) {
    if (narrow > 0) lu.s = double(narrow) / L * x_step * wb / 2.0;
    simd_lut = double(L) * T * (simd - 1) * w["acc"].get<int>() * kSimdLutPerTreeBit;
  }
  const double lut =
      md.base + L * (md.ka * lu.a + md.ks * lu.s) + (shared ? md.ka * 2.0 * pot : 0.0) + lut_mult + simd_lut;
  e.need.logic = int(std::lround(lut * md.logic_per_lut));
  // The calibration runs predate the output unit (its own state machine and stage decode
  // beside the synapse side's) and the output buffer. Both measured on the UP5K, default
  // model, 3 lanes, shared neuron, T 4, acc 19 bits, seed 1: 5,128 logic cells placed with
  // --no-overlap (the model above: 4,910) and 5,383 with the overlap. The output buffer
  // (L x T accumulator copies, taken at the hand-off) is flip-flops with an enable and no
  // LUT in front: no LUT4 in the netlist, but on the iCE40 each needs a logic cell of its own
  // (nextpnr gives it a pass-through LUT): one cell per bit (228) plus the measured rest
  // (27 for the overlap's hand-off control). ECP5 slices pair flip-flops with their LUTs, so
  // there the buffer costs no LUT4.
  if (ice) {
    e.need.logic += kIceOutputUnitCells;
    if (overlap) e.need.logic += L * T * w["acc"].get<int>() + kIceOverlapCells;
  }

  auto over = [&](const char* what, int need, int have) {
    if (e.overflow.empty() && need > have)
      e.overflow = fmt::format("{} {} needed, {} available (over by {})", what, need, have, need - have);
  };
  over(ice ? "block RAM (EBR, 4 Kbit):" : "block RAM (DP16KD, 18 Kbit):", e.need.bram, e.have.bram);
  over("SPRAM:", e.need.spram, e.have.spram);
  over(ice ? "DSP (SB_MAC16):" : "multipliers (MULT18X18D):", e.need.mult, e.have.mult);
  over(ice ? "logic cells (estimated):" : "LUT4 (estimated):", e.need.logic, e.have.logic);
  e.fits = e.overflow.empty();
  return e;
}

long bram_blocks(const Board& b, long depth, int width) {
  return blocks(depth, width, b.family == Family::ice40 ? kEbr : kDp16kd);
}

DeviceLimit device_limit(const nlohmann::json& sig, const Board& b) {
  for (const char* k : {"widths", "config"})
    if (!sig.contains(k)) throw Error(fmt::format("signature.json has no '{}' (regenerate with `sdmforge rtl`)", k));
  const DeviceResources have = device_resources(b);
  const Model& md = model(b.family);
  const auto& w = sig["widths"];
  const int T = sig["config"]["T"].get<int>();
  const LaneUnits lu = lane_units(T, w["acc"].get<int>(), w.value("x_step", 0), w["weight"].get<int>(),
                                  w["neuron_potential"].get<int>());
  DeviceLimit d;
  d.mult_products = b.family == Family::ice40 ? 2.0 * have.mult : double(have.mult);
  d.lut4_per_product = (md.ka * lu.a + md.ks * lu.s) / T;
  const double spare = double(have.logic) / md.logic_per_lut - md.base;
  d.lut_products = spare > 0 && d.lut4_per_product > 0 ? std::floor(spare / d.lut4_per_product) : 0;
  return d;
}

}  // namespace sdm::fpga
