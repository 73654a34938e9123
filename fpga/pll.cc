#include "fpga/pll.h"

#include <algorithm>
#include <cmath>

#include <fmt/core.h>

#include "golden/error.h"

namespace sdm::fpga {

namespace {
int ice40_filter_range(double fpfd) {
  if (fpfd < 17) return 1;
  if (fpfd < 26) return 2;
  if (fpfd < 44) return 3;
  if (fpfd < 66) return 4;
  if (fpfd < 101) return 5;
  return 6;
}
}  // namespace

namespace {
// Every (DIVR, DIVF, DIVQ) within the iCE40 limits, in search order: fn(divr, divf, divq,
// f_pfd, f_vco, f_out). One loop for the nearest-setting search and the list of outputs.
template <class Fn>
void ice40_settings(double fin, Fn&& fn) {
  for (int divr = 0; divr <= 15; ++divr) {
    double fpfd = fin / (divr + 1);
    if (fpfd < 10 || fpfd > 133) continue;
    for (int divf = 0; divf <= 127; ++divf) {
      double fvco = fpfd * (divf + 1);
      if (fvco < 533 || fvco > 1066) continue;
      for (int divq = 1; divq <= 6; ++divq) fn(divr, divf, divq, fpfd, fvco, fvco / (1 << divq));
    }
  }
}

// Every (CLKI_DIV, CLKFB_DIV) whose f_pfd and f_out are within the ECP5 limits:
// fn(in_div, fb_div, f_out).
template <class Fn>
void ecp5_settings(double fin, Fn&& fn) {
  for (int in_div = 1; in_div <= 128; ++in_div) {
    double fpfd = fin / in_div;
    if (fpfd < 3.125 || fpfd > 400) continue;
    for (int fb_div = 1; fb_div <= 80; ++fb_div) {
      double f = fpfd * fb_div;
      if (f < 3.125 || f > 400) continue;
      fn(in_div, fb_div, f);
    }
  }
}
}  // namespace

Ice40Pll ice40_pll(double fin, double fout) {
  if (!(fin >= 10 && fin <= 133))
    throw Error(fmt::format("iCE40 PLL input {} MHz is outside 10..133 MHz", fin));
  if (!(fout >= 16 && fout <= 275))
    throw Error(fmt::format("iCE40 PLL output {} MHz is outside 16..275 MHz", fout));
  Ice40Pll best;
  double best_err = INFINITY;
  ice40_settings(fin, [&](int divr, int divf, int divq, double fpfd, double fvco, double f) {
    double err = std::fabs(f - fout);
    if (err < best_err) {
      best_err = err;
      best = {divr, divf, divq, ice40_filter_range(fpfd), fin, fpfd, fvco, f};
    }
  });
  if (!std::isfinite(best_err))
    throw Error(fmt::format("no iCE40 PLL setting for {} MHz from {} MHz", fout, fin));
  return best;
}

Ecp5Pll ecp5_pll(double fin, double fout) {
  if (!(fout >= 3.125 && fout <= 400))
    throw Error(fmt::format("ECP5 PLL output {} MHz is outside 3.125..400 MHz", fout));
  Ecp5Pll best;
  double best_err = INFINITY, best_vco_dist = INFINITY;
  ecp5_settings(fin, [&](int in_div, int fb_div, double f) {
    double err = std::fabs(f - fout);
    if (err > best_err + 1e-9) return;
    for (int out_div = 1; out_div <= 128; ++out_div) {
      double fvco = f * out_div;
      if (fvco < 400 || fvco > 800) continue;
      double dist = std::fabs(fvco - 600);
      bool better = err < best_err - 1e-9 || (err <= best_err + 1e-9 && dist < best_vco_dist);
      if (better) {
        best_err = err;
        best_vco_dist = dist;
        best = {in_div, fb_div, out_div, out_div / 2 - 1, fin, fvco, f};
      }
    }
  });
  if (!std::isfinite(best_err))
    throw Error(fmt::format("no ECP5 PLL setting for {} MHz from {} MHz", fout, fin));
  if (best.clkop_cphase < 0) best.clkop_cphase = 0;
  return best;
}

namespace {
std::vector<double> sorted_distinct(std::vector<double> v) {
  for (double& f : v) f = std::round(f * 1e6) / 1e6;  // 1 Hz: CLK_HZ is an integer
  std::sort(v.begin(), v.end());
  v.erase(std::unique(v.begin(), v.end()), v.end());
  return v;
}
}  // namespace

// The same enumerations as ice40_pll / ecp5_pll, so every listed f_out is found exactly by them.
std::vector<double> ice40_pll_outputs(double fin) {
  std::vector<double> out;
  if (!(fin >= 10 && fin <= 133)) return out;
  ice40_settings(fin, [&](int, int, int, double, double, double f) {
    if (f >= 16 && f <= 275) out.push_back(f);
  });
  return sorted_distinct(out);
}

std::vector<double> ecp5_pll_outputs(double fin) {
  std::vector<double> out;
  ecp5_settings(fin, [&](int, int, double f) {
    for (int out_div = 1; out_div <= 128; ++out_div)
      if (f * out_div >= 400 && f * out_div <= 800) {
        out.push_back(f);
        return;
      }
  });
  return sorted_distinct(out);
}

}  // namespace sdm::fpga
