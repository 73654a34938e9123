// Unit tests of the FPGA flow's pure parts: PLL search, nextpnr report/log parsing,
// board table, signature reading, host-side framing and clip loading.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "fpga/board_link.h"
#include "fpga/boards.h"
#include "fpga/fixture.h"
#include "fpga/flow.h"
#include "fpga/pll.h"
#include "golden/error.h"
#include "rtl_gen/core_file.h"

using namespace sdm::fpga;
namespace fs = std::filesystem;

// Known-good values from icepll (fpga-icestorm) for a 12 MHz oscillator.
TEST(FpgaPll, Ice40MatchesIcepll) {
  struct Case { double out; int divr, divf, divq, filter; double achieved; };
  for (const Case& c : {Case{30, 0, 79, 5, 1, 30.0}, Case{20, 0, 52, 5, 1, 19.875},
                        Case{25, 0, 66, 5, 1, 25.125}, Case{33, 0, 87, 5, 1, 33.0},
                        Case{40, 0, 52, 4, 1, 39.75}, Case{48, 0, 63, 4, 1, 48.0},
                        Case{16, 0, 84, 6, 1, 15.9375}}) {
    Ice40Pll p = ice40_pll(12, c.out);
    EXPECT_EQ(p.divr, c.divr) << c.out;
    EXPECT_EQ(p.divf, c.divf) << c.out;
    EXPECT_EQ(p.divq, c.divq) << c.out;
    EXPECT_EQ(p.filter_range, c.filter) << c.out;
    EXPECT_NEAR(p.fout_mhz, c.achieved, 1e-9) << c.out;
  }
}

TEST(FpgaPll, Ice40RejectsOutOfRange) {
  EXPECT_THROW(ice40_pll(12, 10), sdm::Error);   // below 16 MHz
  EXPECT_THROW(ice40_pll(12, 300), sdm::Error);
  EXPECT_THROW(ice40_pll(5, 30), sdm::Error);    // input below 10 MHz
}

// Known-good values from ecppll (prjtrellis).
TEST(FpgaPll, Ecp5MatchesEcppll) {
  Ecp5Pll a = ecp5_pll(25, 30);
  EXPECT_EQ(a.clki_div, 5);
  EXPECT_EQ(a.clkfb_div, 6);
  EXPECT_EQ(a.clkop_div, 20);
  EXPECT_EQ(a.clkop_cphase, 9);
  EXPECT_NEAR(a.fvco_mhz, 600, 1e-9);
  Ecp5Pll b = ecp5_pll(48, 30);
  EXPECT_EQ(b.clki_div, 8);
  EXPECT_EQ(b.clkfb_div, 5);
  EXPECT_EQ(b.clkop_div, 20);
  Ecp5Pll c = ecp5_pll(25, 40);
  EXPECT_EQ(c.clki_div, 5);
  EXPECT_EQ(c.clkfb_div, 8);
  EXPECT_EQ(c.clkop_div, 15);
  EXPECT_THROW(ecp5_pll(25, 500), sdm::Error);
}

// Every listed PLL output is made exactly by the PLL search (independent: icepll's rule
// f_out = 12 / (DIVR+1) * (DIVF+1) / 2^DIVQ is re-evaluated from the returned dividers).
TEST(FpgaPll, OutputListIsExact) {
  auto ice = ice40_pll_outputs(12);
  ASSERT_GT(ice.size(), 100u);
  EXPECT_GE(ice.front(), 16);
  EXPECT_LE(ice.back(), 275);
  for (double f : {27.75, 30.0, 24.0}) EXPECT_NE(std::find(ice.begin(), ice.end(), f), ice.end()) << f;
  for (size_t i = 0; i < ice.size(); i += 7) {
    Ice40Pll p = ice40_pll(12, ice[i]);
    EXPECT_NEAR(12.0 / (p.divr + 1) * (p.divf + 1) / (1 << p.divq), ice[i], 1e-6);
  }
  auto ecp = ecp5_pll_outputs(25);
  ASSERT_GT(ecp.size(), 100u);
  for (size_t i = 0; i < ecp.size(); i += 11) {
    Ecp5Pll p = ecp5_pll(25, ecp[i]);
    EXPECT_NEAR(25.0 / p.clki_div * p.clkfb_div, ecp[i], 1e-6);
  }
}

