// Address generator: decodes the controller's loop counters into, per datapath row, the
// loop bounds, the input coordinate and the weight-ROM address (row decode, td_*), and per
// stage the loop bounds, the write-back address and the bias address (stage decode, sd_*);
// then registers the input coordinate (stage pa), turns it into the tensor-bank address
// (stage 0) and carries the control that travels with each read (ReadCtl).
#include <fmt/core.h>

#include "rtl_gen/accel_blocks.h"

namespace sdm::accel {

using namespace vast;

AddrGenPorts build_address_generator(BuildCtx& c, const ControllerPorts& ctl) {
  const AccelWidths& w = c.w;
  const QNet& q = c.q;
  const HwPlan& p = c.p;
  VerilogFile& f = c.f;
  Module* m = c.m;
  const int Ln = w.Ln, TIDW = w.TIDW, RW = w.RW, CW = w.CW, AX = w.AX, WX = w.WX;
  AddrGenPorts ag;
  // a reg driven by one of the decode blocks below
  auto comb_reg = [&](const char* name, int wd) { return m->AddReg(name, Type::Bits(wd)); };

  // ---- row decode: bounds, input coordinate, addresses ---------------------------------
  ag.td_last_dw = comb_reg("td_last_dw", 1);
  ag.td_last_dh = comb_reg("td_last_dh", 1);
  ag.td_last_dt = comb_reg("td_last_dt", 1);
  ag.td_last_ci = comb_reg("td_last_ci", 1);
  ag.td_inr = comb_reg("td_in_range", 1);
  const bool fold_any = p.any_fold();
  if (fold_any) ag.td_inr_b = comb_reg("td_in_range_b", 1);
  ag.td_src = comb_reg("td_src", TIDW);
  ag.td_fi = comb_reg("td_fi", AX);
  ag.td_hi = comb_reg("td_hi", AX);
  ag.td_wi = comb_reg("td_wi", AX);
  if (p.any_fold()) ag.td_wi_b = comb_reg("td_wi_b", AX);
  ag.td_waddr = comb_reg("td_waddr", WX);
  if (w.any_sub) ag.td_last_sub = comb_reg("td_last_sub", 1);
  // Synapse index within the current row: a row walks (ci, dt, dh, dw) in weight-ROM order,
  // one synapse per S_SYN cycle from all-zero counters, so its weight address is the row's
  // base plus this counter. Replaces (cg*CI + ci)*KK + (dt*KH + dh)*KW + dw, whose chained
  // constant multiplies were the UP5K critical path (44.5 ns).
  ag.row_off = c.reg("row_off", WX);
  ag.td_wbase = comb_reg("td_wbase", WX);
  const int S = p.simd;
  if (w.any_diag) {
    ag.td_diag = comb_reg("td_diag", Ln * S);
    ag.td_dsel = comb_reg("td_diag_row", 1);
  }
  {
    Block* b = m->AddAlwaysComb();
    b->Blocking(ag.td_last_dw, c.L(1, 1));
    b->Blocking(ag.td_last_dh, c.L(1, 1));
    b->Blocking(ag.td_last_dt, c.L(1, 1));
    b->Blocking(ag.td_last_ci, c.L(1, 1));
    if (w.any_sub) b->Blocking(ag.td_last_sub, c.L(1, 1));
    b->Blocking(ag.td_inr, c.L(1, 0));
    if (fold_any) b->Blocking(ag.td_inr_b, c.L(1, 0));
    b->Blocking(ag.td_src, c.L(TIDW, 0));
    b->Blocking(ag.td_fi, c.L(AX, 0));
    b->Blocking(ag.td_hi, c.L(AX, 0));
    b->Blocking(ag.td_wi, c.L(AX, 0));
    if (ag.td_wi_b) b->Blocking(ag.td_wi_b, c.L(AX, 0));
    b->Blocking(ag.td_waddr, c.L(WX, 0));
    b->Blocking(ag.td_wbase, c.L(WX, 0));
    if (w.any_diag) {
      b->Blocking(ag.td_diag, c.L(Ln * S, 0));
      b->Blocking(ag.td_dsel, c.L(1, 0));
    }
    Case* cs = b->AddCase(ctl.rr.q);
    auto sc = [&](const Expr* e) { return f.Signed(f.ZeroExtend(e, CW)); };
    for (int r = 0; r < w.NR; ++r) {
      const HwTerm& t = p.terms[r];
      const HwStage& s = p.stages[t.stage];
      const Shape& is = q.tensors[t.src].shape;
      Block* it = cs->AddItem({c.L(RW, r)});
      it->AddComment(fmt::format("row {}: stage {} ({}) reads tensor {} ({})", r, t.stage, s.name, t.src,
                                 q.tensors[t.src].name));
      it->Blocking(ag.td_last_dw, f.Eq(ctl.dw.q, c.L(w.KWW, t.kernel[2] - 1)));
      it->Blocking(ag.td_last_dh, f.Eq(ctl.dh.q, c.L(w.KHW, t.kernel[1] - 1)));
      it->Blocking(ag.td_last_dt, f.Eq(ctl.dt.q, c.L(w.KTW, t.kernel[0] - 1)));
      it->Blocking(ag.td_last_ci, f.Eq(ctl.ci.q, c.L(w.CIW, t.cblocks - 1)));  // channel blocks of simd
      it->Blocking(ag.td_src, c.L(TIDW, t.src));
      if (w.any_sub) it->Blocking(ag.td_last_sub, t.reads > 1 ? f.Eq(ctl.sub.q, c.L(w.SUBW, t.reads - 1)) : c.L(1, 1));
      // input coordinate = out * stride - pad + kernel offset
      const Expr* fi = f.Add(f.Sub(c.mulc(sc(ctl.fo.q), t.stride[0], true), c.SL(CW, t.pad_lo[0])), sc(ctl.dt.q));
      const Expr* hi = f.Add(f.Sub(c.mulc(sc(ctl.ho.q), t.stride[1], true), c.SL(CW, t.pad_lo[1])), sc(ctl.dh.q));
      const Expr* wi = f.Add(f.Sub(c.mulc(sc(ctl.wo.q), t.stride[2], true), c.SL(CW, t.pad_lo[2])), sc(ctl.dw.q));
      auto inr = [&](const Expr* x, int n) { return f.LogicalAnd(f.Ge(x, c.SL(CW, 0)), f.Lt(x, c.SL(CW, n))); };
      const Expr* inr_fh = f.LogicalAnd(inr(fi, is.f), inr(hi, is.h));
      it->Blocking(ag.td_inr, f.LogicalAnd(inr_fh, inr(wi, is.w)));
      // a folded stage's second column reads input column wi + stride (its own coordinate: the
      // first one's address plus stride would be wrong where wi < 0, whose coordinate is not
      // sign-extended)
      const Expr* wi_b = s.fold ? f.Add(wi, c.SL(CW, t.stride[2])) : wi;
      if (fold_any) it->Blocking(ag.td_inr_b, f.LogicalAnd(inr_fh, inr(wi_b, is.w)));
      // The linear bank address is formed one stage later from these registered coordinates
      // (build_read_address_stage): counter -> coordinate -> ((ci*F + f)*H + h)*W + w in one
      // cycle was the ECP5 critical path (13.0 ns, constant-multiply carry chains).
      auto u = [&](const Expr* x) { return c.resize_u(f.Unsigned(x), AX); };
      it->Blocking(ag.td_fi, u(fi));
      it->Blocking(ag.td_hi, u(hi));
      it->Blocking(ag.td_wi, u(wi));
      if (fold_any) it->Blocking(ag.td_wi_b, u(wi_b));
      if (t.diag_ones) {
        // sum pool: lane l adds input channel cg*L + l with weight 1 (nothing stored): bit
        // l*simd + s is set where slice s of channel block ci holds it (ci*simd + s)
        const int DW = std::max(w.CHW, w.CIW + (S > 1 ? clog2(S) : 0)) + 1;  // ci * simd + s
        std::vector<const Expr*> hits;
        for (int l = Ln - 1; l >= 0; --l)
          for (int sl = S - 1; sl >= 0; --sl)
            hits.push_back(f.Eq(S == 1 ? c.resize_u(ctl.ci.q, DW)
                                       : f.Add(c.mulc(c.resize_u(ctl.ci.q, DW), S, false), c.L(DW, sl)),
                                f.Add(c.mulc(c.resize_u(ctl.cg.q, DW), Ln, false), c.L(DW, l))));
        it->Blocking(ag.td_diag, hits.size() == 1 ? hits[0] : f.Concat(hits));
        it->Blocking(ag.td_dsel, c.L(1, 1));
        continue;
      }
      // row base of channel group cg (a constant table, not a multiply) + synapse index
      Case* gb = it->AddCase(ctl.cg.q);
      for (int gi = 0; gi < s.groups; ++gi)
        gb->AddItem({c.L(w.GW, gi)})->Blocking(ag.td_wbase, c.L(WX, t.wbase + long(gi) * t.syn_steps()));
      it->Blocking(ag.td_waddr, f.Add(ag.td_wbase, ag.row_off.q));
    }
  }
  {
    const Expr* row_last = f.LogicalAnd(f.LogicalAnd(ag.td_last_dw, ag.td_last_dh),
                                        f.LogicalAnd(ag.td_last_dt, ag.td_last_ci));
    // the weight address advances once per synapse: after its last word (sub) is read
    const Expr* syn_done = w.any_sub ? f.LogicalAnd(ctl.in_syn, ag.td_last_sub) : ctl.in_syn;
    const Expr* hold = w.any_sub ? f.LogicalAnd(ctl.in_syn, f.LogicalNot(ag.td_last_sub)) : nullptr;
    const Expr* next = f.Ternary(f.LogicalAnd(syn_done, f.LogicalNot(row_last)), f.Add(ag.row_off.q, c.L(WX, 1)),
                                 c.L(WX, 0));
    m->AddAlwaysComb()->Blocking(ag.row_off.d, hold ? f.Ternary(hold, ag.row_off.q, next) : next);
  }

  // ---- stage decode -----------------------------------------------------------------------
  // Two decodes of the same stage table: the synapse side's (stage, cg, fo, ho, wo) and the
  // output unit's (ostage, ocg, ofo, oho, owo: the group it was handed), which may be a group
  // behind.
  const int STW = w.STW, AWID = w.AWID, CHW = w.CHW;
  ag.sd_last_r = comb_reg("sd_last_r", 1);
  ag.sd_first_r = comb_reg("sd_first_r", RW);
  ag.sd_next_r = comb_reg("sd_next_r", RW);
  ag.sd_last_cg = comb_reg("sd_last_cg", 1);
  ag.sd_last_wo = comb_reg("sd_last_wo", 1);
  ag.sd_last_ho = comb_reg("sd_last_ho", 1);
  ag.sd_last_fo = comb_reg("sd_last_fo", 1);
  ag.sd_last_stage = comb_reg("sd_last_stage", 1);
  ag.sd_baddr = comb_reg("sd_bias_addr", w.BAW);
  ag.sd_overlap = comb_reg("sd_overlap", 1);
  bool any_la = false;
  for (int si = 0; si < w.NS; ++si) any_la = any_la || p.lookahead(si);
  if (any_la) ag.sd_lookahead = comb_reg("sd_lookahead", 1);
  if (fold_any) ag.sd_fold = comb_reg("sd_fold", 1);
  {
    Block* b = m->AddAlwaysComb();
    b->Blocking(ag.sd_last_r, c.L(1, 1));
    b->Blocking(ag.sd_first_r, c.L(RW, 0));
    b->Blocking(ag.sd_next_r, c.L(RW, 0));
    b->Blocking(ag.sd_last_cg, c.L(1, 1));
    b->Blocking(ag.sd_last_wo, c.L(1, 1));
    b->Blocking(ag.sd_last_ho, c.L(1, 1));
    b->Blocking(ag.sd_last_fo, c.L(1, 1));
    b->Blocking(ag.sd_last_stage, c.L(1, 1));
    b->Blocking(ag.sd_baddr, c.L(w.BAW, 0));
    b->Blocking(ag.sd_overlap, c.L(1, 0));
    if (any_la) b->Blocking(ag.sd_lookahead, c.L(1, 0));
    if (fold_any) b->Blocking(ag.sd_fold, c.L(1, 0));
    Case* cs = b->AddCase(ctl.stage.q);
    for (int si = 0; si < w.NS; ++si) {
      const HwStage& s = p.stages[si];
      Block* it = cs->AddItem({c.L(STW, si)});
      it->AddComment(fmt::format("stage {}: {} ({}), out tensor {} {}", si, s.name,
                                 s.mode == HwStage::Neuron ? "neuron" : s.mode == HwStage::Sum ? "sum pool" : "readout",
                                 s.out, s.out_shape.str()));
      it->Blocking(ag.sd_last_r, f.Eq(ctl.rr.q, c.L(RW, s.first_term + s.num_terms - 1)));
      it->Blocking(ag.sd_first_r, c.L(RW, s.first_term));
      it->Blocking(ag.sd_next_r, c.L(RW, si + 1 < w.NS ? p.stages[si + 1].first_term : 0));
      it->Blocking(ag.sd_last_cg, f.Eq(ctl.cg.q, c.L(w.GW, s.groups - 1)));
      // (folded: the row's last group starts at the last even column)
      it->Blocking(ag.sd_last_wo, f.Eq(ctl.wo.q, c.L(w.WW, s.fold ? (s.out_shape.w - 1) / 2 * 2 : s.out_shape.w - 1)));
      if (fold_any) it->Blocking(ag.sd_fold, c.L(1, s.fold ? 1 : 0));
      it->Blocking(ag.sd_last_ho, f.Eq(ctl.ho.q, c.L(w.HW, s.out_shape.h - 1)));
      it->Blocking(ag.sd_last_fo, f.Eq(ctl.fo.q, c.L(w.FW, s.out_shape.f - 1)));
      it->Blocking(ag.sd_last_stage, c.L(1, si == w.NS - 1 ? 1 : 0));
      it->Blocking(ag.sd_baddr, f.Add(c.L(w.BAW, s.bias_base), c.resize_u(ctl.cg.q, w.BAW)));
      it->Blocking(ag.sd_overlap, c.L(1, p.overlaps(si) ? 1 : 0));
      if (any_la) it->Blocking(ag.sd_lookahead, c.L(1, p.lookahead(si) ? 1 : 0));
    }
  }
  ag.sd_mode = comb_reg("sd_mode", 2);
  ag.sd_last_wb = comb_reg("sd_last_wb", 1);
  ag.sd_out = comb_reg("sd_out", TIDW);
  if (w.any_multi_word) ag.sd_last_word = comb_reg("sd_last_word", 1);
  ag.sd_oaddr = comb_reg("sd_out_addr", AWID);
  LogicRef* obase = comb_reg("sd_out_base", AWID);
  const Register obase_q = c.delay("out_base", AWID, obase);
  // simd > 1: the written value's word in its slice (wb mod simd), ((ch/simd*F + fo)*H + ho)*W + wo,
  // split the same way (simd divides L: ch/simd = ocg*L/simd + wb/simd)
  // (at the largest bank's address width: exact modulo 2^VW, every slice word is below it)
  const int SB = clog2(S), VW = std::min(AWID, w.BX);
  LogicRef* vbase = nullptr;
  Register vbase_q{};
  if (S > 1) {
    ag.sd_vaddr = comb_reg("sd_value_addr", VW);
    vbase = comb_reg("sd_value_base", VW);
    vbase_q = c.delay("value_base", VW, vbase);
    if (!fold_any) ag.sd_slice = m->AddWireAssign("wb_slice", c.bits(ctl.wb.q, SB - 1, 0));
  } else {
    ag.sd_vaddr = ag.sd_oaddr;
  }
  // the lane's channel within the group: wb, or wb - L/2 in a folded stage's upper half
  const Expr* lane = ctl.wb.q;
  LogicRef* ofold = nullptr;
  LogicRef* pos1 = nullptr;
  if (fold_any) {
    // (a decode of its own: the write-back decode below reads the lane these select)
    ofold = comb_reg("sd_out_fold", 1);
    pos1 = comb_reg("sd_out_col1", 1);  // the group's second column exists
    ag.sd_wb_jump = comb_reg("sd_wb_jump", 1);
    Block* b = m->AddAlwaysComb();
    b->Blocking(ofold, c.L(1, 0));
    b->Blocking(pos1, c.L(1, 0));
    Case* cs = b->AddCase(ctl.ostage.q);
    for (int si = 0; si < w.NS; ++si) {
      const HwStage& s = p.stages[si];
      if (!s.fold) continue;
      Block* it = cs->AddItem({c.L(STW, si)});
      it->Blocking(ofold, c.L(1, 1));
      it->Blocking(pos1, f.Ne(ctl.owo.q, c.L(w.WW, s.out_shape.w - 1)));
    }
    ag.wb_up = m->AddWireAssign("wb_upper", f.LogicalAnd(ofold, f.Ge(ctl.wb.q, c.L(w.LNW, Ln / 2))));
    lane = m->AddWireAssign("wb_lane", f.Ternary(ag.wb_up, f.Sub(ctl.wb.q, c.L(w.LNW, Ln / 2)), ctl.wb.q));
  }
  if (S > 1 && fold_any) ag.sd_slice = m->AddWireAssign("wb_lane_slice", c.bits(lane, SB - 1, 0));
  ag.ch = m->AddWireAssign("wb_channel", f.Add(c.mulc(c.resize_u(ctl.ocg.q, CHW), Ln, false), c.resize_u(lane, CHW)));
  // the second column's value is the next word of the first's ((f*H + h)*W + w + 1)
  auto col1 = [&](const Expr* a, int wd) { return fold_any ? f.Add(a, c.resize_u(ag.wb_up, wd)) : a; };
  {
    Block* b = m->AddAlwaysComb();
    b->Blocking(ag.sd_mode, c.L(2, 0));
    b->Blocking(ag.sd_last_wb, c.L(1, 1));
    b->Blocking(ag.sd_out, c.L(TIDW, 0));
    if (w.any_multi_word) b->Blocking(ag.sd_last_word, c.L(1, 1));
    b->Blocking(ag.sd_oaddr, c.L(AWID, 0));
    b->Blocking(obase, c.L(AWID, 0));
    if (S > 1) {
      b->Blocking(ag.sd_vaddr, c.L(VW, 0));
      b->Blocking(vbase, c.L(VW, 0));
    }
    if (fold_any) b->Blocking(ag.sd_wb_jump, c.L(1, 0));
    Case* cs = b->AddCase(ctl.ostage.q);
    for (int si = 0; si < w.NS; ++si) {
      const HwStage& s = p.stages[si];
      Block* it = cs->AddItem({c.L(STW, si)});
      it->Blocking(ag.sd_mode, c.L(2, s.mode));
      if (s.fold) {
        // lanes 0 .. co-1 (column owo), then L/2 .. L/2 + co - 1 (owo + 1, if the row has it)
        const Expr* last_ch = f.Eq(ag.ch, c.L(CHW, s.co - 1));
        it->Blocking(ag.sd_last_wb, f.LogicalAnd(last_ch, f.LogicalOr(ag.wb_up, f.LogicalNot(pos1))));
        it->Blocking(ag.sd_wb_jump, f.LogicalAnd(last_ch, f.LogicalNot(ag.wb_up)));
      } else {
        it->Blocking(ag.sd_last_wb, f.LogicalOr(f.Eq(ctl.wb.q, c.L(w.LNW, Ln - 1)), f.Eq(ag.ch, c.L(CHW, s.co - 1))));
      }
      it->Blocking(ag.sd_out, c.L(TIDW, s.out));
      if (w.any_multi_word) {
        const int nw = s.mode == HwStage::Readout ? 1 : p.words_per_value[s.out];
        it->Blocking(ag.sd_last_word, nw > 1 ? f.Eq(ctl.wbt.q, c.L(w.WBTW, nw - 1)) : c.L(1, 1));
      }
      // output address ((ch*F + fo)*H + ho)*W + wo, ch = ocg*L + wb, split as the group's base
      // (ocg*L*FHW + position, registered: the output unit's group holds from the hand-off to
      // its write-back) plus wb*FHW in O_WB; in one cycle it was the UP5K critical path (cg_q
      // -> the bank's write address)
      const Shape& os = s.out_shape;
      const long fhw = long(os.f) * os.h * os.w;
      const Expr* pos = f.Add(
          c.mulc(f.Add(c.mulc(c.resize_u(ctl.ofo.q, AWID), os.h, false), c.resize_u(ctl.oho.q, AWID)), os.w, false),
          c.resize_u(ctl.owo.q, AWID));
      it->Blocking(obase, f.Add(c.mulc(c.resize_u(ctl.ocg.q, AWID), long(Ln) * fhw, false), pos));
      it->Blocking(ag.sd_oaddr, col1(f.Add(obase_q.q, c.mulc(c.resize_u(lane, AWID), fhw, false)), AWID));
      if (S > 1) {
        auto v = [&](const Expr* e) { return c.resize_u(e, VW); };
        const Expr* vpos =
            f.Add(c.mulc(f.Add(c.mulc(v(ctl.ofo.q), os.h, false), v(ctl.oho.q)), os.w, false), v(ctl.owo.q));
        it->Blocking(vbase, f.Add(c.mulc(v(ctl.ocg.q), long(Ln / S) * fhw, false), vpos));
        it->Blocking(ag.sd_vaddr, col1(f.Add(vbase_q.q, c.mulc(f.Shr(v(lane), f.Int(SB)), fhw, false)), VW));
      }
    }
  }
  return ag;
}

namespace {
ReadCtl read_ctl(BuildCtx& c, const std::string& pre, const Expr* valid, const Expr* first, const Expr* inr,
                 const Expr* src, const Expr* sub, const Expr* diag, const Expr* dsel, const Expr* inr_b) {
  ReadCtl r;
  r.valid = c.delay(pre + "_valid", 1, valid);
  r.first = c.delay(pre + "_first", 1, first);
  r.inr = c.delay(pre + "_in_range", 1, inr);
  if (inr_b) r.inr_b = c.delay(pre + "_in_range_b", 1, inr_b);
  r.src = c.delay(pre + "_src", c.w.TIDW, src);
  if (c.w.any_sub) r.sub = c.delay(pre + "_sub", c.w.SUBW, sub);
  if (c.w.any_diag) {
    r.diag = c.delay(pre + "_diag", c.w.Ln * c.p.simd, diag);
    r.dsel = c.delay(pre + "_diag_row", 1, dsel);
  }
  return r;
}
}  // namespace

ReadCtl follow_read(BuildCtx& c, const std::string& pre, const ReadCtl& prev) {
  const bool sb = c.w.any_sub, dg = c.w.any_diag;
  return read_ctl(c, pre, prev.valid.q, prev.first.q, prev.inr.q, prev.src.q, sb ? prev.sub.q : nullptr, dg ? prev.diag.q : nullptr,
                  dg ? prev.dsel.q : nullptr, c.p.any_fold() ? prev.inr_b.q : nullptr);
}

ReadStage0 build_read_address_stage(BuildCtx& c, const ControllerPorts& ctl, const AddrGenPorts& ag) {
  const AccelWidths& w = c.w;
  const HwPlan& p = c.p;
  const QNet& q = c.q;
  VerilogFile& f = c.f;
  const int AX = w.AX;
  // stage pa: register the row's input coordinate, channel and weight address with the
  // read's control (the coordinate arithmetic stays in the counter cycle)
  const Register pa_rr = c.delay("pa_row", w.RW, ctl.rr.q);
  const Register pa_ci = c.delay("pa_ci", w.CIW, ctl.ci.q);
  const Register pa_fi = c.delay("pa_fi", AX, ag.td_fi);
  const Register pa_hi = c.delay("pa_hi", AX, ag.td_hi);
  const Register pa_wi = c.delay("pa_wi", AX, ag.td_wi);
  Register pa_wi_b{};
  if (ag.td_wi_b) pa_wi_b = c.delay("pa_wi_b", AX, ag.td_wi_b);
  const Register pa_waddr = c.delay("pa_waddr", w.WX, ag.td_waddr);
  const ReadCtl pa = read_ctl(c, "pa", ctl.in_syn, c.f.LogicalAnd(ctl.in_syn, ctl.syn_first.q), ag.td_inr, ag.td_src,
                              w.any_sub ? ctl.sub.q : nullptr, ag.td_diag, ag.td_dsel, ag.td_inr_b);
  // stage 0: the linear bank address of the registered coordinate, then the address registers
  // (keeps the address arithmetic out of the memory-read path)
  LogicRef* addr = c.m->AddReg("pa_bank_addr", Type::Bits(AX));
  // the second column's (the first column's in a row that is not folded)
  const bool fold_any = p.any_fold();
  LogicRef* addr_b = fold_any ? c.m->AddReg("pa_bank_addr_b", Type::Bits(AX)) : nullptr;
  {
    Block* b = c.m->AddAlwaysComb();
    b->Blocking(addr, c.L(AX, 0));
    if (addr_b) b->Blocking(addr_b, c.L(AX, 0));
    Case* cs = b->AddCase(pa_rr.q);
    for (int r = 0; r < w.NR; ++r) {
      const HwTerm& t = p.terms[r];
      const Shape& is = q.tensors[t.src].shape;
      auto lin = [&](const Expr* wi) {
        return f.Add(c.mulc(f.Add(c.mulc(f.Add(c.mulc(c.resize_u(pa_ci.q, AX), is.f, false), pa_fi.q), is.h, false),
                                  pa_hi.q),
                            is.w, false),
                     wi);
      };
      // bank word: base + value (one word holds all steps) or base + value*words + sub
      auto word = [&](const Expr* value) {
        return f.Add(c.L(AX, p.bank_base[t.src]),
                     t.reads > 1 ? f.Add(c.mulc(value, t.reads, false), c.resize_u(pa.sub.q, AX)) : value);
      };
      Block* it = cs->AddItem({c.L(w.RW, r)});
      it->Blocking(addr, word(lin(pa_wi.q)));
      if (addr_b) it->Blocking(addr_b, word(lin(pa_wi_b.q)));
    }
  }
  ReadStage0 rs;
  rs.bank_addr = c.reg("p0_bank_addr", w.BX);
  rs.waddr = c.reg("p0_waddr", w.WAW);
  c.m->AddAlwaysComb()->Blocking(rs.bank_addr.d, c.bits(addr, w.BX - 1, 0));
  const Expr* in_range_b = fold_any ? pa.inr_b.q : nullptr;
  if (fold_any) {
    rs.bank_addr_b = c.reg("p0_bank_addr_b", w.BX);
    c.m->AddAlwaysComb()->Blocking(rs.bank_addr_b.d, c.bits(addr_b, w.BX - 1, 0));
    if (AX > w.BX) in_range_b = f.LogicalAnd(in_range_b, f.Eq(f.Slice(addr_b, AX - 1, w.BX), c.L(AX - w.BX, 0)));
  }
  c.m->AddAlwaysComb()->Blocking(rs.waddr.d, c.bits(pa_waddr.q, w.WAW - 1, 0));
  const Expr* in_range = pa.inr.q;
  if (AX > w.BX) in_range = f.LogicalAnd(in_range, f.Eq(f.Slice(addr, AX - 1, w.BX), c.L(AX - w.BX, 0)));
  if (w.WX > w.WAW) {
    const Expr* rom_ok = f.Eq(f.Slice(pa_waddr.q, w.WX - 1, w.WAW), c.L(w.WX - w.WAW, 0));
    in_range = f.LogicalAnd(in_range, rom_ok);
    if (in_range_b) in_range_b = f.LogicalAnd(in_range_b, rom_ok);
  }
  const bool sb = w.any_sub, dg = w.any_diag;
  rs.ctl = read_ctl(c, "p0", pa.valid.q, pa.first.q, in_range, pa.src.q, sb ? pa.sub.q : nullptr,
                    dg ? pa.diag.q : nullptr, dg ? pa.dsel.q : nullptr, in_range_b);
  return rs;
}

}  // namespace sdm::accel
