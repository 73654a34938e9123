// Emits `sdm_accel` (docs/architecture.md) through the VAST AST: a controller that runs
// every stage of the plan as one loop nest over one shared datapath of `lanes` MAC lanes
// and one shared array of sd_neuron units (rtl/sd_neuron.v). Names say where they come
// from: `mem_t3_l2_clip` is the memory of tensor 3 (from IR node /l2/Clip).
#include <algorithm>
#include <fstream>
#include <sys/stat.h>

#include <fmt/core.h>

#include "golden/error.h"
#include "golden/fileio.h"
#include "rtl_gen/accel_gen.h"
#include "rtl_gen/vast.h"

namespace sdm {
namespace {

using namespace vast;

int clog2(long n) {  // bits to index n items (>= 1)
  int b = 0;
  while ((1L << b) < n) ++b;
  return std::max(b, 1);
}
int ubits(long v) {  // bits to hold 0..v (>= 1)
  int b = 1;
  while ((1L << b) <= v) ++b;
  return b;
}

std::string hex_word(const std::vector<int64_t>& lanes, int bits) {
  // lane 0 in the least significant bits
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

enum State { S_IDLE = 0, S_SYN, S_DRAIN, S_OUT, S_WAIT, S_WB, S_NEXT, S_DONE, S_ARG };
constexpr int kStateW = 4;

struct Gen {
  const QNet& q;
  const HwPlan& p;
  VerilogFile f;
  Module* m = nullptr;
  LogicRef *clk = nullptr, *rst = nullptr;

  Gen(const QNet& q_, const HwPlan& p_) : q(q_), p(p_) {}

  const Expr* L(int w, long v) { return f.Lit(w, uint64_t(v)); }
  const Expr* SL(int w, long v) { return f.SLit(w, v); }
  Register reg(const std::string& name, int w, long reset = 0, bool d_reg = true) {
    return m->AddRegister(name, Type::Bits(w), L(w, reset), clk, rst, RegisterOptions{nullptr, d_reg, ""});
  }
  int tmp_id = 0;
  // A reference for `e` (selects and extensions need one): `e` itself or a new wire.
  const Expr* ref(const Expr* e, const std::string& hint) {
    if (dynamic_cast<const LogicRef*>(e)) return e;
    return m->AddWireAssign(vast::Name(hint, tmp_id++), e);
  }
  // two's-complement value `e` sign-extended to w bits, as a signed expression
  const Expr* sext(const Expr* e, int w, const std::string& hint) {
    const Expr* r = ref(e, hint);
    if (*r->width() == w) return r->is_signed() ? r : f.Signed(r);
    const Expr* x = f.SignExtend(r, w);
    return x->is_signed() ? x : f.Signed(x);
  }
  // e[hi:lo], or e itself when that is all of it (a 1-bit signal has no range to select)
  const Expr* bits(const Expr* e, int hi, int lo) {
    if (lo == 0 && *e->width() == hi + 1) return e;
    return f.Slice(ref(e, "sl"), hi, lo);
  }
  // x times a non-negative constant, modulo 2^width(x), as shifts and adds: constant
  // products must not become DSP multipliers (the UP5K has 8, the lanes need them).
  const Expr* mulc(const Expr* x, long c, bool sgn) {
    const int w = *x->width();
    if (c == 0) return sgn ? SL(w, 0) : L(w, 0);
    const Expr* acc = nullptr;
    for (int k = 0; k < w && (c >> k) != 0; ++k) {
      if (((c >> k) & 1) == 0) continue;
      const Expr* term = k == 0 ? x : f.Shl(x, f.Int(k));
      acc = acc ? f.Add(acc, term) : term;
    }
    return acc ? acc : (sgn ? SL(w, 0) : L(w, 0));
  }
  // A pipeline register: q is `src` one cycle later.
  Register delay(const std::string& name, int w, const Expr* src) {
    Register r = reg(name, w);
    m->AddAlwaysComb()->Blocking(r.d, src);
    return r;
  }
  // unsigned value `e` resized to w bits (zero-extend or truncate)
  const Expr* resize_u(const Expr* e, int w) {
    const int ew = *e->width();
    if (ew == w) return e;
    const Expr* r = ref(e, "rs");
    if (ew < w) return f.ZeroExtend(r, w);
    return f.Slice(r, w - 1, 0);
  }
};

}  // namespace

GeneratedDesign generate_accelerator(const Artifact& a, int lanes) {
  if (!a.has_qnet)
    throw Error(fmt::format("method '{}' has no hardware (the neuron array implements sdm, opt, "
                            "burst and if; rts and snm are float only)",
                            method_name(a.cfg.neuron.method)));
  const QNet& q = a.qnet;
  HwPlan p = plan_accelerator(q, lanes);
  CyclePrediction pred = predict_cycles(p, q);
  Gen g(q, p);
  VerilogFile& f = g.f;
  const int Ln = p.lanes, T = p.cfg.T, WB = p.cfg.weight_bits;
  const int NS = int(p.stages.size()), NR = int(p.terms.size()), NT = int(q.tensors.size());
  const int K = q.num_classes();

  // ---- widths ---------------------------------------------------------------------
  int maxF = 1, maxH = 1, maxW = 1, maxG = 1, maxCi = 1, maxKt = 1, maxKh = 1, maxKw = 1;
  long maxDepth = 1, maxCo = 1;
  int bmax = 2;
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
  for (const HwStage& s : p.stages)  // lane slots hold what the stages write
    if (s.mode != HwStage::Readout) bmax = std::max(bmax, q.tensors[s.out].bits());
  const int STW = clog2(NS), RW = clog2(NR), TIDW = clog2(NT);
  const int FW = ubits(maxF - 1), HW = ubits(maxH - 1), WW = ubits(maxW - 1), GW = ubits(maxG - 1);
  const int TW = ubits(std::max(T - 1, 1)), CIW = ubits(maxCi - 1);
  const int KTW = ubits(maxKt - 1), KHW = ubits(maxKh - 1), KWW = ubits(maxKw - 1);
  const int CW = ubits(coordMax) + 2;  // signed coordinates
  const int AWID = clog2(maxDepth);  // address arithmetic is exact modulo 2^AWID
  const int CHW = ubits(long(maxG) * Ln);
  const int LNW = ubits(std::max(Ln - 1, 1));
  const int XW = p.x_w, PRW = WB + XW, ACC = p.acc_w;
  const int NW = std::max(2, ubits(p.cfg.neuron.max_burst()) + 1);
  const int NPW = p.neuron_pw, NACC = p.neuron_acc, NF = p.neuron_F;
  const int LW = p.logit_w, CLW = ubits(std::max(K - 1, 1));
  // The weight ROM is padded with zero words to a multiple of 512 so that it fills whole
  // block RAMs (iCE40 EBR: 256 deep, ECP5 DP16KD: 512) and `synth --patch` can swap its
  // contents in a placed bitstream (icebram / ecpbram need whole blocks).
  const long WDEPTH = std::max<long>((p.weight_words + 511) / 512 * 512, 512),
             BDEPTH = std::max<long>(p.bias_words, 1);
  const int WAW = clog2(WDEPTH), BAW = clog2(BDEPTH);
  int TDW = 8;
  std::vector<int> steps(static_cast<size_t>(NT)), wordw(static_cast<size_t>(NT));
  for (int t = 0; t < NT; ++t) {
    steps[t] = q.tensors[t].per_step ? T : 1;
    wordw[t] = steps[t] * q.tensors[t].bits();
    TDW = std::max(TDW, wordw[t]);
  }

  // ---- extern neuron ----------------------------------------------------------------
  Module* nrn = f.DeclareExternModule("sd_neuron");
  {
    auto* pa = nrn->AddParameter("ACC_W", f.Int(16));
    auto* pw = nrn->AddParameter("PW", f.Int(18));
    nrn->AddParameter("F", f.Int(7));
    nrn->AddParameter("BETA", f.Int(5));
    nrn->AddParameter("DUAL", f.Int(1));
    nrn->AddParameter("INIT_HALF", f.Int(1));
    auto* pn = nrn->AddParameter("N_W", f.Int(4));
    nrn->AddParameter("STEP_GAP", f.Int(1));
    nrn->AddInput("clk_i");
    nrn->AddInput("rst_ni");
    nrn->AddInput("valid_i");
    nrn->AddInput("first_i");
    nrn->AddInput("cur_i", Type::Param(pa, true));
    nrn->AddOutput("valid_o");
    nrn->AddOutput("n_o", Type::Param(pn, true));
    nrn->AddOutput("v_o", Type::Param(pw, true));
    nrn->AddOutput("m_o", Type::Param(pw, true));
  }

  Module* m = f.AddModule("sdm_accel");
  g.m = m;
  m->AddHeaderComment(fmt::format("sdm_accel: generated by sdmforge from '{}' ({}, T={}, lanes={}).",
                                  a.graph.name, p.cfg.neuron.label(), T, Ln));
  m->AddHeaderComment("Do not edit: regenerate with `sdmforge rtl`. See docs/architecture.md.");
  LogicRef* clk = m->AddInput("clk_i");
  LogicRef* rst = m->AddInput("rst_ni");
  g.clk = clk;
  g.rst = rst;
  LogicRef* pix_valid = m->AddInput("s_pix_tvalid_i");
  LogicRef* pix_ready = m->AddOutput("s_pix_tready_o");
  LogicRef* pix_data = m->AddInput("s_pix_tdata_i", Type::Bits(8));
  LogicRef* pix_last = m->AddInput("s_pix_tlast_i");
  LogicRef* start_i = m->AddInput("start_i");
  LogicRef* busy_o = m->AddOutput("busy_o");
  LogicRef* done_o = m->AddOutput("done_o");
  LogicRef* class_o = m->AddOutput("class_o", Type::Bits(CLW));
  LogicRef* logits_o = m->AddOutput("logits_o", Type::Bits(K * LW));
  LogicRef* cnt_sel = m->AddInput("cnt_sel_i", Type::Bits(8));
  LogicRef* cnt_val = m->AddOutput("cnt_val_o", Type::Bits(32));
  LogicRef* tr_valid = m->AddOutput("trace_valid_o");
  LogicRef* tr_tensor = m->AddOutput("trace_tensor_o", Type::Bits(8));
  LogicRef* tr_addr = m->AddOutput("trace_addr_o", Type::Bits(32));
  LogicRef* tr_data = m->AddOutput("trace_data_o", Type::Bits(TDW));
  LogicRef* tr_step = m->AddOutput("trace_step_o", Type::Bits(8));
  LogicRef* tn_valid = m->AddOutput("trace_nrn_valid_o");
  LogicRef* tn_stage = m->AddOutput("trace_nrn_stage_o", Type::Bits(8));
  LogicRef* tn_t = m->AddOutput("trace_nrn_t_o", Type::Bits(8));
  LogicRef* tn_v = m->AddOutput("trace_nrn_v_o", Type::Bits(Ln * NPW));
  LogicRef* tn_m = m->AddOutput("trace_nrn_m_o", Type::Bits(Ln * NPW));

  // ---- controller registers ---------------------------------------------------------
  Register state = g.reg("state", kStateW, S_IDLE);
  Register stage = g.reg("stage", STW);
  Register fo = g.reg("fo", FW), ho = g.reg("ho", HW), wo = g.reg("wo", WW), cg = g.reg("cg", GW);
  Register tt = g.reg("t", TW), rr = g.reg("r", RW), ci = g.reg("ci", CIW);
  Register dt = g.reg("dt", KTW), dh = g.reg("dh", KHW), dw = g.reg("dw", KWW);
  const int DRW = ubits(kDrain - 1);  // drain counter 0 .. kDrain-1
  Register drain = g.reg("drain", DRW), wait = g.reg("wait", 1), wb = g.reg("wb", LNW);
  Register syn_first = g.reg("syn_first", 1);
  // static neuron stage: the bubble cycle between two feeds of the same neuron (STEP_GAP 2)
  Register out_gap = g.reg("out_gap", 1);
  const long clip = q.tensors[0].shape.size();
  const int PAW = clog2(clip);
  Register pix_addr = g.reg("pix_addr", PAW);
  Register cls = g.reg("class", CLW), done = g.reg("done", 1);

  auto is_state = [&](State s) { return f.Eq(state.q, g.L(kStateW, s)); };
  const Expr* in_syn = is_state(S_SYN);
  const Expr* ready = f.LogicalOr(is_state(S_IDLE), is_state(S_DONE));
  m->AddAssign(pix_ready, ready);
  const Expr* pix_hs = f.LogicalAnd(pix_valid, ready);
  LogicRef* start = m->AddWireAssign("run_start",
      f.LogicalOr(f.LogicalAnd(pix_hs, pix_last), f.LogicalAnd(start_i, ready)));
  m->AddAssign(busy_o, f.LogicalNot(ready));
  m->AddAssign(done_o, done.q);
  m->AddAssign(class_o, cls.q);

  // ---- term decode (per datapath row): bounds, input coordinate, addresses ----------
  LogicRef* td_last_dw = m->AddReg("td_last_dw", Type::Bits(1));
  LogicRef* td_last_dh = m->AddReg("td_last_dh", Type::Bits(1));
  LogicRef* td_last_dt = m->AddReg("td_last_dt", Type::Bits(1));
  LogicRef* td_last_ci = m->AddReg("td_last_ci", Type::Bits(1));
  LogicRef* td_inr = m->AddReg("td_in_range", Type::Bits(1));
  LogicRef* td_src = m->AddReg("td_src", Type::Bits(TIDW));
  // Read addresses are computed at AX/WX bits so that no coordinate bit is cut off;
  // bits above the largest bank / the ROM are zero for every valid synapse and are checked
  // so (they join the in-range flag) rather than silently dropped.
  long maxBank = 1;
  for (const auto& bk : p.banks) maxBank = std::max(maxBank, bk.depth);
  const int BX = clog2(maxBank);
  const int AX = std::max({BX, CW, AWID + TW + 2});
  const int WX = std::max({WAW, CIW, KTW, KHW, KWW, GW});
  bool any_diag = false, any_rom = false, any_split = false;
  for (const HwTerm& t : p.terms) (t.diag_ones ? any_diag : any_rom) = true;
  for (const HwStage& s : p.stages)
    if (s.mode != HwStage::Readout && p.split[s.out]) any_split = true;
  LogicRef* td_addr = m->AddReg("td_bank_addr", Type::Bits(AX));
  LogicRef* td_waddr = m->AddReg("td_waddr", Type::Bits(WX));
  // Synapse index within the current row: a row walks (ci, dt, dh, dw) in weight-ROM order,
  // one synapse per S_SYN cycle from all-zero counters, so its weight address is the row's
  // base plus this counter. Replaces (cg*CI + ci)*KK + (dt*KH + dh)*KW + dw, whose chained
  // constant multiplies were the UP5K critical path (44.5 ns).
  Register row_off = g.reg("row_off", WX);
  LogicRef* td_wbase = m->AddReg("td_wbase", Type::Bits(WX));
  LogicRef* td_diag = any_diag ? m->AddReg("td_diag", Type::Bits(Ln)) : nullptr;
  LogicRef* td_dsel = any_diag ? m->AddReg("td_diag_row", Type::Bits(1)) : nullptr;
  {
    Block* b = m->AddAlwaysComb();
    b->Blocking(td_last_dw, g.L(1, 1));
    b->Blocking(td_last_dh, g.L(1, 1));
    b->Blocking(td_last_dt, g.L(1, 1));
    b->Blocking(td_last_ci, g.L(1, 1));
    b->Blocking(td_inr, g.L(1, 0));
    b->Blocking(td_src, g.L(TIDW, 0));
    b->Blocking(td_addr, g.L(AX, 0));
    b->Blocking(td_waddr, g.L(WX, 0));
    b->Blocking(td_wbase, g.L(WX, 0));
    if (any_diag) {
      b->Blocking(td_diag, g.L(Ln, 0));
      b->Blocking(td_dsel, g.L(1, 0));
    }
    Case* c = b->AddCase(rr.q);
    auto sc = [&](const Expr* e) { return f.Signed(f.ZeroExtend(e, CW)); };
    for (int r = 0; r < NR; ++r) {
      const HwTerm& t = p.terms[r];
      const HwStage& s = p.stages[t.stage];
      const Shape& is = q.tensors[t.src].shape;
      Block* it = c->AddItem({g.L(RW, r)});
      it->AddComment(fmt::format("row {}: stage {} ({}) reads tensor {} ({})", r, t.stage, s.name, t.src,
                                 q.tensors[t.src].name));
      it->Blocking(td_last_dw, f.Eq(dw.q, g.L(KWW, t.kernel[2] - 1)));
      it->Blocking(td_last_dh, f.Eq(dh.q, g.L(KHW, t.kernel[1] - 1)));
      it->Blocking(td_last_dt, f.Eq(dt.q, g.L(KTW, t.kernel[0] - 1)));
      it->Blocking(td_last_ci, f.Eq(ci.q, g.L(CIW, t.ci - 1)));
      it->Blocking(td_src, g.L(TIDW, t.src));
      // input coordinate = out * stride - pad + kernel offset
      const Expr* fi = f.Add(f.Sub(g.mulc(sc(fo.q), t.stride[0], true), g.SL(CW, t.pad_lo[0])), sc(dt.q));
      const Expr* hi = f.Add(f.Sub(g.mulc(sc(ho.q), t.stride[1], true), g.SL(CW, t.pad_lo[1])), sc(dh.q));
      const Expr* wi = f.Add(f.Sub(g.mulc(sc(wo.q), t.stride[2], true), g.SL(CW, t.pad_lo[2])), sc(dw.q));
      auto inr = [&](const Expr* x, int n) {
        return f.LogicalAnd(f.Ge(x, g.SL(CW, 0)), f.Lt(x, g.SL(CW, n)));
      };
      it->Blocking(td_inr, f.LogicalAnd(f.LogicalAnd(inr(fi, is.f), inr(hi, is.h)), inr(wi, is.w)));
      auto u = [&](const Expr* x) { return g.resize_u(f.Unsigned(x), AX); };
      const Expr* addr = f.Add(
          g.mulc(f.Add(g.mulc(f.Add(g.mulc(g.resize_u(ci.q, AX), is.f, false), u(fi)), is.h, false), u(hi)), is.w, false),
          u(wi));
      // bank word: base + neuron (packed steps) or base + neuron*T + t (one value per word)
      const QTensor& sq = q.tensors[t.src];
      const bool sp = p.split[t.src];
      const Expr* baddr = f.Add(g.L(AX, p.bank_base[t.src]),
                                sp ? f.Add(g.mulc(addr, sq.per_step ? T : 1, false), g.resize_u(tt.q, AX)) : addr);
      it->Blocking(td_addr, baddr);
      if (t.diag_ones) {
        // sum pool: lane l adds input channel cg*L + l with weight 1 (nothing stored)
        const int DW = std::max(CHW, CIW) + 1;
        std::vector<const Expr*> hits;
        for (int l = Ln - 1; l >= 0; --l)
          hits.push_back(f.Eq(g.resize_u(ci.q, DW), f.Add(g.mulc(g.resize_u(cg.q, DW), Ln, false), g.L(DW, l))));
        it->Blocking(td_diag, Ln == 1 ? hits[0] : f.Concat(hits));
        it->Blocking(td_dsel, g.L(1, 1));
        continue;
      }
      const long KK = long(t.kernel[0]) * t.kernel[1] * t.kernel[2];
      // row base of channel group cg (a constant table, not a multiply) + synapse index
      Case* gb = it->AddCase(cg.q);
      for (int gi = 0; gi < s.groups; ++gi)
        gb->AddItem({g.L(GW, gi)})->Blocking(td_wbase, g.L(WX, t.wbase + long(gi) * t.ci * KK));
      it->Blocking(td_waddr, f.Add(td_wbase, row_off.q));
    }
  }

  {
    const Expr* row_last = f.LogicalAnd(f.LogicalAnd(td_last_dw, td_last_dh), f.LogicalAnd(td_last_dt, td_last_ci));
    m->AddAlwaysComb()->Blocking(
        row_off.d, f.Ternary(f.LogicalAnd(in_syn, f.LogicalNot(row_last)), f.Add(row_off.q, g.L(WX, 1)), g.L(WX, 0)));
  }

  // ---- stage decode ---------------------------------------------------------------
  LogicRef* sd_mode = m->AddReg("sd_mode", Type::Bits(2));
  LogicRef* sd_static = m->AddReg("sd_static", Type::Bits(1));
  LogicRef* sd_last_r = m->AddReg("sd_last_r", Type::Bits(1));
  LogicRef* sd_first_r = m->AddReg("sd_first_r", Type::Bits(RW));
  LogicRef* sd_next_r = m->AddReg("sd_next_r", Type::Bits(RW));
  LogicRef* sd_last_cg = m->AddReg("sd_last_cg", Type::Bits(1));
  LogicRef* sd_last_wo = m->AddReg("sd_last_wo", Type::Bits(1));
  LogicRef* sd_last_ho = m->AddReg("sd_last_ho", Type::Bits(1));
  LogicRef* sd_last_fo = m->AddReg("sd_last_fo", Type::Bits(1));
  LogicRef* sd_last_stage = m->AddReg("sd_last_stage", Type::Bits(1));
  LogicRef* sd_last_wb = m->AddReg("sd_last_wb", Type::Bits(1));
  LogicRef* sd_out = m->AddReg("sd_out", Type::Bits(TIDW));
  LogicRef* sd_split = any_split ? m->AddReg("sd_split", Type::Bits(1)) : nullptr;
  LogicRef* sd_oaddr = m->AddReg("sd_out_addr", Type::Bits(AWID));
  LogicRef* sd_baddr = m->AddReg("sd_bias_addr", Type::Bits(BAW));
  LogicRef* ch = m->AddWireAssign("wb_channel",
      f.Add(g.mulc(g.resize_u(cg.q, CHW), Ln, false), g.resize_u(wb.q, CHW)));
  {
    Block* b = m->AddAlwaysComb();
    b->Blocking(sd_mode, g.L(2, 0));
    b->Blocking(sd_static, g.L(1, 0));
    b->Blocking(sd_last_r, g.L(1, 1));
    b->Blocking(sd_first_r, g.L(RW, 0));
    b->Blocking(sd_next_r, g.L(RW, 0));
    b->Blocking(sd_last_cg, g.L(1, 1));
    b->Blocking(sd_last_wo, g.L(1, 1));
    b->Blocking(sd_last_ho, g.L(1, 1));
    b->Blocking(sd_last_fo, g.L(1, 1));
    b->Blocking(sd_last_stage, g.L(1, 1));
    b->Blocking(sd_last_wb, g.L(1, 1));
    b->Blocking(sd_out, g.L(TIDW, 0));
    if (any_split) b->Blocking(sd_split, g.L(1, 0));
    b->Blocking(sd_oaddr, g.L(AWID, 0));
    b->Blocking(sd_baddr, g.L(BAW, 0));
    Case* c = b->AddCase(stage.q);
    for (int si = 0; si < NS; ++si) {
      const HwStage& s = p.stages[si];
      Block* it = c->AddItem({g.L(STW, si)});
      it->AddComment(fmt::format("stage {}: {} ({}), out tensor {} {}", si, s.name,
                                 s.mode == HwStage::Neuron ? "neuron" : s.mode == HwStage::Sum ? "sum pool" : "readout",
                                 s.out, s.out_shape.str()));
      it->Blocking(sd_mode, g.L(2, s.mode));
      it->Blocking(sd_static, g.L(1, s.static_input ? 1 : 0));
      it->Blocking(sd_last_r, f.Eq(rr.q, g.L(RW, s.first_term + s.num_terms - 1)));
      it->Blocking(sd_first_r, g.L(RW, s.first_term));
      it->Blocking(sd_next_r, g.L(RW, si + 1 < NS ? p.stages[si + 1].first_term : 0));
      it->Blocking(sd_last_cg, f.Eq(cg.q, g.L(GW, s.groups - 1)));
      it->Blocking(sd_last_wo, f.Eq(wo.q, g.L(WW, s.out_shape.w - 1)));
      it->Blocking(sd_last_ho, f.Eq(ho.q, g.L(HW, s.out_shape.h - 1)));
      it->Blocking(sd_last_fo, f.Eq(fo.q, g.L(FW, s.out_shape.f - 1)));
      it->Blocking(sd_last_stage, g.L(1, si == NS - 1 ? 1 : 0));
      it->Blocking(sd_last_wb, f.LogicalOr(f.Eq(wb.q, g.L(LNW, Ln - 1)), f.Eq(ch, g.L(CHW, s.co - 1))));
      it->Blocking(sd_out, g.L(TIDW, s.out));
      if (any_split) it->Blocking(sd_split, g.L(1, s.mode != HwStage::Readout && p.split[s.out] ? 1 : 0));
      const Shape& os = s.out_shape;
      it->Blocking(sd_oaddr,
                   f.Add(g.mulc(f.Add(g.mulc(f.Add(g.mulc(g.resize_u(ch, AWID), os.f, false), g.resize_u(fo.q, AWID)), os.h, false),
                                     g.resize_u(ho.q, AWID)), os.w, false),
                         g.resize_u(wo.q, AWID)));
      it->Blocking(sd_baddr, f.Add(g.L(BAW, s.bias_base), g.resize_u(cg.q, BAW)));
    }
  }

  // ---- memories -----------------------------------------------------------------------
  GeneratedDesign out;
  // weight ROM: one word per (row, group, input channel, kernel offset), lane 0 in the LSBs
  {
    std::string hex;
    for (const HwTerm& t : p.terms) {
      if (t.diag_ones) continue;  // computed in the datapath, not stored
      const HwStage& s = p.stages[t.stage];
      const long KK = long(t.kernel[0]) * t.kernel[1] * t.kernel[2];
      for (int gi = 0; gi < s.groups; ++gi)
        for (int c = 0; c < t.ci; ++c)
          for (long k = 0; k < KK; ++k) {
            std::vector<int64_t> lanesv(size_t(Ln), 0);
            for (int l = 0; l < Ln; ++l) {
              const int o = gi * Ln + l;
              if (o < s.co) lanesv[l] = t.weight[(size_t(o) * t.ci + c) * KK + k];
            }
            hex += hex_word(lanesv, WB) + "\n";
          }
    }
    for (long w = p.weight_words; w < WDEPTH; ++w) hex += hex_word(std::vector<int64_t>(size_t(Ln), 0), WB) + "\n";
    out.files["weights.hex"] = hex;
    std::string bh;
    for (const HwStage& s : p.stages) {
      const QStage& qs = q.stages[s.qstage];
      for (int gi = 0; gi < s.groups; ++gi) {
        std::vector<int64_t> lanesv(size_t(Ln), 0);
        for (int l = 0; l < Ln; ++l) {
          const int o = gi * Ln + l;
          if (o < s.co && s.mode != HwStage::Sum) lanesv[l] = qs.bias[o];
        }
        bh += hex_word(lanesv, ACC) + "\n";
      }
    }
    out.files["bias.hex"] = bh;
  }
  LogicRef* wrom = m->AddMemory("weight_rom", Type::Bits(Ln * WB), int(WDEPTH), "weights.hex");
  LogicRef* brom = m->AddMemory("bias_rom", Type::Bits(Ln * ACC), int(BDEPTH), "bias.hex");
  LogicRef* bias_w = m->AddWireAssign("bias_word", f.Index(brom, sd_baddr));

  // pipeline stage 0: register the decoded addresses (keeps the address arithmetic out of
  // the memory-read path)
  Register p0_addr = g.reg("p0_bank_addr", BX), p0_waddr = g.reg("p0_waddr", WAW);
  m->AddAlwaysComb()->Blocking(p0_addr.d, g.bits(td_addr, BX - 1, 0));
  m->AddAlwaysComb()->Blocking(p0_waddr.d, g.bits(td_waddr, WAW - 1, 0));
  // the step travels with the read only when some row reads T steps from one word
  bool any_packed_read = false;
  for (const HwTerm& t : p.terms)
    if (q.tensors[t.src].per_step && T > 1 && !p.split[t.src]) any_packed_read = true;
  // A read's control travels with it down the pipeline, one register bundle per stage.
  struct ReadCtl {
    Register valid, inr, src, t, diag, dsel;
  };
  auto read_ctl = [&](const std::string& pre, const Expr* valid, const Expr* inr, const Expr* src,
                      const Expr* t, const Expr* diag, const Expr* dsel) {
    ReadCtl c;
    c.valid = g.delay(pre + "_valid", 1, valid);
    c.inr = g.delay(pre + "_in_range", 1, inr);
    c.src = g.delay(pre + "_src", TIDW, src);
    if (any_packed_read) c.t = g.delay(pre + "_t", TW, t);
    if (any_diag) {
      c.diag = g.delay(pre + "_diag", Ln, diag);
      c.dsel = g.delay(pre + "_diag_row", 1, dsel);
    }
    return c;
  };
  auto follow = [&](const std::string& pre, const ReadCtl& c) {
    return read_ctl(pre, c.valid.q, c.inr.q, c.src.q, any_packed_read ? c.t.q : nullptr,
                    any_diag ? c.diag.q : nullptr, any_diag ? c.dsel.q : nullptr);
  };
  const Expr* in_range = td_inr;
  if (AX > BX) in_range = f.LogicalAnd(in_range, f.Eq(f.Slice(td_addr, AX - 1, BX), g.L(AX - BX, 0)));
  if (WX > WAW) in_range = f.LogicalAnd(in_range, f.Eq(f.Slice(td_waddr, WX - 1, WAW), g.L(WX - WAW, 0)));
  const ReadCtl p0 = read_ctl("p0", in_syn, in_range, td_src, tt.q, td_diag, td_dsel);
  LogicRef* w_q = m->AddReg("weight_q", Type::Bits(Ln * WB));
  {
    Block* b = m->AddAlwaysFf(clk);
    b->Nonblocking(w_q, f.Index(wrom, p0_waddr.q));
  }

  // pipeline stage 1: memory read (data in the bank read registers)
  const ReadCtl p1 = follow("p1", p0);

  // lane slots written by the output unit; the write-back reads lane wb (and step wb_t)
  std::vector<std::vector<LogicRef*>> slot(static_cast<size_t>(Ln), std::vector<LogicRef*>(static_cast<size_t>(T)));
  for (int l = 0; l < Ln; ++l)
    for (int t = 0; t < T; ++t) slot[l][t] = m->AddReg(vast::Name("slot_l", l, "t", t), Type::Bits(bmax));
  std::vector<LogicRef*> sel_slot(static_cast<size_t>(T));
  for (int t = 0; t < T; ++t) {
    sel_slot[t] = m->AddReg(vast::Name("wb_slot_t", t), Type::Bits(bmax));
    Block* b = m->AddAlwaysComb();
    b->Blocking(sel_slot[t], slot[0][t]);
    if (Ln > 1) {
      Case* c = b->AddCase(wb.q);
      for (int l = 1; l < Ln; ++l) c->AddItem({g.L(LNW, l)})->Blocking(sel_slot[t], slot[l][t]);
    }
  }
  Register wbt{};
  if (any_split) wbt = g.reg("wb_t", TW);

  // tensor memory banks: single-ported (one address: the write-back's or the read's), so
  // Yosys maps large ones to iCE40 SPRAM and the rest to EBR / ECP5 DP16KD
  const int NB = int(p.banks.size());
  std::vector<LogicRef*> rd(static_cast<size_t>(NB));
  std::vector<LogicRef*> tw_data(static_cast<size_t>(NT), nullptr);  // per tensor: data it writes
  nlohmann::json memmap = nlohmann::json::array();
  for (int bi = 0; bi < NB; ++bi) {
    const HwPlan::Bank& bk = p.banks[bi];
    const int aw = clog2(bk.depth), W = bk.width;
    std::string bname = vast::Name("bank", bi);
    for (int ti : bk.tensors) bname = vast::Name(bname, "t", ti);
    if (bname.size() > 40) bname = vast::Name("bank", bi, "shared");
    LogicRef* mem = m->AddMemory(vast::Name("mem", bname), Type::Bits(W), int(bk.depth));
    rd[bi] = m->AddReg(vast::Name("rd", bname), Type::Bits(W));
    LogicRef* we = m->AddReg(vast::Name("we", bname), Type::Bits(1));
    LogicRef* wa = m->AddReg(vast::Name("wa", bname), Type::Bits(aw));
    LogicRef* wd = m->AddReg(vast::Name("wd", bname), Type::Bits(W));
    nlohmann::json members = nlohmann::json::array();
    {
      Block* b = m->AddAlwaysComb();
      b->Blocking(we, g.L(1, 0));
      b->Blocking(wa, g.L(aw, 0));
      b->Blocking(wd, g.L(W, 0));
      for (int ti : bk.tensors) {
        const QTensor& qt = q.tensors[ti];
        const int bits = qt.bits(), st = steps[ti];
        const bool sp = p.split[ti];
        members.push_back({{"tensor", ti}, {"name", qt.name}, {"base", p.bank_base[ti]},
                           {"words", qt.shape.size() * (sp ? st : 1)}, {"layout", sp ? "value per word" : "steps per word"},
                           {"value_bits", bits}, {"steps", st}, {"signed", qt.is_signed()},
                           {"shape", {qt.shape.c, qt.shape.f, qt.shape.h, qt.shape.w}}});
        if (ti == 0) {  // pixels from the input stream
          If* i = b->AddIf(pix_hs);
          i->then_block()->Blocking(we, g.L(1, 1));
          i->then_block()->Blocking(wa, f.Add(g.L(aw, p.bank_base[0]), g.resize_u(pix_addr.q, aw)));
          i->then_block()->Blocking(wd, g.resize_u(pix_data, W));
          continue;
        }
        const Expr* data;
        if (sp) {  // the value of step wb_t
          data = g.bits(sel_slot[0], bits - 1, 0);
          for (int t = 1; t < st; ++t)
            data = f.Ternary(f.Eq(wbt.q, g.L(TW, t)), g.bits(sel_slot[t], bits - 1, 0), data);
        } else {
          std::vector<const Expr*> parts;
          for (int t = st - 1; t >= 0; --t) parts.push_back(g.bits(sel_slot[t], bits - 1, 0));
          data = parts.size() == 1 ? parts[0] : f.Concat(parts);
        }
        tw_data[ti] = m->AddWireAssign(vast::Name("wdata_t", ti), data);
        // modulo 2^aw: the word address of a valid write is below the bank depth
        const Expr* word = sp ? f.Add(g.mulc(g.resize_u(sd_oaddr, aw), st, false), g.resize_u(wbt.q, aw))
                              : g.resize_u(sd_oaddr, aw);
        If* i = b->AddIf(f.LogicalAnd(is_state(S_WB), f.Eq(sd_out, g.L(TIDW, ti))));
        i->then_block()->Blocking(we, g.L(1, 1));
        i->then_block()->Blocking(wa, f.Add(g.L(aw, p.bank_base[ti]), word));
        i->then_block()->Blocking(wd, g.resize_u(tw_data[ti], W));
      }
    }
    // Writes are registered and land one cycle late: the write-back address arithmetic
    // (((ch*F + fo)*H + ho)*W + wo) then ends in a flop instead of at the block RAM's
    // address pins (the ECP5 critical path). No read is in flight then: the last write-back
    // lands in S_NEXT, the next read reaches the memory two cycles later; the last pixel
    // lands in the first S_SYN cycle, its read one cycle later.
    Register we_r = g.delay(vast::Name("we_r", bname), 1, we);
    Register wa_r = g.delay(vast::Name("wa_r", bname), aw, wa);
    Register wd_r = g.delay(vast::Name("wd_r", bname), W, wd);
    LogicRef* addr = m->AddWireAssign(vast::Name("addr", bname), f.Ternary(we_r.q, wa_r.q, g.resize_u(p0_addr.q, aw)));
    // "no change" read port: the read register holds during a write (SPRAM semantics);
    // the datapath never reads while the write-back runs.
    Block* b = m->AddAlwaysFf(clk);
    If* i = b->AddIf(we_r.q);
    i->then_block()->Nonblocking(f.Index(mem, addr), wd_r.q);
    i->Else()->Nonblocking(rd[bi], f.Index(mem, addr));
    memmap.push_back({{"bank", bi}, {"memory", vast::Name("mem", bname)}, {"depth", bk.depth}, {"word_bits", W},
                      {"bits", long(W) * bk.depth}, {"tensors", members}});
  }

  // pipeline stage 1b: the memory outputs are registered once more before any logic (block
  // RAM clock-to-out is ~5.6 ns on the ECP5 and the banks sit far from the datapath)
  std::vector<Register> rdq(static_cast<size_t>(NB));
  for (int bi = 0; bi < NB; ++bi)
    rdq[bi] = g.delay(vast::Name("rdq_bank", bi), *rd[bi]->width(), rd[bi]);
  Register w_qq = g.delay("weight_qq", Ln * WB, w_q);
  const ReadCtl p1b = follow("p1b", p1);

  // pipeline stage 2: select the input value, multiply per lane
  LogicRef* xv = m->AddReg("x_value", Type::SBits(XW));
  {
    Block* b = m->AddAlwaysComb();
    b->Blocking(xv, g.SL(XW, 0));
    Case* c = b->AddCase(p1b.src.q);
    for (int ti = 0; ti < NT; ++ti) {
      if (p.bank_of[ti] < 0) continue;
      const QTensor& qt = q.tensors[ti];
      const int bits = qt.bits();
      const Expr* r = rdq[p.bank_of[ti]].q;
      const Expr* val;
      if (steps[ti] == 1 || p.split[ti]) {
        val = g.bits(r, bits - 1, 0);
      } else {
        const int bw = clog2(long(steps[ti] * bits));
        const Expr* word = g.bits(r, steps[ti] * bits - 1, 0);
        val = f.PartSelect(g.ref(word, "xword"), g.mulc(g.resize_u(p1b.t.q, bw), bits, false), bits);
      }
      const Expr* ext = qt.is_signed() ? g.sext(val, XW, "xval") : f.Signed(f.ZeroExtend(g.ref(val, "xval"), XW));
      c->AddItem({g.L(TIDW, ti)})->Blocking(xv, ext);
    }
    // outside the window: zero padding
    If* z = b->AddIf(f.LogicalNot(p1b.inr.q));
    z->then_block()->Blocking(xv, g.SL(XW, 0));
  }
  // The selected value and each lane's weight are registered (x_sel, w_sel_l*): the bank /
  // step / diagonal muxes and the multiplier would otherwise share one cycle, which was the
  // ECP5 critical path (45.8 MHz at 4 lanes).
  Register p2_valid = g.delay("p2_valid", 1, p1b.valid.q);
  Register x_sel = m->AddRegister("x_sel", Type::SBits(XW), g.SL(XW, 0), clk, rst, RegisterOptions{nullptr, true, ""});
  m->AddAlwaysComb()->Blocking(x_sel.d, xv);
  std::vector<Register> w_sel;
  for (int l = 0; l < Ln; ++l) {
    const Expr* wrom_l = g.bits(w_qq.q, (l + 1) * WB - 1, l * WB);
    if (any_diag)
      wrom_l = f.Ternary(p1b.dsel.q, f.Ternary(Ln == 1 ? static_cast<const Expr*>(p1b.diag.q) : f.Index(p1b.diag.q, l),
                                              g.L(WB, 1), g.L(WB, 0)),
                         wrom_l);
    w_sel.push_back(g.delay(vast::Name("w_sel_l", l), WB, wrom_l));
  }
  // pipeline stage 3: multiply per lane
  Register p3_valid = g.delay("p3_valid", 1, p2_valid.q);
  std::vector<Register> prod, acc;
  for (int l = 0; l < Ln; ++l) {
    Register pr = m->AddRegister(vast::Name("prod_l", l), Type::SBits(PRW), g.SL(PRW, 0), clk, rst,
                                 RegisterOptions{nullptr, true, ""});
    const Expr* wl = g.sext(w_sel[l].q, PRW, vast::Name("w_l", l));
    m->AddAlwaysComb()->Blocking(pr.d, f.Mul(wl, g.sext(x_sel.q, PRW, "x_ext")));
    prod.push_back(pr);
  }
  // stage 4: accumulate; the first synapse cycle of a (group, step) loads the bias
  for (int l = 0; l < Ln; ++l) {
    Register ac = m->AddRegister(vast::Name("acc_l", l), Type::SBits(ACC), g.SL(ACC, 0), clk, rst,
                                 RegisterOptions{nullptr, true, ""});
    Block* b = m->AddAlwaysComb();
    b->Blocking(ac.d, ac.q);
    If* i = b->AddIf(f.LogicalAnd(in_syn, syn_first.q));
    i->then_block()->Blocking(ac.d, f.Signed(f.Slice(bias_w, (l + 1) * ACC - 1, l * ACC)));
    const Expr* pe = PRW <= ACC ? g.sext(prod[l].q, ACC, "prod_ext") : f.Signed(f.Slice(prod[l].q, ACC - 1, 0));
    i->ElseIf(p3_valid.q)->Blocking(ac.d, f.Add(ac.q, pe));
    acc.push_back(ac);
  }

  // ---- output unit: shared neuron array ------------------------------------------------
  const Expr* out_state = is_state(S_OUT);
  LogicRef* nrn_valid = m->AddWireAssign(
      "nrn_valid", f.LogicalAnd(f.LogicalAnd(out_state, f.Eq(sd_mode, g.L(2, HwStage::Neuron))), f.LogicalNot(out_gap.q)));
  LogicRef* nrn_first = m->AddWireAssign("nrn_first", f.Eq(tt.q, g.L(TW, 0)));
  std::vector<LogicRef*> n_o(static_cast<size_t>(Ln)), v_o(static_cast<size_t>(Ln)), m_o(static_cast<size_t>(Ln));
  std::vector<LogicRef*> nv(static_cast<size_t>(Ln));
  for (int l = 0; l < Ln; ++l) {
    LogicRef* cur = m->AddReg(vast::Name("nrn_cur_l", l), Type::SBits(NACC));
    Block* b = m->AddAlwaysComb();
    const Expr* ext = g.sext(acc[l].q, NACC, "acc_ext");
    b->Blocking(cur, ext);
    Case* c = b->AddCase(stage.q);
    for (int si = 0; si < NS; ++si)
      if (p.stages[si].shift > 0)
        c->AddItem({g.L(STW, si)})->Blocking(cur, f.Shl(ext, f.Int(p.stages[si].shift)));
    n_o[l] = m->AddWire(vast::Name("nrn_n_l", l), Type::SBits(NW));
    v_o[l] = m->AddWire(vast::Name("nrn_v_l", l), Type::SBits(NPW));
    m_o[l] = m->AddWire(vast::Name("nrn_m_l", l), Type::SBits(NPW));
    nv[l] = m->AddWire(vast::Name("nrn_valid_l", l), Type::Bits(1));
    const NeuronSpec& ns = p.cfg.neuron;
    m->AddInstance(nrn, vast::Name("u_sd_neuron_l", l),
                   {{"ACC_W", f.Int(NACC)}, {"PW", f.Int(NPW)}, {"F", f.Int(NF)},
                    {"BETA", f.Int(ns.max_burst())}, {"DUAL", f.Int(ns.method == Method::SDM && ns.dual ? 1 : 0)},
                    {"INIT_HALF", f.Int(ns.init_half() ? 1 : 0)}, {"N_W", f.Int(NW)},
                    // Step t+1 of a neuron is fed after a whole synapse loop and the read
                    // drain, never on the cycle after step t: the neuron may close its v
                    // loop through its output register (two cycles, faster clock).
                    {"STEP_GAP", f.Int(kNeuronStepGap)}},
                   {{"clk_i", clk}, {"rst_ni", rst}, {"valid_i", nrn_valid}, {"first_i", nrn_first},
                    {"cur_i", cur}, {"valid_o", nv[l]}, {"n_o", n_o[l]}, {"v_o", v_o[l]}, {"m_o", m_o[l]}});
  }
  // the step index travels with the neuron pipeline (latency 2)
  Register nt1 = g.reg("nrn_t1", TW), nt2 = g.reg("nrn_t2", TW);
  m->AddAlwaysComb()->Blocking(nt1.d, tt.q);
  m->AddAlwaysComb()->Blocking(nt2.d, nt1.q);
  {
    std::vector<const Expr*> vs, ms;
    for (int l = Ln - 1; l >= 0; --l) vs.push_back(v_o[l]), ms.push_back(m_o[l]);
    m->AddAssign(tn_v, Ln == 1 ? f.Unsigned(v_o[0]) : f.Concat(vs));
    m->AddAssign(tn_m, Ln == 1 ? f.Unsigned(m_o[0]) : f.Concat(ms));
    m->AddAssign(tn_valid, nv[0]);
    m->AddAssign(tn_stage, g.resize_u(stage.q, 8));
    m->AddAssign(tn_t, g.resize_u(nt2.q, 8));
  }
  // slots: neuron spike counts (2 cycles after the feed) or pooled sums (at S_OUT)
  LogicRef* sum_out = m->AddWireAssign("sum_out", f.LogicalAnd(out_state, f.Eq(sd_mode, g.L(2, HwStage::Sum))));
  for (int l = 0; l < Ln; ++l) {
    Block* b = m->AddAlwaysFf(clk);
    for (int t = 0; t < T; ++t) {
      If* i = b->AddIf(f.LogicalAnd(nv[l], f.Eq(nt2.q, g.L(TW, t))));
      const Expr* nn = f.Unsigned(g.sext(n_o[l], std::max(bmax, NW), "n_ext"));
      i->then_block()->Nonblocking(slot[l][t], g.resize_u(nn, bmax));
      i->ElseIf(f.LogicalAnd(sum_out, f.Eq(tt.q, g.L(TW, t))))
          ->Nonblocking(slot[l][t], bmax <= ACC ? f.Slice(acc[l].q, bmax - 1, 0)
                                                : f.Unsigned(g.sext(acc[l].q, bmax, "acc_slot")));
    }
  }
  // readout: logits accumulate the readout current of every step
  std::vector<Register> logit(static_cast<size_t>(K));
  LogicRef* ro_out = m->AddWireAssign("readout_out", f.LogicalAnd(out_state, f.Eq(sd_mode, g.L(2, HwStage::Readout))));
  for (int k = 0; k < K; ++k) {
    logit[k] = m->AddRegister(vast::Name("logit", k), Type::SBits(LW), g.SL(LW, 0), clk, rst,
                              RegisterOptions{nullptr, true, ""});
    Block* b = m->AddAlwaysComb();
    b->Blocking(logit[k].d, logit[k].q);
    If* i = b->AddIf(start);
    i->then_block()->Blocking(logit[k].d, g.SL(LW, 0));
    const Expr* a = acc[k % Ln].q;
    const Expr* ae = LW >= ACC ? g.sext(a, LW, "acc_logit") : f.Signed(f.Slice(a, LW - 1, 0));
    i->ElseIf(f.LogicalAnd(ro_out, f.Eq(cg.q, g.L(GW, k / Ln))))->Blocking(logit[k].d, f.Add(logit[k].q, ae));
  }
  {
    std::vector<const Expr*> parts;
    for (int k = K - 1; k >= 0; --k) parts.push_back(logit[k].q);
    m->AddAssign(logits_o, K == 1 ? f.Unsigned(logit[0].q) : f.Concat(parts));
  }
  // argmax (ties -> lowest index), sequential: one logit per cycle in S_ARG, so the
  // comparison is one LW-bit compare, not a K-long chain (timing)
  Register arg_k{}, best_v{}, best_i{};
  LogicRef* arg_cur = nullptr;
  if (K > 1) {
    arg_k = g.reg("arg_k", CLW);
    best_i = g.reg("arg_best_i", CLW);
    best_v = m->AddRegister("arg_best_v", Type::SBits(LW), g.SL(LW, 0), clk, rst, RegisterOptions{nullptr, true, ""});
    arg_cur = m->AddReg("arg_cur", Type::SBits(LW));
    Block* b = m->AddAlwaysComb();
    b->Blocking(arg_cur, logit[0].q);
    Case* c = b->AddCase(arg_k.q);
    for (int k = 1; k < K; ++k) c->AddItem({g.L(CLW, k)})->Blocking(arg_cur, logit[k].q);
  }

  // ---- trace port: every tensor word written, for co-simulation ------------------------
  {
    m->AddAssign(tr_valid, is_state(S_WB));
    m->AddAssign(tr_tensor, g.resize_u(sd_out, 8));
    m->AddAssign(tr_addr, g.resize_u(sd_oaddr, 32));
    LogicRef* td = m->AddReg("trace_data", Type::Bits(TDW));
    LogicRef* ts = m->AddReg("trace_step", Type::Bits(8));
    Block* b = m->AddAlwaysComb();
    b->Blocking(td, g.L(TDW, 0));
    b->Blocking(ts, g.L(8, 255));  // 255: the word holds every step
    Case* c = b->AddCase(sd_out);
    for (int ti = 1; ti < NT; ++ti) {
      if (!tw_data[ti]) continue;
      Block* it = c->AddItem({g.L(TIDW, ti)});
      it->Blocking(td, g.resize_u(tw_data[ti], TDW));
      if (p.split[ti]) it->Blocking(ts, g.resize_u(wbt.q, 8));
    }
    m->AddAssign(tr_data, td);
    m->AddAssign(tr_step, ts);
  }

  // ---- counters ------------------------------------------------------------------------
  std::vector<std::pair<std::string, Register>> counters;
  auto counter = [&](const std::string& name, const Expr* inc_cond, const Expr* amount) {
    Register c = g.reg(vast::Name("cnt", name), 32);
    Block* b = m->AddAlwaysComb();
    b->Blocking(c.d, c.q);
    If* i = b->AddIf(start);
    i->then_block()->Blocking(c.d, g.L(32, 0));
    i->ElseIf(inc_cond)->Blocking(c.d, f.Add(c.q, amount));
    counters.push_back({name, c});
  };
  counter("cycles", f.LogicalNot(ready), g.L(32, 1));
  counter("synapse_reads", in_syn, g.L(32, 1));
  counter("weight_reads", in_syn, g.L(32, 1));
  counter("tensor_writes", is_state(S_WB), g.L(32, 1));
  {
    // |n| of all lanes at a neuron output
    const int SW = ubits(long(Ln) * 64);
    const Expr* sum = g.L(SW, 0);
    for (int l = 0; l < Ln; ++l) {
      const Expr* neg = f.Index(n_o[l], NW - 1);
      const Expr* mag = f.Ternary(neg, g.L(SW, 1), g.resize_u(f.Unsigned(n_o[l]), SW));
      sum = f.Add(sum, mag);
    }
    LogicRef* spk = m->AddWireAssign("spikes_abs", sum);
    for (int si = 0; si < NS; ++si) {
      if (p.stages[si].mode != HwStage::Neuron) continue;
      counter(vast::Name("spikes_s", si), f.LogicalAnd(nv[0], f.Eq(stage.q, g.L(STW, si))), g.resize_u(spk, 32));
    }
  }
  {
    LogicRef* cv = m->AddReg("cnt_val", Type::Bits(32));
    Block* b = m->AddAlwaysComb();
    b->Blocking(cv, g.L(32, 0));
    Case* c = b->AddCase(cnt_sel);
    for (size_t i = 0; i < counters.size(); ++i) c->AddItem({g.L(8, long(i))})->Blocking(cv, counters[i].second.q);
    m->AddAssign(cnt_val, cv);
  }

  // S_NEXT is entered only from S_WB / S_WAIT, where stage, cg, fo, ho and wo hold: the
  // group's last-flags of the previous cycle are exact there, and registering them takes
  // the stage decode off the S_NEXT -> counters / argmax-start path (UP5K critical path).
  Register nx_last_cg = g.delay("nx_last_cg", 1, sd_last_cg), nx_last_wo = g.delay("nx_last_wo", 1, sd_last_wo);
  Register nx_last_ho = g.delay("nx_last_ho", 1, sd_last_ho), nx_last_fo = g.delay("nx_last_fo", 1, sd_last_fo);
  Register nx_last_stage = g.delay("nx_last_stage", 1, sd_last_stage);

  // ---- controller FSM --------------------------------------------------------------------
  {
    Block* b = m->AddAlwaysComb();
    for (Register* r : {&state, &stage, &fo, &ho, &wo, &cg, &tt, &rr, &ci, &dt, &dh, &dw, &drain, &wait, &wb,
                        &syn_first, &out_gap, &pix_addr, &cls, &done})
      b->Blocking(r->d, r->q);
    if (any_split) b->Blocking(wbt.d, wbt.q);
    if (K > 1) {
      b->Blocking(arg_k.d, arg_k.q);
      b->Blocking(best_i.d, best_i.q);
      b->Blocking(best_v.d, best_v.q);
    }
    // pixel stream
    If* px = b->AddIf(pix_hs);
    If* pl = px->then_block()->AddIf(pix_last);
    pl->then_block()->Blocking(pix_addr.d, g.L(PAW, 0));
    If* pe = pl->Else()->AddIf(f.Ne(pix_addr.q, g.L(PAW, clip - 1)));
    pe->then_block()->Blocking(pix_addr.d, f.Add(pix_addr.q, g.L(PAW, 1)));
    // Nested loop counters, innermost first: each wraps to 0 after its `last` flag and
    // carries into the next; the outermost one increments unless last. Returns the block
    // that runs when every counter was at its last value (the outermost set to outer_wrap).
    auto advance = [&](Block* blk, std::vector<std::pair<Register*, const Expr*>> inner, Register* outer,
                       const Expr* outer_last, const Expr* outer_wrap) {
      for (auto& [r, last] : inner) {
        If* i = blk->AddIf(f.LogicalNot(last));
        const int w = *r->q->width();
        i->then_block()->Blocking(r->d, f.Add(r->q, g.L(w, 1)));
        blk = i->Else();
        blk->Blocking(r->d, g.L(w, 0));
      }
      If* i = blk->AddIf(f.LogicalNot(outer_last));
      i->then_block()->Blocking(outer->d, f.Add(outer->q, g.L(*outer->q->width(), 1)));
      Block* wrap = i->Else();
      wrap->Blocking(outer->d, outer_wrap);
      return wrap;
    };
    Case* c = b->AddCase(state.q);
    auto start_run = [&](Block* blk) {
      If* s = blk->AddIf(start);
      Block* sb = s->then_block();
      sb->Blocking(state.d, g.L(kStateW, S_SYN));
      for (Register* r : {&stage, &fo, &ho, &wo, &cg, &tt, &rr, &ci, &dt, &dh, &dw, &wb})
        sb->Blocking(r->d, g.L(*r->q->width(), 0));
      sb->Blocking(syn_first.d, g.L(1, 1));
      sb->Blocking(done.d, g.L(1, 0));
    };
    start_run(c->AddItem({g.L(kStateW, S_IDLE)}));
    start_run(c->AddItem({g.L(kStateW, S_DONE)}));
    {  // one synapse per cycle; the loop counters wrap to their start after the last
      Block* s = c->AddItem({g.L(kStateW, S_SYN)});
      s->Blocking(syn_first.d, g.L(1, 0));
      Block* e5 = advance(s, {{&dw, td_last_dw}, {&dh, td_last_dh}, {&dt, td_last_dt}, {&ci, td_last_ci}},
                          &rr, sd_last_r, sd_first_r);
      e5->Blocking(state.d, g.L(kStateW, S_DRAIN));
      e5->Blocking(drain.d, g.L(DRW, 0));
    }
    {  // kDrain cycles until the last product is in the accumulators
      Block* s = c->AddItem({g.L(kStateW, S_DRAIN)});
      s->Blocking(drain.d, f.Add(drain.q, g.L(DRW, 1)));
      If* i = s->AddIf(f.Eq(drain.q, g.L(DRW, kDrain - 1)));
      i->then_block()->Blocking(state.d, g.L(kStateW, S_OUT));
    }
    {  // feed the neuron / store the sum / add to the logits, once per step
      Block* s = c->AddItem({g.L(kStateW, S_OUT)});
      const Expr* last_t = f.Eq(tt.q, g.L(TW, T - 1));
      If* st = s->AddIf(f.LogicalAnd(sd_static, f.Eq(sd_mode, g.L(2, HwStage::Neuron))));
      // static current: the neuron steps T times on the same current, every other cycle
      // (a bubble between two steps of one neuron: the neuron's STEP_GAP contract)
      static_assert(kNeuronStepGap == 2, "the static-stage feed inserts exactly one bubble");
      If* a = st->then_block()->AddIf(last_t);
      a->then_block()->Blocking(tt.d, g.L(TW, 0));
      a->then_block()->Blocking(state.d, g.L(kStateW, S_WAIT));
      a->then_block()->Blocking(wait.d, g.L(1, 0));
      Block* bubble = a->ElseIf(out_gap.q);
      bubble->Blocking(out_gap.d, g.L(1, 0));
      bubble->Blocking(tt.d, f.Add(tt.q, g.L(TW, 1)));
      a->Else()->Blocking(out_gap.d, g.L(1, 1));
      Block* dyn = st->Else();
      If* bq = dyn->AddIf(f.LogicalOr(sd_static, last_t));
      bq->then_block()->Blocking(tt.d, g.L(TW, 0));
      bq->then_block()->Blocking(state.d, g.L(kStateW, S_WAIT));
      bq->then_block()->Blocking(wait.d, g.L(1, 0));
      Block* more = bq->Else();
      more->Blocking(tt.d, f.Add(tt.q, g.L(TW, 1)));
      more->Blocking(state.d, g.L(kStateW, S_SYN));
      more->Blocking(syn_first.d, g.L(1, 1));
    }
    {  // neuron latency
      Block* s = c->AddItem({g.L(kStateW, S_WAIT)});
      s->Blocking(wait.d, g.L(1, 1));
      If* i = s->AddIf(wait.q);
      i->then_block()->Blocking(wb.d, g.L(LNW, 0));
      i->then_block()->Blocking(state.d, f.Ternary(f.Eq(sd_mode, g.L(2, HwStage::Readout)), g.L(kStateW, S_NEXT), g.L(kStateW, S_WB)));
    }
    {  // one word per cycle into the output tensor: per lane, per step if split
      Block* s = c->AddItem({g.L(kStateW, S_WB)});
      Block* lane_done = s;
      if (any_split) {
        If* sp = s->AddIf(f.LogicalAnd(sd_split, f.Ne(wbt.q, g.L(TW, T - 1))));
        sp->then_block()->Blocking(wbt.d, f.Add(wbt.q, g.L(TW, 1)));
        lane_done = sp->Else();
        lane_done->Blocking(wbt.d, g.L(TW, 0));
      }
      If* i = lane_done->AddIf(sd_last_wb);
      i->then_block()->Blocking(state.d, g.L(kStateW, S_NEXT));
      i->Else()->Blocking(wb.d, f.Add(wb.q, g.L(LNW, 1)));
    }
    {  // next output group: channel group, then column, row, frame, stage
      Block* s = c->AddItem({g.L(kStateW, S_NEXT)});
      s->Blocking(state.d, g.L(kStateW, S_SYN));
      s->Blocking(syn_first.d, g.L(1, 1));
      Block* d3 = advance(s, {{&cg, nx_last_cg.q}, {&wo, nx_last_wo.q}, {&ho, nx_last_ho.q}}, &fo, nx_last_fo.q,
                          g.L(FW, 0));
      If* e = d3->AddIf(nx_last_stage.q);
      e->then_block()->Blocking(syn_first.d, g.L(1, 0));
      if (K > 1) {
        e->then_block()->Blocking(state.d, g.L(kStateW, S_ARG));
        e->then_block()->Blocking(arg_k.d, g.L(CLW, 1));
        e->then_block()->Blocking(best_i.d, g.L(CLW, 0));
        e->then_block()->Blocking(best_v.d, logit[0].q);
      } else {
        e->then_block()->Blocking(state.d, g.L(kStateW, S_DONE));
        e->then_block()->Blocking(done.d, g.L(1, 1));
        e->then_block()->Blocking(cls.d, g.L(CLW, 0));
      }
      e->Else()->Blocking(stage.d, f.Add(stage.q, g.L(STW, 1)));
      e->Else()->Blocking(rr.d, sd_next_r);
    }
    if (K > 1) {  // one logit per cycle; strict > keeps the lowest index on ties
      Block* s = c->AddItem({g.L(kStateW, S_ARG)});
      const Expr* gt = f.Gt(arg_cur, best_v.q);
      If* better = s->AddIf(gt);
      better->then_block()->Blocking(best_v.d, arg_cur);
      better->then_block()->Blocking(best_i.d, arg_k.q);
      If* fin = s->AddIf(f.Eq(arg_k.q, g.L(CLW, K - 1)));
      fin->then_block()->Blocking(state.d, g.L(kStateW, S_DONE));
      fin->then_block()->Blocking(done.d, g.L(1, 1));
      fin->then_block()->Blocking(cls.d, f.Ternary(gt, arg_k.q, best_i.q));
      fin->Else()->Blocking(arg_k.d, f.Add(arg_k.q, g.L(CLW, 1)));
    }
  }

  out.files["sdm_accel.v"] = f.Emit();

  // ---- signature.json ------------------------------------------------------------------
  nlohmann::json sig;
  sig["format"] = "sdmforge-signature";
  sig["version"] = 1;
  sig["top"] = "sdm_accel";
  sig["model"] = a.graph.name;
  sig["config"] = p.cfg;
  sig["lanes"] = Ln;
  sig["num_classes"] = K;
  sig["class_width"] = CLW;
  sig["logit_width"] = LW;
  sig["clip_bytes"] = clip;
  {
    const Shape& s = q.tensors[0].shape;
    sig["clip_shape"] = {s.c, s.f, s.h, s.w};
  }
  sig["files"] = {"sdm_accel.v", "sd_neuron.v", "weights.hex", "bias.hex"};
  sig["ports"] = nlohmann::json::array();
  for (const Def* d : m->ports())
    sig["ports"].push_back({{"name", d->name}, {"dir", d->kind == DefKind::kInput ? "input" : "output"},
                            {"width", d->type.width}});
  sig["widths"] = {{"weight", WB}, {"x", XW}, {"product", PRW}, {"acc", ACC}, {"neuron_current", NACC},
                   {"neuron_potential", NPW}, {"neuron_F", NF}, {"spike", NW}, {"logit", LW}};
  sig["counters"] = nlohmann::json::array();
  for (size_t i = 0; i < counters.size(); ++i) sig["counters"].push_back({{"index", i}, {"name", counters[i].first}});
  sig["memories"] = memmap;
  long tensor_bits = 0;
  for (const auto& mm : memmap) tensor_bits += mm["bits"].get<long>();
  sig["memory_bits"] = {{"weights", long(WDEPTH) * Ln * WB}, {"bias", long(BDEPTH) * Ln * ACC},
                        {"tensors", tensor_bits}};
  sig["weight_rom"] = {{"words", WDEPTH}, {"word_bits", Ln * WB}, {"file", "weights.hex"}};
  sig["bias_rom"] = {{"words", BDEPTH}, {"word_bits", Ln * ACC}, {"file", "bias.hex"}};
  nlohmann::json st = nlohmann::json::array();
  for (size_t si = 0; si < p.stages.size(); ++si) {
    const HwStage& s = p.stages[si];
    st.push_back({{"index", si}, {"name", s.name},
                  {"mode", s.mode == HwStage::Neuron ? "neuron" : s.mode == HwStage::Sum ? "sum" : "readout"},
                  {"out_tensor", s.out}, {"out_shape", {s.out_shape.c, s.out_shape.f, s.out_shape.h, s.out_shape.w}},
                  {"groups", s.groups}, {"synapses_per_group_step", s.synapses}, {"static_input", s.static_input},
                  {"current_shift", s.shift}, {"predicted_cycles", pred.per_stage[si]},
                  {"spike_counter", s.spike_counter}});
  }
  sig["stages"] = st;
  sig["predicted_cycles"] = {
      {"per_clip", pred.per_clip}, {"dense_bound", pred.dense_bound}, {"load_cycles", pred.load_cycles},
      {"argmax_cycles", pred.argmax_cycles},
      {"per_stage", pred.per_stage},
      {"formula", "per output group: steps*(S+4) [static neuron: S+3+T; static sum: S+4] + 2 + words_written + 1; plus K-1 argmax cycles per clip; "
                  "S = synapses per group and step (dense: zero spikes are not skipped)"}};
  sig["weights_digest"] = std::hash<std::string>{}(out.files["weights.hex"] + out.files["bias.hex"]);
  out.signature = sig;
  out.files["signature.json"] = sig.dump(2) + "\n";
  return out;
}

void write_design(const GeneratedDesign& d, const std::string& dir) {
  ::mkdir(dir.c_str(), 0755);
  // the hand-written leaf the design instantiates travels with it
  const std::string leaf = read_file_bytes(std::string(SDM_RTL_DIR) + "/sd_neuron.v");
  for (const auto& [name, text] : d.files) write_file_atomic(dir + "/" + name, text);
  write_file_atomic(dir + "/sd_neuron.v", leaf);
}

std::vector<std::string> design_files(const GeneratedDesign& d, const std::string& dir) {
  std::vector<std::string> r;
  for (const auto& kv : d.files) r.push_back(dir + "/" + kv.first);
  r.push_back(dir + "/sd_neuron.v");
  return r;
}

}  // namespace sdm