// The UART rule of --freq auto (issue 16): a 27.75 MHz clock at 3 Mbaud is 9.25 clocks per
// bit, rounded to 9 by board_top: 2.7 % off, rejected; 30 and 24 MHz are whole numbers.
TEST(FpgaClock, UartBitErrorAndAutoClock) {
  EXPECT_NEAR(uart_bit_error(27.75, 3000000), 0.25 / 9.25, 1e-9);
  EXPECT_GT(uart_bit_error(27.75, 3000000), kUartMaxError);
  EXPECT_EQ(uart_bit_error(30, 3000000), 0);
  EXPECT_EQ(uart_bit_error(24, 3000000), 0);
  EXPECT_NEAR(uart_bit_error(30, 115200), std::fabs(260 - 30e6 / 115200) / (30e6 / 115200), 1e-12);
  EXPECT_TRUE(std::isinf(uart_bit_error(9, 3000000)));  // 3 clocks per bit: below uart_rx's 4
  const Board& ib = find_board("icebreaker");
  EXPECT_EQ(auto_clock(ib, 30, 3000000), 30.0);
  double c = auto_clock(ib, 27.75, 3000000);
  EXPECT_LT(c, 27.75);  // 27.75 is a PLL output, but the link would break
  // highest 9-clocks-per-bit clock within 2 %: 9 * 3 MHz / 0.98 = 27.55 MHz
  EXPECT_GT(c, 27.0);
  EXPECT_LE(c, 27.0 / 0.98 + 1e-9);
  EXPECT_LE(uart_bit_error(c, 3000000), kUartMaxError);
  auto all = board_clocks(ib);
  EXPECT_NE(std::find(all.begin(), all.end(), c), all.end());
  EXPECT_NE(std::find(all.begin(), all.end(), 12.0), all.end());  // the oscillator itself
  EXPECT_EQ(auto_clock(ib, 15, 3000000), 12.0);  // below the PLL's 16 MHz: the oscillator
  EXPECT_EQ(auto_clock(ib, 11, 3000000), 0.0);   // nothing
}

// A --report written by nextpnr-ice40 0.11 (trimmed).
const char* kReport = R"({
 "utilization": {
  "ICESTORM_DSP": {"available": 8, "used": 2},
  "ICESTORM_LC": {"available": 5280, "used": 1137},
  "ICESTORM_RAM": {"available": 30, "used": 6},
  "ICESTORM_SPRAM": {"available": 4, "used": 0}
 },
 "fmax": {
  "$PACKER_GND_NET_$glb_clk": {"achieved": 307.03, "constraint": 30.0},
  "clk": {"achieved": 16.70, "constraint": 30.0}
 }
})";

TEST(FpgaReport, ParsesUtilizationAndFmax) {
  PnrReport r = parse_nextpnr_report(kReport);
  EXPECT_EQ(r.cells.at("ICESTORM_LC").used, 1137);
  EXPECT_EQ(r.cells.at("ICESTORM_LC").avail, 5280);
  EXPECT_EQ(r.cells.at("ICESTORM_RAM").used, 6);
  EXPECT_DOUBLE_EQ(r.fmax.at("clk"), 16.70);
  EXPECT_DOUBLE_EQ(r.target.at("clk"), 30.0);
  EXPECT_THROW(parse_nextpnr_report("{not json"), sdm::Error);
}

TEST(FpgaReport, OverflowFromUtilisationTable) {
  const char* log =
      "Info: Device utilisation:\n"
      "Info: \t         ICESTORM_LC:  1500/ 5280    28%\n"
      "Info: \t        ICESTORM_RAM:    45/   30   150%\n"
      "Info: \t        ICESTORM_DSP:     9/    8   112%\n"
      "ERROR: Unable to place cell 'x', no BELs remaining to implement cell type 'ICESTORM_RAM'\n";
  EXPECT_EQ(parse_nextpnr_overflow(log),
            "ICESTORM_RAM: 45 used, 30 available; ICESTORM_DSP: 9 used, 8 available");
  EXPECT_EQ(parse_nextpnr_overflow("ERROR: Unable to place cell 'x', no BELs remaining to "
                                   "implement cell type 'DP16KD'\n"),
            "DP16KD: not enough on the device");
  EXPECT_EQ(parse_nextpnr_overflow("Info: \t ICESTORM_LC:  10/ 5280     0%\n"), "");
}

