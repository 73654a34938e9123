// Controller: the state register, the loop counters of the schedule (stage, output
// position, channel group, step, row, synapse), the pixel-stream handshake, and the FSM
// that walks them (docs/architecture.md, "Schedule and cycles"; predict_cycles mirrors it
// state by state).
#include "rtl_gen/accel_blocks.h"

namespace sdm::accel {

using namespace vast;

ControllerPorts build_controller(BuildCtx& c, const AccelIo& io) {
  const AccelWidths& w = c.w;
  VerilogFile& f = c.f;
  Module* m = c.m;
  ControllerPorts ctl;
  ctl.state = c.reg("state", kStateW, S_IDLE);
  ctl.stage = c.reg("stage", w.STW);
  ctl.fo = c.reg("fo", w.FW), ctl.ho = c.reg("ho", w.HW), ctl.wo = c.reg("wo", w.WW), ctl.cg = c.reg("cg", w.GW);
  // the output unit's copy of the group it works on
  ctl.ostate = c.reg("out_state", kOutStateW, O_IDLE);
  ctl.ostage = c.reg("out_stage", w.STW);
  ctl.ofo = c.reg("out_fo", w.FW), ctl.oho = c.reg("out_ho", w.HW), ctl.owo = c.reg("out_wo", w.WW);
  ctl.ocg = c.reg("out_cg", w.GW);
  ctl.handed = c.reg("handed", 1);
  bool any_la = false;
  for (int si = 0; si < w.NS; ++si) any_la = any_la || c.p.lookahead(si);
  if (any_la) {
    ctl.la_pend = c.reg("la_pend", 1);
    ctl.la_cnt = c.reg("la_cnt", ubits(c.p.drain()));
    ctl.pend_stage = c.reg("pend_stage", w.STW);
    ctl.pend_fo = c.reg("pend_fo", w.FW), ctl.pend_ho = c.reg("pend_ho", w.HW), ctl.pend_wo = c.reg("pend_wo", w.WW);
    ctl.pend_cg = c.reg("pend_cg", w.GW);
  }
  ctl.handoff = m->AddWire("handoff", Type::Bits(1));
  ctl.tt = c.reg("t", w.TW), ctl.rr = c.reg("r", w.RW), ctl.ci = c.reg("ci", w.CIW);
  ctl.dt = c.reg("dt", w.KTW), ctl.dh = c.reg("dh", w.KHW), ctl.dw = c.reg("dw", w.KWW);
  ctl.drain = c.reg("drain", w.DRW), ctl.wait = c.reg("wait", 2), ctl.wb = c.reg("wb", w.LNW);
  if (w.any_sub) ctl.sub = c.reg("sub", w.SUBW);
  if (w.any_multi_word) ctl.wbt = c.reg("wb_t", w.WBTW);
  ctl.syn_first = c.reg("syn_first", 1);
  // neuron stage: the bubble cycle between two feeds of the same neuron (STEP_GAP 2)
  ctl.out_gap = c.reg("out_gap", 1);
  ctl.pix_addr = c.reg("pix_addr", w.PAW);
  // simd > 1 with several pixel channels: the pixel's channel and its index in the channel
  // place it in slice ch mod simd at word (ch / simd) * F*H*W + r (the stream is C-order)
  const Shape& ps = c.q.tensors[0].shape;
  const int S = c.p.simd, SB = clog2(S);
  if (S > 1 && ps.c > 1) {
    ctl.pix_ch = c.reg("pix_ch", ubits(ps.c - 1));
    ctl.pix_r = c.reg("pix_r", clog2(ps.plane()));
    const Register ch = ctl.pix_ch, r = ctl.pix_r;
    const long plane = ps.plane();
    // composed at the width of the bank's address (modulo 2^wd: the word is below the depth)
    ctl.pix_word = [&c, ch, r, plane, SB](int wd) {
      return c.f.Add(c.mulc(c.f.Shr(c.resize_u(ch.q, wd), c.f.Int(SB)), plane, false), c.resize_u(r.q, wd));
    };
    const int chw = *ch.q->width();
    ctl.pix_slice = chw >= SB ? c.bits(ch.q, SB - 1, 0) : c.resize_u(ch.q, SB);
  } else {
    // one channel: all in slice 0, word = pixel index
    const Register a = ctl.pix_addr;
    ctl.pix_word = [&c, a](int wd) { return c.resize_u(a.q, wd); };
  }
  ctl.cls = c.reg("class", w.CLW), ctl.done = c.reg("done", 1);
  ctl.res_taken = c.reg("result_taken", 1);

  ctl.in_syn = is_state(c, ctl, S_SYN);
  ctl.ready = f.LogicalOr(is_state(c, ctl, S_IDLE), is_state(c, ctl, S_DONE));
  // The result beat is offered from done until taken; no new clip is accepted before it is
  // taken, so m_axis_tdata_o holds while m_axis_tvalid_o is high (AXI4-Stream rule).
  LogicRef* res_valid = m->AddWireAssign("result_valid", f.LogicalAnd(ctl.done.q, f.LogicalNot(ctl.res_taken.q)));
  m->AddAssign(io.res_valid, res_valid);
  ctl.accept = m->AddWireAssign("clip_accept", f.LogicalAnd(ctl.ready, f.LogicalNot(res_valid)));
  m->AddAssign(io.pix_ready, ctl.accept);
  ctl.pix_hs = f.LogicalAnd(io.pix_valid, ctl.accept);
  ctl.start = m->AddWireAssign("run_start", f.LogicalOr(f.LogicalAnd(ctl.pix_hs, io.pix_last),
                                                        f.LogicalAnd(io.start, ctl.accept)));
  {
    Block* b = m->AddAlwaysComb();
    b->Blocking(ctl.res_taken.d, ctl.res_taken.q);
    If* i = b->AddIf(ctl.start);
    i->then_block()->Blocking(ctl.res_taken.d, c.L(1, 0));
    i->ElseIf(f.LogicalAnd(res_valid, io.res_ready))->Blocking(ctl.res_taken.d, c.L(1, 1));
  }
  m->AddAssign(io.busy, f.LogicalNot(ctl.ready));
  m->AddAssign(io.done, ctl.done.q);
  return ctl;
}

void build_controller_fsm(BuildCtx& c, const AccelIo& io, ControllerPorts& ctl, const AddrGenPorts& ag,
                          const ReadoutPorts& ro) {
  const AccelWidths& w = c.w;
  VerilogFile& f = c.f;
  Module* m = c.m;
  const int T = w.T, K = w.K, TW = w.TW, CLW = w.CLW;
  auto st = [&](State s) { return c.L(kStateW, s); };
  auto ost = [&](OutState s) { return c.L(kOutStateW, s); };
  // S_NEXT is entered only from S_DRAIN and stays while it waits for the output unit; stage,
  // cg, fo, ho and wo hold throughout: the group's last-flags of the previous cycle are exact
  // there, and registering them takes the stage decode off the S_NEXT -> counters /
  // argmax-start path (UP5K critical path).
  Register nx_last_cg = c.delay("nx_last_cg", 1, ag.sd_last_cg), nx_last_wo = c.delay("nx_last_wo", 1, ag.sd_last_wo);
  Register nx_last_ho = c.delay("nx_last_ho", 1, ag.sd_last_ho), nx_last_fo = c.delay("nx_last_fo", 1, ag.sd_last_fo);
  Register nx_last_stage = c.delay("nx_last_stage", 1, ag.sd_last_stage);

  Block* b = m->AddAlwaysComb();
  for (Register* r : {&ctl.state, &ctl.stage, &ctl.fo, &ctl.ho, &ctl.wo, &ctl.cg, &ctl.tt, &ctl.rr, &ctl.ci, &ctl.dt,
                      &ctl.dh, &ctl.dw, &ctl.drain, &ctl.wait, &ctl.wb, &ctl.syn_first, &ctl.out_gap, &ctl.pix_addr,
                      &ctl.cls, &ctl.done, &ctl.ostate, &ctl.ostage, &ctl.ocg, &ctl.ofo, &ctl.oho, &ctl.owo,
                      &ctl.handed})
    b->Blocking(r->d, r->q);
  if (ctl.pix_slice) {
    b->Blocking(ctl.pix_ch.d, ctl.pix_ch.q);
    b->Blocking(ctl.pix_r.d, ctl.pix_r.q);
  }
  // look-ahead: the pending hand-off fires drain() + 1 cycles after its group's last read, when
  // that read's product is in the accumulators and the next group's first is one cycle behind
  const bool la = ag.sd_lookahead != nullptr;
  const Expr* la_fire = nullptr;
  if (la) {
    for (Register* r : {&ctl.la_pend, &ctl.la_cnt, &ctl.pend_stage, &ctl.pend_cg, &ctl.pend_fo, &ctl.pend_ho,
                        &ctl.pend_wo})
      b->Blocking(r->d, r->q);
    // (a register: la_cnt's compare one cycle ahead; la_pend holds until the fire, so the
    // same cycle. Decoded in the fire cycle it was the ULX3S critical path at 16 lanes x
    // SIMD 8: la_cnt -> hand-off -> the output unit's step counter, 63.47 MHz.)
    const int LCW = *ctl.la_cnt.q->width();
    const Register fire_q = c.delay(
        "la_fire", 1, f.LogicalAnd(ctl.la_pend.q, f.Eq(ctl.la_cnt.q, c.L(LCW, c.p.drain() - 1))));
    la_fire = fire_q.q;
    If* pi = b->AddIf(ctl.la_pend.q);
    pi->then_block()->Blocking(ctl.la_cnt.d, f.Add(ctl.la_cnt.q, c.L(LCW, 1)));
    pi->then_block()->AddIf(la_fire)->then_block()->Blocking(ctl.la_pend.d, c.L(1, 0));
  }
  const Expr* stage_end = f.LogicalAnd(f.LogicalAnd(nx_last_cg.q, nx_last_wo.q), f.LogicalAnd(nx_last_ho.q, nx_last_fo.q));
  if (w.any_sub) b->Blocking(ctl.sub.d, ctl.sub.q);
  if (w.any_multi_word) b->Blocking(ctl.wbt.d, ctl.wbt.q);
  if (K > 1) {
    b->Blocking(ro.arg_k.d, ro.arg_k.q);
    b->Blocking(ro.best_i.d, ro.best_i.q);
    b->Blocking(ro.best_v.d, ro.best_v.q);
    b->Blocking(ro.arg_cur.d, ro.arg_cur.q);
  }
  // pixel stream
  If* px = b->AddIf(ctl.pix_hs);
  If* pl = px->then_block()->AddIf(io.pix_last);
  pl->then_block()->Blocking(ctl.pix_addr.d, c.L(w.PAW, 0));
  If* pe = pl->Else()->AddIf(f.Ne(ctl.pix_addr.q, c.L(w.PAW, w.clip - 1)));
  pe->then_block()->Blocking(ctl.pix_addr.d, f.Add(ctl.pix_addr.q, c.L(w.PAW, 1)));
  if (ctl.pix_slice) {  // channel and in-channel index, wrapping with pix_addr
    const Shape& ps = c.q.tensors[0].shape;
    const int CW0 = *ctl.pix_ch.q->width(), RW0 = *ctl.pix_r.q->width();
    pl->then_block()->Blocking(ctl.pix_ch.d, c.L(CW0, 0));
    pl->then_block()->Blocking(ctl.pix_r.d, c.L(RW0, 0));
    If* rw = pe->then_block()->AddIf(f.Eq(ctl.pix_r.q, c.L(RW0, ps.plane() - 1)));
    rw->then_block()->Blocking(ctl.pix_r.d, c.L(RW0, 0));
    rw->then_block()->Blocking(ctl.pix_ch.d, f.Add(ctl.pix_ch.q, c.L(CW0, 1)));
    rw->Else()->Blocking(ctl.pix_r.d, f.Add(ctl.pix_r.q, c.L(RW0, 1)));
  }
  // Nested loop counters, innermost first: each wraps to 0 after its `last` flag and
  // carries into the next; the outermost one increments unless last. Returns the block
  // that runs when every counter was at its last value (the outermost set to outer_wrap).
  auto advance = [&](Block* blk, std::vector<std::pair<Register*, const Expr*>> inner, Register* outer,
                     const Expr* outer_last, const Expr* outer_wrap) {
    // (a folded stage's column counter steps over two columns; with a 1-bit counter every
    // output row is at most 2 wide, so a folded stage's row is one group and never steps)
    auto step = [&](Register* r, int rw) {
      return r == &ctl.wo && ag.sd_fold ? f.Ternary(ag.sd_fold, c.L(rw, rw >= 2 ? 2 : 0), c.L(rw, 1)) : c.L(rw, 1);
    };
    for (auto& [r, last] : inner) {
      If* i = blk->AddIf(f.LogicalNot(last));
      const int rw = *r->q->width();
      i->then_block()->Blocking(r->d, f.Add(r->q, step(r, rw)));
      blk = i->Else();
      blk->Blocking(r->d, c.L(rw, 0));
    }
    If* i = blk->AddIf(f.LogicalNot(outer_last));
    i->then_block()->Blocking(outer->d, f.Add(outer->q, c.L(*outer->q->width(), 1)));
    Block* wrap = i->Else();
    wrap->Blocking(outer->d, outer_wrap);
    return wrap;
  };
  Case* cs = b->AddCase(ctl.state.q);
  auto start_run = [&](Block* blk) {
    If* s = blk->AddIf(ctl.start);
    Block* sb = s->then_block();
    sb->Blocking(ctl.state.d, st(S_SYN));
    for (Register* r : {&ctl.stage, &ctl.fo, &ctl.ho, &ctl.wo, &ctl.cg, &ctl.tt, &ctl.rr, &ctl.ci, &ctl.dt, &ctl.dh,
                        &ctl.dw, &ctl.wb})
      sb->Blocking(r->d, c.L(*r->q->width(), 0));
    if (w.any_sub) sb->Blocking(ctl.sub.d, c.L(w.SUBW, 0));
    if (w.any_multi_word) sb->Blocking(ctl.wbt.d, c.L(w.WBTW, 0));
    sb->Blocking(ctl.syn_first.d, c.L(1, 1));
    sb->Blocking(ctl.done.d, c.L(1, 0));
  };
  start_run(cs->AddItem({st(S_IDLE)}));
  start_run(cs->AddItem({st(S_DONE)}));
  {  // one tensor word per cycle (words_per_value per synapse); the loop counters wrap to
     // their start after the last
    Block* s = cs->AddItem({st(S_SYN)});
    s->Blocking(ctl.syn_first.d, c.L(1, 0));
    std::vector<std::pair<Register*, const Expr*>> inner;
    if (w.any_sub) inner.push_back({&ctl.sub, ag.td_last_sub});
    for (auto rl : std::vector<std::pair<Register*, const Expr*>>{
             {&ctl.dw, ag.td_last_dw}, {&ctl.dh, ag.td_last_dh}, {&ctl.dt, ag.td_last_dt}, {&ctl.ci, ag.td_last_ci}})
      inner.push_back(rl);
    Block* e5 = advance(s, inner, &ctl.rr, ag.sd_last_r, ag.sd_first_r);
    e5->Blocking(ctl.state.d, st(S_DRAIN));
    e5->Blocking(ctl.drain.d, c.L(w.DRW, 0));
    if (la) {
      // The group's last read: where the stage looks ahead, this is not its last group, no
      // hand-off is pending and the output unit is idle or in its last busy cycle (so idle at
      // the hand-off), the next group's reads start now: its counters advance as in S_NEXT
      // and this group's coordinates wait in pend_* for the hand-off
      const Expr* wb_last = w.any_multi_word ? f.LogicalAnd(ag.sd_last_wb, ag.sd_last_word) : ag.sd_last_wb;
      const Expr* unit_last = f.LogicalOr(
          f.LogicalAnd(is_ostate(c, ctl, O_WB), wb_last),
          f.LogicalAnd(f.LogicalAnd(is_ostate(c, ctl, O_WAIT), f.Eq(ctl.wait.q, c.L(2, kNeuronLatency - 1))),
                       f.Eq(ag.sd_mode, c.L(2, HwStage::Readout))));
      const Expr* unit_free = f.LogicalOr(is_ostate(c, ctl, O_IDLE), unit_last);
      LogicRef* go = m->AddWireAssign(
          "la_go", f.LogicalAnd(f.LogicalAnd(ag.sd_lookahead, f.LogicalNot(stage_end)),
                                f.LogicalAnd(f.LogicalNot(ctl.la_pend.q), unit_free)));
      If* gi = e5->AddIf(go);
      Block* g = gi->then_block();
      g->Blocking(ctl.state.d, st(S_SYN));
      g->Blocking(ctl.syn_first.d, c.L(1, 1));
      g->Blocking(ctl.la_pend.d, c.L(1, 1));
      g->Blocking(ctl.la_cnt.d, c.L(*ctl.la_cnt.q->width(), 0));
      g->Blocking(ctl.pend_stage.d, ctl.stage.q);
      g->Blocking(ctl.pend_cg.d, ctl.cg.q);
      g->Blocking(ctl.pend_fo.d, ctl.fo.q);
      g->Blocking(ctl.pend_ho.d, ctl.ho.q);
      g->Blocking(ctl.pend_wo.d, ctl.wo.q);
      // (not the stage's last group: the frame counter does not wrap here)
      advance(g, {{&ctl.cg, nx_last_cg.q}, {&ctl.wo, nx_last_wo.q}, {&ctl.ho, nx_last_ho.q}}, &ctl.fo, nx_last_fo.q,
              c.L(w.FW, 0));
    }
  }
  {  // HwPlan::drain cycles until the last product is in the accumulators
    Block* s = cs->AddItem({st(S_DRAIN)});
    s->Blocking(ctl.drain.d, f.Add(ctl.drain.q, c.L(w.DRW, 1)));
    If* i = s->AddIf(f.Eq(ctl.drain.q, c.L(w.DRW, c.p.drain() - 1)));
    i->then_block()->Blocking(ctl.state.d, st(S_NEXT));
  }
  {  // hand the group to the output unit when it is free, then the next output group: channel
     // group, then column, row, frame, stage. The stage's last group, and every group of a
     // stage whose output unit would write a bank the stage reads, waits in S_NEXT until the
     // unit has written it back (hold): the next stage reads what this one wrote, and a bank
     // has one port.
    Block* s0 = cs->AddItem({st(S_NEXT)});
    LogicRef* hold = m->AddWireAssign("hold", f.LogicalOr(f.LogicalNot(ag.sd_overlap), stage_end));
    const Expr* o_idle = is_ostate(c, ctl, O_IDLE);
    // S_NEXT's own hand-off (never while a look-ahead hand-off is pending), or the pending one
    const Expr* next_ho = f.LogicalAnd(f.LogicalAnd(is_state(c, ctl, S_NEXT), f.LogicalNot(ctl.handed.q)), o_idle);
    LogicRef* next_handoff = ctl.handoff;
    if (la) {
      next_handoff = m->AddWireAssign("next_handoff", f.LogicalAnd(next_ho, f.LogicalNot(ctl.la_pend.q)));
      m->AddAssign(ctl.handoff, f.LogicalOr(next_handoff, la_fire));
    } else {
      m->AddAssign(ctl.handoff, next_ho);
    }
    If* hi = s0->AddIf(next_handoff);
    hi->then_block()->Blocking(ctl.handed.d, hold);
    // advance when handed off without hold, or when the held group is written back
    If* adv =
        s0->AddIf(f.LogicalOr(f.LogicalAnd(next_handoff, f.LogicalNot(hold)), f.LogicalAnd(ctl.handed.q, o_idle)));
    Block* s = adv->then_block();
    s->Blocking(ctl.handed.d, c.L(1, 0));
    s->Blocking(ctl.state.d, st(S_SYN));
    s->Blocking(ctl.syn_first.d, c.L(1, 1));
    Block* d3 = advance(s, {{&ctl.cg, nx_last_cg.q}, {&ctl.wo, nx_last_wo.q}, {&ctl.ho, nx_last_ho.q}}, &ctl.fo,
                        nx_last_fo.q, c.L(w.FW, 0));
    If* e = d3->AddIf(nx_last_stage.q);
    e->then_block()->Blocking(ctl.syn_first.d, c.L(1, 0));
    if (K > 1) {
      e->then_block()->Blocking(ctl.state.d, st(S_ARG));
      e->then_block()->Blocking(ro.arg_k.d, c.L(CLW, 1));
      e->then_block()->Blocking(ro.best_i.d, c.L(CLW, 0));
      e->then_block()->Blocking(ro.best_v.d, ro.logit[0].q);
      e->then_block()->Blocking(ro.arg_cur.d, ro.logit[1].q);
    } else {
      e->then_block()->Blocking(ctl.state.d, st(S_DONE));
      e->then_block()->Blocking(ctl.done.d, c.L(1, 1));
      e->then_block()->Blocking(ctl.cls.d, c.L(CLW, 0));
    }
    e->Else()->Blocking(ctl.stage.d, f.Add(ctl.stage.q, c.L(w.STW, 1)));
    e->Else()->Blocking(ctl.rr.d, ag.sd_next_r);
  }
  {  // the output unit: takes a group at the hand-off, feeds, waits, writes back
    Case* ocs = b->AddCase(ctl.ostate.q);
    {
      Block* s = ocs->AddItem({ost(O_IDLE)});
      If* h = s->AddIf(ctl.handoff);
      Block* hb = h->then_block();
      hb->Blocking(ctl.ostate.d, ost(O_OUT));
      // the group handed off: the pending one (look-ahead) or the synapse side's own
      auto src = [&](const Register& pend, const Register& live) {
        return la ? f.Ternary(la_fire, pend.q, live.q) : static_cast<const Expr*>(live.q);
      };
      hb->Blocking(ctl.ostage.d, src(ctl.pend_stage, ctl.stage));
      hb->Blocking(ctl.ocg.d, src(ctl.pend_cg, ctl.cg));
      hb->Blocking(ctl.ofo.d, src(ctl.pend_fo, ctl.fo));
      hb->Blocking(ctl.oho.d, src(ctl.pend_ho, ctl.ho));
      hb->Blocking(ctl.owo.d, src(ctl.pend_wo, ctl.wo));
      // t, out_gap and wb are 0 whenever the unit is idle (O_OUT leaves with t = 0 and no
      // bubble pending, O_WAIT and O_WB leave with wb = 0; reset and run start clear them), so
      // the hand-off does not load them: decoded from the hand-off they were the ULX3S critical
      // path (state_q -> the step counter t, 65.99 MHz at 16 lanes x simd 8)
    }
    {  // all T currents are in the accumulators: a neuron stage feeds them to the neuron one
       // step every kNeuronStepGap cycles (a bubble between two steps of one neuron: the
       // neuron's STEP_GAP contract), a readout stage adds them to the logits on the same
       // feeds (one accumulator mux per lane serves both); a sum stage stores all T at once
      Block* s = ocs->AddItem({ost(O_OUT)});
      const Expr* last_t = f.Eq(ctl.tt.q, c.L(TW, T - 1));
      static_assert(kNeuronStepGap == 2, "the neuron feed inserts exactly one bubble");
      // with a shared neuron the feeds walk lane wb (0 .. last lane of the group), T steps each
      const bool shared = c.p.shared_neuron();
      const Expr* last_feed = shared ? f.LogicalAnd(last_t, ag.sd_last_wb) : last_t;
      If* a = s->AddIf(f.LogicalOr(f.Eq(ag.sd_mode, c.L(2, HwStage::Sum)),
                                   shared ? f.LogicalAnd(last_feed, f.LogicalNot(ctl.out_gap.q)) : last_feed));
      a->then_block()->Blocking(ctl.tt.d, c.L(TW, 0));
      a->then_block()->Blocking(ctl.ostate.d, ost(O_WAIT));
      a->then_block()->Blocking(ctl.wait.d, c.L(2, 0));
      Block* bubble = a->ElseIf(ctl.out_gap.q);
      bubble->Blocking(ctl.out_gap.d, c.L(1, 0));
      if (shared) {
        If* nl = bubble->AddIf(last_t);
        nl->then_block()->Blocking(ctl.tt.d, c.L(TW, 0));
        nl->then_block()->Blocking(ctl.wb.d, f.Add(ctl.wb.q, c.L(w.LNW, 1)));
        nl->Else()->Blocking(ctl.tt.d, f.Add(ctl.tt.q, c.L(TW, 1)));
      } else {
        bubble->Blocking(ctl.tt.d, f.Add(ctl.tt.q, c.L(TW, 1)));
      }
      a->Else()->Blocking(ctl.out_gap.d, c.L(1, 1));
    }
    {  // neuron latency
      Block* s = ocs->AddItem({ost(O_WAIT)});
      static_assert(kNeuronLatency >= 1 && kNeuronLatency <= 4, "O_WAIT counts in 2 bits");
      s->Blocking(ctl.wait.d, f.Add(ctl.wait.q, c.L(2, 1)));
      If* i = s->AddIf(f.Eq(ctl.wait.q, c.L(2, kNeuronLatency - 1)));
      i->then_block()->Blocking(ctl.wb.d, c.L(w.LNW, 0));
      i->then_block()->Blocking(ctl.ostate.d,
                                f.Ternary(f.Eq(ag.sd_mode, c.L(2, HwStage::Readout)), ost(O_IDLE), ost(O_WB)));
    }
    {  // one word per cycle into the output tensor: per lane, words_per_value words each
      Block* s = ocs->AddItem({ost(O_WB)});
      Block* lane_done = s;
      if (w.any_multi_word) {
        If* sp = s->AddIf(f.LogicalNot(ag.sd_last_word));
        sp->then_block()->Blocking(ctl.wbt.d, f.Add(ctl.wbt.q, c.L(w.WBTW, 1)));
        lane_done = sp->Else();
        lane_done->Blocking(ctl.wbt.d, c.L(w.WBTW, 0));
      }
      If* i = lane_done->AddIf(ag.sd_last_wb);
      i->then_block()->Blocking(ctl.ostate.d, ost(O_IDLE));
      i->then_block()->Blocking(ctl.wb.d, c.L(w.LNW, 0));  // idle with wb = 0 (a shared neuron's first feed)
      const Expr* next_lane = f.Add(ctl.wb.q, c.L(w.LNW, 1));
      // a folded stage: from the first column's last channel to lane L/2 (the second column's)
      if (ag.sd_wb_jump) next_lane = f.Ternary(ag.sd_wb_jump, c.L(w.LNW, w.Ln / 2), next_lane);
      i->Else()->Blocking(ctl.wb.d, next_lane);
    }
  }
  if (K > 1) {  // one logit per cycle; strict > keeps the lowest index on ties
    Block* s = cs->AddItem({st(S_ARG)});
    const Expr* gt = f.Gt(ro.arg_cur.q, ro.best_v.q);
    s->Blocking(ro.arg_cur.d, ro.arg_next);
    If* better = s->AddIf(gt);
    better->then_block()->Blocking(ro.best_v.d, ro.arg_cur.q);
    better->then_block()->Blocking(ro.best_i.d, ro.arg_k.q);
    If* fin = s->AddIf(f.Eq(ro.arg_k.q, c.L(CLW, K - 1)));
    fin->then_block()->Blocking(ctl.state.d, st(S_DONE));
    fin->then_block()->Blocking(ctl.done.d, c.L(1, 1));
    fin->then_block()->Blocking(ctl.cls.d, f.Ternary(gt, ro.arg_k.q, ro.best_i.q));
    fin->Else()->Blocking(ro.arg_k.d, f.Add(ro.arg_k.q, c.L(CLW, 1)));
  }
}

}  // namespace sdm::accel
