// Neuron array: L instances of the hand-written sd_neuron (rtl/sd_neuron.v) shared by
// every neuron stage (each stage's current shifted onto the common threshold 2^F), their
// v/M taps on the trace port, and the lane slots' writes: spike counts kNeuronLatency cycles
// after the feed of each step (a feed register, then the neuron's two), or a sum pool's T
// window sums at once at O_OUT.
#include <algorithm>

#include "rtl_gen/accel_blocks.h"

namespace sdm::accel {

using namespace vast;

namespace {
// The extern declaration instances are checked against (parameters and ports of
// rtl/sd_neuron.v).
Module* declare_sd_neuron(VerilogFile& f) {
  Module* nrn = f.DeclareExternModule("sd_neuron");
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
  return nrn;
}
}  // namespace

NeuronPorts build_neuron_array(BuildCtx& c, const AccelIo& io, const ControllerPorts& ctl, const AddrGenPorts& ag,
                               const MacPorts& mac, const TensorMemPorts& tm) {
  const AccelWidths& w = c.w;
  const HwPlan& p = c.p;
  VerilogFile& f = c.f;
  Module* m = c.m;
  const int Ln = w.Ln, T = w.T, TW = w.TW, NW = w.NW, NPW = w.NPW, NACC = w.NACC, ACC = w.ACC;
  Module* nrn = declare_sd_neuron(f);
  NeuronPorts np;
  const Expr* out_state = is_ostate(c, ctl, O_OUT);
  LogicRef* nrn_valid = m->AddWireAssign(
      "nrn_valid", f.LogicalAnd(f.LogicalAnd(out_state, f.Eq(ag.sd_mode, c.L(2, HwStage::Neuron))),
                                f.LogicalNot(ctl.out_gap.q)));
  LogicRef* nrn_first = m->AddWireAssign("nrn_first", f.Eq(ctl.tt.q, c.L(TW, 0)));
  // the feed register: current, valid and first reach the neuron one cycle after the feed
  Register nrn_valid_q = c.delay("nrn_valid_q", 1, nrn_valid);
  Register nrn_first_q = c.delay("nrn_first_q", 1, nrn_first);
  // a static stage's current is in accumulator 0 for every step
  LogicRef* stage_static = nullptr;
  if (w.any_static_stage && T > 1) {
    stage_static = m->AddReg("stage_static", Type::Bits(1));
    Block* b = m->AddAlwaysComb();
    b->Blocking(stage_static, c.L(1, 0));
    Case* cs = b->AddCase(ctl.ostage.q);
    for (int si = 0; si < w.NS; ++si)
      if (p.stages[si].static_input) cs->AddItem({c.L(w.STW, si)})->Blocking(stage_static, c.L(1, 1));
  }
  // NN neuron instances: one per lane, or one shared by the lanes (fed lane wb_q's currents)
  const bool shared = p.shared_neuron();
  const int NN = p.neurons();
  np.n_o.assign(size_t(NN), nullptr);
  np.v_o.assign(size_t(NN), nullptr);
  np.m_o.assign(size_t(NN), nullptr);
  np.nv.assign(size_t(NN), nullptr);
  for (int l = 0; l < NN; ++l) {
    // step tt's current (of lane wb when shared): the accumulators hold all T, fed one per
    // kNeuronStepGap cycles
    LogicRef* acc_t = m->AddReg(vast::Name("nrn_acc_l", l), Type::SBits(ACC));
    {
      Block* b = m->AddAlwaysComb();
      b->Blocking(acc_t, mac.obuf[l][0].q);
      auto step_case = [&](Block* blk, int lane) {
        if (T == 1) {
          blk->Blocking(acc_t, mac.obuf[lane][0].q);
          return;
        }
        Block* dyn = blk;
        if (stage_static) {
          If* st = blk->AddIf(stage_static);
          st->then_block()->Blocking(acc_t, mac.obuf[lane][0].q);
          dyn = st->Else();
        }
        Case* cs = dyn->AddCase(ctl.tt.q);
        for (int t = 0; t < T; ++t) cs->AddItem({c.L(TW, t)})->Blocking(acc_t, mac.obuf[lane][t].q);
      };
      if (shared) {
        Case* lc = b->AddCase(ctl.wb.q);
        for (int ln = 0; ln < Ln; ++ln) step_case(lc->AddItem({c.L(w.LNW, ln)}), ln);
      } else {
        step_case(b, l);
      }
    }
    // registered for the readout too (its logit adders see the feed a cycle later); only
    // the lanes the readout reads (class k from lane k mod L, or the shared neuron's feed)
    if (l < w.K) {
      // no wider than a logit: the readout adds the low LW bits (an unread bit fails -Wall)
      const int QW = std::min(ACC, w.LW);
      Register acc_tq = c.sreg(vast::Name("nrn_acc_q_l", l), QW);
      m->AddAlwaysComb()->Blocking(acc_tq.d, QW < ACC ? f.Signed(f.Slice(acc_t, QW - 1, 0)) : acc_t);
      np.acc_t.push_back(acc_tq.q);
    } else {
      np.acc_t.push_back(nullptr);
    }
    Register cur_q = c.sreg(vast::Name("nrn_cur_l", l), NACC);
    LogicRef* cur = cur_q.q;
    Block* b = m->AddAlwaysComb();
    const Expr* ext = c.sext(acc_t, NACC, "acc_ext");
    b->Blocking(cur_q.d, ext);
    Case* cs = b->AddCase(ctl.ostage.q);
    for (int si = 0; si < w.NS; ++si)
      if (p.stages[si].shift > 0) cs->AddItem({c.L(w.STW, si)})->Blocking(cur_q.d, f.Shl(ext, f.Int(p.stages[si].shift)));
    np.n_o[l] = m->AddWire(vast::Name("nrn_n_l", l), Type::SBits(NW));
    np.v_o[l] = m->AddWire(vast::Name("nrn_v_l", l), Type::SBits(NPW));
    np.m_o[l] = m->AddWire(vast::Name("nrn_m_l", l), Type::SBits(NPW));
    np.nv[l] = m->AddWire(vast::Name("nrn_valid_l", l), Type::Bits(1));
    const NeuronSpec& ns = p.cfg.neuron;
    m->AddInstance(nrn, vast::Name("u_sd_neuron_l", l),
                   {{"ACC_W", f.Int(NACC)}, {"PW", f.Int(NPW)}, {"F", f.Int(w.NF)},
                    {"BETA", f.Int(ns.max_burst())}, {"DUAL", f.Int(ns.method == Method::SDM && ns.dual ? 1 : 0)},
                    {"INIT_HALF", f.Int(ns.init_half() ? 1 : 0)}, {"N_W", f.Int(NW)},
                    // Step t+1 of a neuron is fed after a whole synapse loop and the read
                    // drain, never on the cycle after step t: the neuron may close its v
                    // loop through its output register (two cycles, faster clock).
                    {"STEP_GAP", f.Int(kNeuronStepGap)}},
                   {{"clk_i", c.clk}, {"rst_ni", c.rst}, {"valid_i", nrn_valid_q.q}, {"first_i", nrn_first_q.q},
                    {"cur_i", cur}, {"valid_o", np.nv[l]}, {"n_o", np.n_o[l]}, {"v_o", np.v_o[l]}, {"m_o", np.m_o[l]}});
  }
  // the step index (and the lane, when shared) travel with the feed register and the
  // neuron pipeline (kNeuronLatency cycles)
  static_assert(kNeuronLatency == 3, "feed register + two neuron stages");
  Register nt0 = c.reg("nrn_t0", TW), nt1 = c.reg("nrn_t1", TW), nt2 = c.reg("nrn_t2", TW);
  m->AddAlwaysComb()->Blocking(nt0.d, ctl.tt.q);
  m->AddAlwaysComb()->Blocking(nt1.d, nt0.q);
  m->AddAlwaysComb()->Blocking(nt2.d, nt1.q);
  Register nl2{};
  if (shared) {
    Register nl0 = c.delay("nrn_lane0", w.LNW, ctl.wb.q);
    Register nl1 = c.delay("nrn_lane1", w.LNW, nl0.q);
    nl2 = c.delay("nrn_lane2", w.LNW, nl1.q);
  }
  {  // neuron taps of the trace port
    // per-lane neurons: lane l's v/M in bits [l*PW +: PW], trace_nrn_lane_o = 255; a shared
    // neuron: its v/M in the low bits, trace_nrn_lane_o = the lane it was fed
    std::vector<const Expr*> vs, ms;
    for (int l = NN - 1; l >= 0; --l) vs.push_back(np.v_o[l]), ms.push_back(np.m_o[l]);
    const Expr* vcat = NN == 1 ? f.Unsigned(np.v_o[0]) : f.Concat(vs);
    const Expr* mcat = NN == 1 ? f.Unsigned(np.m_o[0]) : f.Concat(ms);
    m->AddAssign(io.tn_v, c.resize_u(vcat, Ln * NPW));
    m->AddAssign(io.tn_m, c.resize_u(mcat, Ln * NPW));
    m->AddAssign(io.tn_lane, shared ? c.resize_u(nl2.q, 8) : c.L(8, 255));
    m->AddAssign(io.tn_valid, np.nv[0]);
    m->AddAssign(io.tn_stage, c.resize_u(ctl.ostage.q, 8));
    m->AddAssign(io.tn_t, c.resize_u(nt2.q, 8));
  }
  // slots: neuron spike counts (2 cycles after the feed) or pooled sums (at O_OUT)
  LogicRef* sum_out =
      m->AddWireAssign("sum_out", f.LogicalAnd(out_state, f.Eq(ag.sd_mode, c.L(2, HwStage::Sum))));
  for (int l = 0; l < Ln; ++l) {
    Block* b = m->AddAlwaysFf(c.clk);
    const int nl = shared ? 0 : l;  // the neuron lane l's counts come from
    const Expr* mine = shared ? f.LogicalAnd(np.nv[0], f.Eq(nl2.q, c.L(w.LNW, l))) : static_cast<const Expr*>(np.nv[l]);
    for (int t = 0; t < T; ++t) {
      const int bmax = w.slot_w[t];
      If* i = b->AddIf(f.LogicalAnd(mine, f.Eq(nt2.q, c.L(TW, t))));
      // A slot narrower than the count (opt: 0/1 spikes in a 1-bit slot) takes the count's
      // low bits straight from the neuron output, whose sign bit the counters read: no
      // helper wire with an unread bit (verilator -Wall).
      const Expr* nn = bmax < NW ? f.Slice(np.n_o[nl], bmax - 1, 0)
                                 : c.resize_u(f.Unsigned(c.sext(np.n_o[nl], bmax, "n_ext")), bmax);
      i->then_block()->Nonblocking(tm.slot[l][t], nn);
      const Expr* a = mac.obuf[l][t].q;  // a static sum stage stores step 0 only
      i->ElseIf(sum_out)->Nonblocking(tm.slot[l][t], bmax <= ACC ? f.Slice(a, bmax - 1, 0)
                                                                 : f.Unsigned(c.sext(a, bmax, "acc_slot")));
    }
  }
  return np;
}

}  // namespace sdm::accel