TEST(FpgaReport, CountsNetlistCells) {
  const char* j = R"({"modules": {
    "sub": {"cells": {"a": {"type": "SB_LUT4"}}},
    "top": {"attributes": {"top": "1"}, "cells": {"a": {"type": "SB_LUT4"},
            "b": {"type": "SB_LUT4"}, "c": {"type": "SB_DFFE"}}}}})";
  auto n = count_netlist_cells(j);
  EXPECT_EQ(n["SB_LUT4"], 2);
  EXPECT_EQ(n["SB_DFFE"], 1);
}

TEST(FpgaBoards, TableAndConstraints) {
  EXPECT_EQ(find_board("icebreaker").clk_pin, "35");
  EXPECT_EQ(find_board("ulx3s").family, Family::ecp5);
  try {
    find_board("de10");
    FAIL();
  } catch (const sdm::Error& e) {
    EXPECT_NE(std::string(e.what()).find("'de10'"), std::string::npos);
  }
  std::string pcf = constraints(find_board("icebreaker"));
  EXPECT_NE(pcf.find("set_io clk_osc_i 35"), std::string::npos);
  EXPECT_NE(pcf.find("set_io uart_rx_i 6"), std::string::npos);
  EXPECT_NE(pcf.find("set_io uart_tx_o 9"), std::string::npos);
  std::string lpf = constraints(find_board("ulx3s"));
  EXPECT_NE(lpf.find("LOCATE COMP \"clk_osc_i\" SITE \"G2\";"), std::string::npos);
  EXPECT_NE(lpf.find("FREQUENCY PORT \"clk_osc_i\" 25 MHZ;"), std::string::npos);
}

TEST(FpgaSignature, ReadsFixtureAndRejectsBadFields) {
  Signature s = read_signature(fixture_dir());
  EXPECT_EQ(s.num_classes, 4);
  EXPECT_EQ(s.clip_bytes, 256);
  EXPECT_EQ(s.files, std::vector<std::string>{"sdm_accel.v"});
  fs::path d = fs::temp_directory_path() / "sdm_fpga_sig_test";
  fs::create_directories(d);
  std::ofstream(d / "signature.json") << R"({"top": "sdm_accel", "num_classes": 4,
      "class_width": 2, "logit_width": 40, "clip_bytes": 256})";
  try {
    read_signature(d.string());
    FAIL();
  } catch (const sdm::Error& e) {
    EXPECT_NE(std::string(e.what()).find("logit_width 40"), std::string::npos) << e.what();
  }
  fs::remove_all(d);
}

TEST(FpgaArchitecture, WeightsDoNotChangeTheFingerprint) {
  fs::path d = fs::temp_directory_path() / "sdm_fpga_arch_test";
  fs::remove_all(d);
  write_fixture(fixture_dir(), d.string(), 2);
  auto a = architecture(d.string());
  std::ofstream(d / "fixture_weights.hex", std::ios::trunc) << [] {
    std::string s;
    for (int i = 0; i < 1024; ++i) s += "7f\n";
    return s;
  }();
  EXPECT_EQ(a, architecture(d.string()));
  write_fixture(fixture_dir(), d.string(), 4);
  EXPECT_NE(a, architecture(d.string()));
  fs::remove_all(d);
}

TEST(FpgaLink, FramesAndChecksum) {
  auto f = encode_clip_frame({1, 2, 3});
  std::vector<uint8_t> want = {0xA5, 'C', 3, 0, 0, 0, 1, 2, 3,
                               static_cast<uint8_t>('C' + 3 + 1 + 2 + 3)};
  EXPECT_EQ(f, want);
  auto i = encode_info_request();
  EXPECT_EQ(i, (std::vector<uint8_t>{0xA5, 'I', 0, 0, 0, 0, 'I'}));
  EXPECT_EQ(board_error_name(1), "bad checksum");
}

