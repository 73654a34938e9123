// Weight and bias memories: the ROM contents (weights.hex, bias.hex), the two ROMs, the
// bias word of the current (stage, group), and the weight read registers of pipeline
// stages 1 and 1b.
#include "rtl_gen/accel_blocks.h"

namespace sdm::accel {

using namespace vast;

namespace {
// One ROM word in hex, lane 0 in the least significant bits.
std::string hex_word(const std::vector<int64_t>& lanes, int bits) {
  const int total = bits * int(lanes.size());
  const int digits = (total + 3) / 4;
  std::string s(size_t(digits), '0');
  for (int d = 0; d < digits; ++d) {
    int v = 0;
    for (int b = 0; b < 4; ++b) {
      const int bit = d * 4 + b;
      if (bit >= total) break;
      const int lane = bit / bits, off = bit % bits;
      const uint64_t u = uint64_t(lanes[size_t(lane)]);
      v |= int((u >> off) & 1u) << b;
    }
    s[size_t(digits - 1 - d)] = "0123456789abcdef"[v];
  }
  return s;
}
}  // namespace

WeightMemPorts build_weight_bias_memories(BuildCtx& c, const AddrGenPorts& ag,
                                          std::map<std::string, std::string>& files) {
  const AccelWidths& w = c.w;
  const HwPlan& p = c.p;
  const int Ln = w.Ln, WB = w.WB, ACC = w.ACC;
  // weight ROM: one word per (row, group, channel block, kernel offset); field l * simd + s
  // (lane 0, slice 0 in the LSBs) is lane l's weight from input channel block * simd + s
  // (0 past the last channel; HwPlan::lane_channel)
  const int S = p.simd;
  std::string hex;
  for (const HwTerm& t : p.terms) {
    if (t.diag_ones) continue;  // computed in the datapath, not stored
    const HwStage& s = p.stages[t.stage];
    const long KK = t.kvol();
    for (int gi = 0; gi < s.groups; ++gi)
      for (int cb = 0; cb < t.cblocks; ++cb)
        for (long k = 0; k < KK; ++k) {
          std::vector<int64_t> fields(size_t(Ln) * S, 0);
          for (int l = 0; l < Ln; ++l)
            for (int sl = 0; sl < S; ++sl) {
              // (a folded stage's upper lanes repeat the lower lanes' channels)
              const int o = p.lane_channel(s, gi, l), ci = cb * S + sl;
              if (o >= 0 && ci < t.ci) fields[size_t(l) * S + sl] = t.weight[(size_t(o) * t.ci + ci) * KK + k];
            }
          hex += hex_word(fields, WB) + "\n";
        }
  }
  for (long i = p.weight_words; i < w.WDEPTH; ++i)
    hex += hex_word(std::vector<int64_t>(size_t(Ln) * S, 0), WB) + "\n";
  files["weights.hex"] = hex;
  std::string bh;
  for (const HwStage& s : p.stages) {
    const QStage& qs = c.q.stages[s.qstage];
    for (int gi = 0; gi < s.groups; ++gi) {
      std::vector<int64_t> lanesv(size_t(Ln), 0);
      for (int l = 0; l < Ln; ++l) {
        const int o = p.lane_channel(s, gi, l);
        if (o >= 0 && s.mode != HwStage::Sum) lanesv[l] = qs.bias[o];
      }
      bh += hex_word(lanesv, ACC) + "\n";
    }
  }
  files["bias.hex"] = bh;
  WeightMemPorts wm;
  wm.wrom = c.m->AddMemory("weight_rom", Type::Bits(Ln * S * WB), int(w.WDEPTH), "weights.hex");
  wm.brom = c.m->AddMemory("bias_rom", Type::Bits(Ln * ACC), int(w.BDEPTH), "bias.hex");
  // The bias address is registered: stage and cg hold from S_NEXT to the group's end, and the
  // bias is first used 5 cycles after the group's first issue; cg_q -> bias_base + cg -> the
  // ROM's address pins was the UP5K critical path once the address paths were split.
  const Register baddr = c.delay("bias_addr", w.BAW, ag.sd_baddr);
  wm.bias_word = c.m->AddWireAssign("bias_word", c.f.Index(wm.brom, baddr.q));
  return wm;
}

void build_weight_read(BuildCtx& c, WeightMemPorts& wm, const ReadStage0& rs0) {
  wm.w_q = c.m->AddReg("weight_q", Type::Bits(c.w.Ln * c.p.simd * c.w.WB));
  Block* b = c.m->AddAlwaysFf(c.clk);
  b->Nonblocking(wm.w_q, c.f.Index(wm.wrom, rs0.waddr.q));
}

void build_weight_read_register(BuildCtx& c, WeightMemPorts& wm) {
  wm.w_qq = c.delay("weight_qq", c.w.Ln * c.p.simd * c.w.WB, wm.w_q);
}

}  // namespace sdm::accel
