// One source of truth for every stored integer (issue 17, Kind 1): after quantization
// every weight, bias, threshold and shift fits the width the RTL gives it, and the
// generated weight ROM holds exactly the golden model's weights (decoded from the hex
// file the Verilog $readmemh's, not from the plan).
#include <sstream>
#include <string>

#include <gtest/gtest.h>

#include "golden/artifact.h"
#include "golden/error.h"
#include "golden/hw_widths.h"
#include "golden/onnx_import.h"
#include "rtl_gen/accel_gen.h"

using namespace sdm;

namespace {

std::string fx(const std::string& name) { return std::string(SDM_FIXTURE_DIR) + "/" + name; }

// Lane `lane` of a hex ROM word of `lanes` x `bits` bits (lane 0 in the LSBs), sign-extended.
int64_t rom_lane(const std::string& word, int lane, int bits) {
  int64_t v = 0;
  for (int b = 0; b < bits; ++b) {
    const int bit = lane * bits + b;
    const int digit = int(word.size()) - 1 - bit / 4;
    const int nib = std::stoi(word.substr(size_t(digit), 1), nullptr, 16);
    v |= int64_t((nib >> (bit % 4)) & 1) << b;
  }
  if (v >> (bits - 1)) v -= int64_t{1} << bits;
  return v;
}

Config config(int wb) {
  Config cfg;
  cfg.neuron.alpha = 0.2;
  cfg.neuron.beta = 5;
  cfg.T = 4;
  cfg.weight_bits = wb;
  return cfg;
}

}  // namespace

// Clip -> Flatten -> Gemm with readout weights up to 60: at 2 and 4 bits today's
// quantizer stopped the readout at F = 0 with weights of ~300 that the ROM cut to WB bits.
TEST(GoldenWidths, FlattenGemmHeadFitsTheRomAt2And4Bits) {
  const Graph g = import_onnx(fx("flathead.onnx"));
  for (int wb : {2, 4}) {
    Artifact a = make_artifact(g, config(wb));
    const QNet& q = a.qnet;
    const QStage& ro = q.stages.back();
    ASSERT_EQ(ro.kind, QStage::Readout);
    const int64_t lo = -(int64_t{1} << (wb - 1)), hi = (int64_t{1} << (wb - 1)) - 1;
    size_t nonzero = 0;
    for (const QStage& s : q.stages)
      for (const QTerm& t : s.terms)
        for (int32_t w : t.weight) {
          ASSERT_GE(w, lo) << s.name << " at " << wb << " bits";
          ASSERT_LE(w, hi) << s.name << " at " << wb << " bits";
          nonzero += w != 0;
        }
    EXPECT_GT(nonzero, 0u);
    // The generated weight ROM, word by word, lane by lane (and SIMD slice by slice: field
    // l * simd + s holds channel block * simd + s, 0 past the last channel), equals the golden
    // weights.
    const int lanes = 4;
    for (const int simd : {4, 2, 1}) {  // ends at 1: d and p below are the simd-1 design
      HwOptions hw;
      hw.lanes = lanes, hw.simd = simd;
      GeneratedDesign d = generate_accelerator(a, hw);
      const HwPlan p = plan_accelerator(q, hw);
      std::istringstream rom(d.files.at("weights.hex"));
      std::string word;
      long words = 0;
      for (const HwTerm& t : p.terms) {
        if (t.diag_ones) continue;
        const HwStage& s = p.stages[size_t(t.stage)];
        const QStage& qs = q.stages[size_t(s.qstage)];
        const QTerm& qt = qs.terms[size_t(&t - &p.terms[size_t(s.first_term)])];
        ASSERT_EQ(qt.kind, QTerm::Conv);
        const long KK = long(t.kernel[0]) * t.kernel[1] * t.kernel[2];
        ASSERT_EQ(t.cblocks, (t.ci + simd - 1) / simd);
        for (int gi = 0; gi < s.groups; ++gi)
          for (int cb = 0; cb < (t.ci + simd - 1) / simd; ++cb)
            for (long k = 0; k < KK; ++k) {
              ASSERT_TRUE(std::getline(rom, word)) << "weight ROM ends at word " << words;
              ++words;
              for (int l = 0; l < lanes; ++l)
                for (int sl = 0; sl < simd; ++sl) {
                  const int o = gi * lanes + l, c = cb * simd + sl;
                  const int32_t want =
                      o < s.co && c < t.ci ? qt.weight[(size_t(o) * size_t(t.ci) + size_t(c)) * size_t(KK) + size_t(k)] : 0;
                  ASSERT_EQ(rom_lane(word, l * simd + sl, wb), want)
                      << qs.name << " o=" << o << " c=" << c << " k=" << k << " at " << wb << " bits, simd " << simd;
                }
            }
      }
      EXPECT_EQ(words, p.weight_words);
      if (simd > 1) continue;
      // The bias ROM likewise.
      std::istringstream brom(d.files.at("bias.hex"));
      for (const HwStage& s : p.stages)
        for (int gi = 0; gi < s.groups; ++gi) {
          ASSERT_TRUE(std::getline(brom, word));
          if (s.mode == HwStage::Sum) continue;
          for (int l = 0; l < lanes && gi * lanes + l < s.co; ++l)
            ASSERT_EQ(rom_lane(word, l, p.acc_w), q.stages[size_t(s.qstage)].bias[size_t(gi * lanes + l)]) << s.name;
        }
    }
  }
}