TEST(FpgaLink, LoadsClipsFromNpyAndBin) {
  fs::path d = fs::temp_directory_path() / "sdm_fpga_clip_test";
  fs::create_directories(d);
  // 3 clips of 1x2x2x2 uint8, as numpy writes them.
  std::string header = "{'descr': '|u1', 'fortran_order': False, 'shape': (3, 1, 2, 2, 2), }";
  while ((10 + header.size() + 1) % 64) header += ' ';
  header += '\n';
  std::ofstream npy(d / "clips.npy", std::ios::binary);
  npy << "\x93NUMPY" << char(1) << char(0) << char(header.size() & 0xff) << char(header.size() >> 8)
      << header;
  for (int i = 0; i < 24; ++i) npy << char(i);
  npy.close();
  auto c = load_clip((d / "clips.npy").string(), 2, 8);
  EXPECT_EQ(c, (std::vector<uint8_t>{16, 17, 18, 19, 20, 21, 22, 23}));
  EXPECT_THROW(load_clip((d / "clips.npy").string(), 3, 8), sdm::Error);
  EXPECT_THROW(load_clip((d / "clips.npy").string(), 0, 9), sdm::Error);
  std::ofstream(d / "c.bin", std::ios::binary) << std::string(8, 'x');
  EXPECT_EQ(load_clip((d / "c.bin").string(), 0, 8).size(), 8u);
  EXPECT_THROW(load_clip((d / "c.bin").string(), 0, 256), sdm::Error);
  EXPECT_THROW(load_clip((d / "missing.bin").string(), 0, 8), sdm::Error);
  fs::remove_all(d);
}

TEST(FpgaLink, MissingPortIsAOneLineError) {
  try {
    SerialPort p("/dev/does-not-exist-sdm", 115200);
    FAIL();
  } catch (const sdm::Error& e) {
    EXPECT_NE(std::string(e.what()).find("/dev/does-not-exist-sdm"), std::string::npos);
  }
  EXPECT_THROW(SerialPort("/dev/null", 12345), sdm::Error);
}

TEST(FpgaTools, UnknownToolSet) {
  EXPECT_THROW(parse_tools("vivado"), sdm::Error);
  EXPECT_EQ(parse_tools("debian"), Tools::debian);
}

// Issue 17 item 3: the fixture writer and the FuseSoC core writer go through
// write_file_atomic (a temporary file + rename). An existing output that is a hard link to
// another file is replaced, never written through (a writer that truncates in place would
// change the other name too), and no temporary file is left behind.
TEST(FpgaOutputs, ReplacedWholeNotWrittenThrough) {
  fs::path d = fs::temp_directory_path() / "sdm_fpga_atomic_test";
  fs::remove_all(d);
  fs::create_directories(d / "out");
  const std::vector<std::string> outs = {"sdm_accel.v", "fixture_weights.hex", "signature.json",
                                         "sdm_accel.core"};
  for (const auto& n : outs) {
    std::ofstream(d / ("keep_" + n)) << "keep\n";
    fs::create_hard_link(d / ("keep_" + n), d / "out" / n);
  }
  write_fixture(fixture_dir(), (d / "out").string(), 2);
  EXPECT_EQ(sdm::write_fusesoc_core((d / "out").string()), (d / "out" / "sdm_accel.core").string());
  for (const auto& n : outs) {
    std::ifstream keep(d / ("keep_" + n));
    std::string k((std::istreambuf_iterator<char>(keep)), std::istreambuf_iterator<char>());
    EXPECT_EQ(k, "keep\n") << n << " was written through its hard link";
    EXPECT_EQ(fs::hard_link_count(d / "out" / n), 1u) << n;
    EXPECT_GT(fs::file_size(d / "out" / n), 5u) << n;
  }
  std::vector<std::string> names;
  for (const auto& e : fs::directory_iterator(d / "out")) names.push_back(e.path().filename().string());
  std::sort(names.begin(), names.end());
  std::vector<std::string> want = outs;
  std::sort(want.begin(), want.end());
  EXPECT_EQ(names, want);  // no temporary left
  fs::remove_all(d);
}
