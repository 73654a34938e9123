// PLL settings for the board wrappers (rtl/board_ice40.v, rtl/board_ecp5.v), computed by
// exhaustive search over the divider ranges and the frequency limits of each PLL.
#pragma once

#include <vector>

namespace sdm::fpga {

// iCE40 SB_PLL40_* in SIMPLE feedback mode:
//   f_pfd = f_in / (DIVR+1), f_vco = f_pfd * (DIVF+1), f_out = f_vco / 2^DIVQ.
// Limits (iCE40 sysCLOCK PLL guide): f_in 10..133, f_pfd 10..133, f_vco 533..1066,
// f_out 16..275 MHz. FILTER_RANGE follows f_pfd.
struct Ice40Pll {
  int divr = 0, divf = 0, divq = 0, filter_range = 0;
  double fin_mhz = 0, fpfd_mhz = 0, fvco_mhz = 0, fout_mhz = 0;
};
// Closest achievable f_out (first found on ties); throws sdm::Error naming the frequency
// when none is in range.
Ice40Pll ice40_pll(double fin_mhz, double fout_mhz);

// ECP5 EHXPLLL, CLKOP fed back:
//   f_out = f_in / CLKI_DIV * CLKFB_DIV, f_vco = f_out * CLKOP_DIV.
// Limits: f_pfd 3.125..400, f_vco 400..800, f_out 3.125..400 MHz; dividers 1..128
// (CLKFB_DIV 1..80). Ties prefer the VCO nearest 600 MHz.
struct Ecp5Pll {
  int clki_div = 1, clkfb_div = 1, clkop_div = 1, clkop_cphase = 0;
  double fin_mhz = 0, fvco_mhz = 0, fout_mhz = 0;
};
Ecp5Pll ecp5_pll(double fin_mhz, double fout_mhz);

// Every f_out (MHz, ascending, distinct to 1 Hz) the PLL can make from fin_mhz within the
// limits above: the clocks `synth --freq auto` may choose from. Empty when fin is out of range.
std::vector<double> ice40_pll_outputs(double fin_mhz);
std::vector<double> ecp5_pll_outputs(double fin_mhz);

}  // namespace sdm::fpga
