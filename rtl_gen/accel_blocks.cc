// Shared by the accelerator builders: the design's widths (one place), and the helpers
// every builder uses to declare registers and adapt widths.
#include <algorithm>

#include "rtl_gen/accel_blocks.h"

namespace sdm::accel {

using namespace vast;

int clog2(long n) {
  int b = 0;
  while ((1L << b) < n) ++b;
  return std::max(b, 1);
}
int ubits(long v) {
  int b = 1;
  while ((1L << b) <= v) ++b;
  return b;
}

AccelWidths accel_widths(const QNet& q, const HwPlan& p) {
  AccelWidths w;
  w.Ln = p.lanes;
  w.T = p.cfg.T;
  w.WB = p.cfg.weight_bits;
  w.NS = int(p.stages.size());
  w.NR = int(p.terms.size());
  w.NT = int(q.tensors.size());
  w.K = q.num_classes();
  const int Ln = w.Ln, T = w.T;
  int maxF = 1, maxH = 1, maxW = 1, maxG = 1, maxCi = 1, maxKt = 1, maxKh = 1, maxKw = 1;
  long maxDepth = 1, maxCo = 1;
  for (const HwStage& s : p.stages) {
    maxF = std::max(maxF, s.out_shape.f);
    maxH = std::max(maxH, s.out_shape.h);
    maxW = std::max(maxW, s.out_shape.w);
    maxG = std::max(maxG, s.groups);
    maxCo = std::max<long>(maxCo, s.co);
  }
  long coordMax = 1;
  for (const HwTerm& t : p.terms) {
    maxCi = std::max(maxCi, t.ci);
    maxKt = std::max(maxKt, t.kernel[0]);
    maxKh = std::max(maxKh, t.kernel[1]);
    maxKw = std::max(maxKw, t.kernel[2]);
    const Shape& s = q.tensors[t.src].shape;
    for (int d = 0; d < 3; ++d) {
      const long span = long(std::max({maxF, maxH, maxW})) * t.stride[d] + t.kernel[d] + t.pad_lo[d];
      coordMax = std::max(coordMax, span);
    }
    coordMax = std::max<long>(coordMax, std::max({s.f, s.h, s.w}));
  }
  for (const QTensor& t : q.tensors) maxDepth = std::max(maxDepth, t.shape.size());
  w.STW = clog2(w.NS);
  w.RW = clog2(w.NR);
  w.TIDW = clog2(w.NT);
  w.FW = ubits(maxF - 1);
  w.HW = ubits(maxH - 1);
  w.WW = ubits(maxW - 1);
  w.GW = ubits(maxG - 1);
  w.TW = ubits(std::max(T - 1, 1));
  w.CIW = ubits(maxCi - 1);
  w.KTW = ubits(maxKt - 1);
  w.KHW = ubits(maxKh - 1);
  w.KWW = ubits(maxKw - 1);
  w.CW = ubits(coordMax) + 2;  // signed coordinates
  w.AWID = clog2(maxDepth);    // address arithmetic is exact modulo 2^AWID
  w.CHW = ubits(long(maxG) * Ln);
  w.LNW = ubits(std::max(Ln - 1, 1));
  w.XW = p.x_w;
  w.PRW = w.WB + w.XW;
  w.ACC = p.acc_w;
  w.NW = std::max(2, ubits(p.cfg.neuron.max_burst()) + 1);
  w.NPW = p.neuron_pw;
  w.NACC = p.neuron_acc;
  w.NF = p.neuron_F;
  w.LW = p.logit_w;
  w.CLW = ubits(std::max(w.K - 1, 1));
  // The weight ROM is padded with zero words to a multiple of 512 so that it fills whole
  // block RAMs (iCE40 EBR: 256 deep, ECP5 DP16KD: 512) and `synth --patch` can swap its
  // contents in a placed bitstream (icebram / ecpbram need whole blocks).
  w.WDEPTH = std::max<long>((p.weight_words + 511) / 512 * 512, 512);
  w.BDEPTH = std::max<long>(p.bias_words, 1);
  w.WAW = clog2(w.WDEPTH);
  w.BAW = clog2(w.BDEPTH);
  w.steps.assign(size_t(w.NT), 1);
  w.wordw.assign(size_t(w.NT), 0);
  for (int t = 0; t < w.NT; ++t) {
    w.steps[t] = q.tensors[t].per_step ? T : 1;
    w.wordw[t] = p.steps_per_word[t] * q.tensors[t].bits();
    w.TDW = std::max(w.TDW, w.wordw[t]);
  }
  w.slot_w.assign(size_t(T), 1);  // lane slots hold what the stages write
  for (const HwStage& s : p.stages)
    if (s.mode != HwStage::Readout)
      for (int t = 0; t < w.steps[s.out]; ++t) w.slot_w[t] = std::max(w.slot_w[t], q.tensors[s.out].bits());
  // Read addresses are computed at AX/WX bits so that no coordinate bit is cut off; bits
  // above the largest bank / the ROM are zero for every valid synapse and are checked so
  // (they join the in-range flag) rather than silently dropped.
  long maxBank = 1;
  for (const auto& bk : p.banks) maxBank = std::max(maxBank, bk.depth);
  w.BX = clog2(maxBank);
  w.AX = std::max({w.BX, w.CW, w.AWID + w.TW + 2});
  w.WX = std::max({w.WAW, w.CIW, w.KTW, w.KHW, w.KWW, w.GW});
  for (const HwTerm& t : p.terms) (t.diag_ones ? w.any_diag : w.any_rom) = true;
  for (const HwStage& s : p.stages) {
    if (s.static_input) w.any_static_stage = true;
    for (int r = s.first_term; r < s.first_term + s.num_terms && !s.static_input; ++r)
      if (!q.tensors[p.terms[r].src].per_step) w.any_static_in_dynamic = true;
  }
  int maxReads = 1, maxWords = 1;
  for (const HwTerm& t : p.terms) {
    maxReads = std::max(maxReads, t.reads);
    // step operands: the batched per-step values a term reads, signed
    const QTensor& sq = q.tensors[t.src];
    if (T > 1 && p.batched[t.src]) w.XSW = std::max(w.XSW, sq.bits() + (sq.is_signed() ? 0 : 1));
  }
  for (const HwStage& s : p.stages)
    if (s.mode != HwStage::Readout) maxWords = std::max(maxWords, p.words_per_value[s.out]);
  w.any_sub = maxReads > 1;
  w.SUBW = ubits(maxReads - 1);
  w.any_multi_word = maxWords > 1;
  w.WBTW = ubits(maxWords - 1);
  const int S = p.simd;
  w.slice_reads.assign(size_t(S), std::vector<char>(size_t(w.NT), 0));
  w.wide.assign(size_t(S), 0);
  for (const HwTerm& t : p.terms)
    for (int sl = 0; sl < S && sl < t.ci; ++sl) w.slice_reads[sl][t.src] = 1;
  w.wide_slices = 0;
  for (int sl = 0; sl < S; ++sl) {
    w.wide[sl] = sl == 0 || w.XSW == 0;
    for (int ti = 0; ti < w.NT; ++ti)
      if (w.slice_reads[sl][ti] && (w.steps[ti] == 1 || !p.batched[ti])) w.wide[sl] = 1;
    w.wide_slices += w.wide[sl];
  }
  w.DRW = ubits(p.drain() - 1);  // drain counter 0 .. drain-1
  // the result beat: class in the low byte(s), logit k at RCB + k*LW, padded to bytes
  // (AXI4-Stream tdata is a whole number of bytes)
  w.RCB = (w.CLW + 7) / 8 * 8;
  w.RDW = (w.RCB + w.K * w.LW + 7) / 8 * 8;
  w.clip = q.tensors[0].shape.size();
  w.PAW = clog2(w.clip);
  return w;
}

Register BuildCtx::reg(const std::string& name, int wd, long reset, bool d_reg) {
  return m->AddRegister(name, Type::Bits(wd), L(wd, reset), clk, rst, RegisterOptions{nullptr, d_reg, ""});
}
Register BuildCtx::sreg(const std::string& name, int wd) {
  return m->AddRegister(name, Type::SBits(wd), SL(wd, 0), clk, rst, RegisterOptions{nullptr, true, ""});
}
const Expr* BuildCtx::ref(const Expr* e, const std::string& hint) {
  if (dynamic_cast<const LogicRef*>(e)) return e;
  return m->AddWireAssign(vast::Name(hint, tmp_id++), e);
}
const Expr* BuildCtx::sext(const Expr* e, int wd, const std::string& hint) {
  const Expr* r = ref(e, hint);
  if (*r->width() == wd) return r->is_signed() ? r : f.Signed(r);
  const Expr* x = f.SignExtend(r, wd);
  return x->is_signed() ? x : f.Signed(x);
}
const Expr* BuildCtx::bits(const Expr* e, int hi, int lo) {
  if (lo == 0 && *e->width() == hi + 1) return e;
  return f.Slice(ref(e, "sl"), hi, lo);
}
const Expr* BuildCtx::mulc(const Expr* x, long c, bool sgn) {
  const int wd = *x->width();
  if (c == 0) return sgn ? SL(wd, 0) : L(wd, 0);
  const Expr* acc = nullptr;
  for (int k = 0; k < wd && (c >> k) != 0; ++k) {
    if (((c >> k) & 1) == 0) continue;
    const Expr* term = k == 0 ? x : f.Shl(x, f.Int(k));
    acc = acc ? f.Add(acc, term) : term;
  }
  return acc ? acc : (sgn ? SL(wd, 0) : L(wd, 0));
}
Register BuildCtx::delay(const std::string& name, int wd, const Expr* src) {
  Register r = reg(name, wd);
  m->AddAlwaysComb()->Blocking(r.d, src);
  return r;
}
const Expr* BuildCtx::resize_u(const Expr* e, int wd) {
  const int ew = *e->width();
  if (ew == wd) return e;
  const Expr* r = ref(e, "rs");
  if (ew < wd) return f.ZeroExtend(r, wd);
  return f.Slice(r, wd - 1, 0);
}

Module* declare_lane_copy(BuildCtx& c, const std::string& name, int wd, const std::string& what) {
  VerilogFile& f = c.f;
  Module* x = f.AddModule(name);
  x->AddHeaderComment("One lane's copy of " + what + " (sdm_accel, kOperandCopyMinLanes):");
  x->AddHeaderComment("a module of its own so that synthesis keeps the copies apart (it lives in sdm_accel.v).");
  x->AddHeaderComment("verilator lint_off DECLFILENAME");
  x->AddAttribute("keep_hierarchy");
  LogicRef* clk = x->AddInput("clk_i");
  LogicRef* rst = x->AddInput("rst_ni");
  LogicRef* d = x->AddInput("d_i", Type::Bits(wd));
  LogicRef* q = x->AddOutput("q_o", Type::Bits(wd));
  Register r = x->AddRegister("x", Type::Bits(wd), c.L(wd, 0), clk, rst);
  x->AddAssign(r.d, d);
  x->AddAssign(q, r.q);
  return x;
}

const Expr* is_state(BuildCtx& c, const ControllerPorts& ctl, State s) {
  return c.f.Eq(ctl.state.q, c.L(kStateW, s));
}
const Expr* is_ostate(BuildCtx& c, const ControllerPorts& ctl, OutState s) {
  return c.f.Eq(ctl.ostate.q, c.L(kOutStateW, s));
}

}  // namespace sdm::accel