// A stored value the RTL cannot hold is one error naming layer, tensor and value, whether
// it comes from the quantizer or from an artifact file.
TEST(GoldenWidths, OutOfRangeValueNamesLayerTensorAndValue) {
  const Graph g = import_onnx(fx("flathead.onnx"));
  Artifact a = make_artifact(g, config(4));
  check_stored_widths(a.qnet);
  const std::string ro = a.qnet.stages.back().name;
  auto message = [](const QNet& q) -> std::string {
    try {
      check_stored_widths(q);
    } catch (const Error& e) {
      return e.what();
    }
    return "";
  };
  {
    QNet q = a.qnet;
    q.stages.back().terms[0].weight[3] = 8;  // 4-bit ROM: [-8, 7]
    const std::string m = message(q);
    EXPECT_NE(m.find("readout '" + ro + "'"), std::string::npos) << m;
    EXPECT_NE(m.find("weight 8 at index 3"), std::string::npos) << m;
    EXPECT_NE(m.find("4-bit weight ROM [-8, 7]"), std::string::npos) << m;
    // The same value in a saved artifact is refused on load, not cut by the ROM writer.
    Artifact bad = a;
    bad.qnet = q;
    EXPECT_THROW(parse_artifact(serialize_artifact(bad), "bad.sdm"), Error);
  }
  {
    QNet q = a.qnet;
    q.stages.back().terms[0].weight[0] = -8;  // the most negative ROM value is legal
    EXPECT_EQ(message(q), "");
  }
  {
    QNet q = a.qnet;
    const StoredWidths w = stored_widths(q);
    q.stages.back().bias[1] = int64_t{1} << (w.acc - 1);
    const std::string m = message(q);
    EXPECT_NE(m.find("bias " + std::to_string(int64_t{1} << (w.acc - 1)) + " of channel 1"), std::string::npos) << m;
  }
  {
    QNet q = a.qnet;
    QStage& n = q.stages.front();
    ASSERT_EQ(n.kind, QStage::Neuron);
    n.rule.pbits = n.F + 1;  // 2^F does not fit
    const std::string m = message(q);
    EXPECT_NE(m.find("neuron layer '" + n.name + "': threshold 2^"), std::string::npos) << m;
  }
}

// --positions 2: a neuron stage with at most lanes / 2 output channels and two or more output
// columns is folded (two columns per group), the others are not; in a folded stage's weight
// and bias ROM words lane l + L/2 holds what lane l holds (channel l, the next column), derived
// here from the golden weights, not from HwPlan::lane_channel.
TEST(GoldenWidths, TwoPositionsRepeatTheLowerLanesInTheRom) {
  const Graph g = import_onnx(fx("residual3d.onnx"));
  Artifact a = make_artifact(g, config(8));
  const QNet& q = a.qnet;
  int max_co = 1;
  for (const QStage& s : q.stages) max_co = std::max(max_co, q.tensors[size_t(s.out)].shape.c);
  HwOptions hw;
  hw.lanes = 2 * max_co, hw.positions = 2;
  const int L = hw.lanes;
  GeneratedDesign d = generate_accelerator(a, hw);
  const HwPlan p = plan_accelerator(q, hw);
  int folded = 0;
  for (const HwStage& s : p.stages) {
    const bool want = s.mode == HwStage::Neuron && 2 * s.co <= L && s.out_shape.w >= 2;
    EXPECT_EQ(s.fold, want) << s.name;
    folded += s.fold;
  }
  ASSERT_GT(folded, 0) << "the fixture has no stage to fold at " << L << " lanes";
  std::istringstream rom(d.files.at("weights.hex"));
  std::string word;
  for (const HwTerm& t : p.terms) {
    if (t.diag_ones) continue;
    const HwStage& s = p.stages[size_t(t.stage)];
    const QStage& qs = q.stages[size_t(s.qstage)];
    const QTerm& qt = qs.terms[size_t(&t - &p.terms[size_t(s.first_term)])];
    if (qt.kind != QTerm::Conv) {  // (a residual's identity term: diagonal scales, same layout)
      for (int gi = 0; gi < s.groups; ++gi)
        for (long k = 0; k < t.syn_steps(); ++k) ASSERT_TRUE(std::getline(rom, word));
      continue;
    }
    const long KK = t.kvol();
    for (int gi = 0; gi < s.groups; ++gi)
      for (int c = 0; c < t.ci; ++c)
        for (long k = 0; k < KK; ++k) {
          ASSERT_TRUE(std::getline(rom, word));
          for (int l = 0; l < L; ++l) {
            const int o = s.fold ? l % (L / 2) : gi * L + l;
            const int32_t want = o < s.co ? qt.weight[(size_t(o) * size_t(t.ci) + size_t(c)) * size_t(KK) + size_t(k)] : 0;
            ASSERT_EQ(rom_lane(word, l, 8), want) << qs.name << " lane " << l << " c=" << c << " k=" << k;
          }
        }
  }
  std::istringstream brom(d.files.at("bias.hex"));
  for (const HwStage& s : p.stages)
    for (int gi = 0; gi < s.groups; ++gi) {
      ASSERT_TRUE(std::getline(brom, word));
      if (s.mode == HwStage::Sum) continue;
      for (int l = 0; l < L; ++l) {
        const int o = s.fold ? l % (L / 2) : gi * L + l;
        ASSERT_EQ(rom_lane(word, l, p.acc_w), o < s.co ? q.stages[size_t(s.qstage)].bias[size_t(o)] : 0)
            << s.name << " lane " << l;
      }
    }
  // signature.json: the stage's positions, the memories a folded stage reads have two ports
  for (size_t si = 0; si < p.stages.size(); ++si)
    EXPECT_EQ(d.signature["stages"][si]["positions"].get<int>(), p.stages[si].fold ? 2 : 1);
  EXPECT_EQ(d.signature["hw_options"]["positions"].get<int>(), 2);
  bool two = false;
  for (const auto& m : d.signature["memories"]) two = two || m["read_ports"].get<int>() == 2;
  EXPECT_TRUE(two);
}
