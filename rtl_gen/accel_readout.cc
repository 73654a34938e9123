// Readout and argmax: the K logit accumulators (the readout stage's T step currents added
// one per feed at O_OUT, class k from lane k mod L in group k / L), the registers of the
// sequential argmax the controller runs in S_ARG (one logit per cycle, ties -> lowest index),
// and the result beat's data (m_axis_tdata_o, m_axis_tlast_o).
#include <algorithm>

#include "rtl_gen/accel_blocks.h"

namespace sdm::accel {

using namespace vast;

ReadoutPorts build_readout(BuildCtx& c, const AccelIo& io, const ControllerPorts& ctl, const AddrGenPorts& ag,
                           const NeuronPorts& nrn) {
  const AccelWidths& w = c.w;
  VerilogFile& f = c.f;
  Module* m = c.m;
  const int K = w.K, Ln = w.Ln, LW = w.LW, ACC = w.ACC, CLW = w.CLW;
  ReadoutPorts ro;
  // readout: logits accumulate the readout current of every step
  ro.logit.assign(size_t(K), Register{});
  // O_OUT feeds step t's current (nrn.acc_t) every other cycle, as for a neuron stage
  LogicRef* ro_out = m->AddWireAssign(
      "readout_out", f.LogicalAnd(f.LogicalAnd(is_ostate(c, ctl, O_OUT), f.Eq(ag.sd_mode, c.L(2, HwStage::Readout))),
                                  f.LogicalNot(ctl.out_gap.q)));
  // nrn.acc_t is the feed register's copy: the feed and its lane arrive one cycle later (the
  // output unit's channel group ocg holds until O_IDLE)
  Register ro_out_q = c.delay("readout_out_q", 1, ro_out);
  const bool shared_nrn = c.p.shared_neuron();
  Register ro_wb_q{};
  if (shared_nrn) ro_wb_q = c.delay("readout_wb_q", w.LNW, ctl.wb.q);
  for (int k = 0; k < K; ++k) {
    ro.logit[k] = c.sreg(vast::Name("logit", k), LW);
    Block* b = m->AddAlwaysComb();
    b->Blocking(ro.logit[k].d, ro.logit[k].q);
    If* i = b->AddIf(ctl.start);
    i->then_block()->Blocking(ro.logit[k].d, c.SL(LW, 0));
    // a shared neuron's feed walks the lanes: class k's current is fed when wb_q = k mod L
    const bool shared = c.p.shared_neuron();
    const Expr* a = nrn.acc_t[shared ? 0 : k % Ln];
    const Expr* ae = LW >= ACC ? c.sext(a, LW, "acc_logit") : a;  // a: the low LW bits already
    const Expr* mine = f.Eq(ctl.ocg.q, c.L(w.GW, k / Ln));
    if (shared) mine = f.LogicalAnd(mine, f.Eq(ro_wb_q.q, c.L(w.LNW, k % Ln)));
    i->ElseIf(f.LogicalAnd(ro_out_q.q, mine))
        ->Blocking(ro.logit[k].d, f.Add(ro.logit[k].q, ae));
  }
  {  // the result beat: {padding, logit K-1, ..., logit 0, class zero-extended to RCB bits}
    std::vector<const Expr*> parts;
    const int pad = w.RDW - w.RCB - K * LW;
    if (pad > 0) parts.push_back(c.L(pad, 0));
    for (int k = K - 1; k >= 0; --k) parts.push_back(ro.logit[k].q);
    parts.push_back(c.resize_u(ctl.cls.q, w.RCB));
    m->AddAssign(io.res_data, f.Concat(parts));
    m->AddAssign(io.res_last, c.L(1, 1));  // one beat per clip
  }
  // argmax (ties -> lowest index), sequential: one logit per cycle in S_ARG, so the
  // comparison is one LW-bit compare, not a K-long chain (timing). The compared logit is a
  // register loaded one cycle ahead (arg_next = logit[arg_k + 1]): the K-way logit mux in
  // front of the compare and the best-value enable was the ECP5 critical path (13.2 ns).
  if (K > 1) {
    ro.arg_k = c.reg("arg_k", CLW);
    ro.best_i = c.reg("arg_best_i", CLW);
    ro.best_v = c.sreg("arg_best_v", LW);
    ro.arg_cur = c.sreg("arg_cur", LW);
    ro.arg_next = m->AddReg("arg_next", Type::SBits(LW));
    Block* b = m->AddAlwaysComb();
    b->Blocking(ro.arg_next, ro.logit[K - 1].q);
    if (K > 2) {
      Case* cs = b->AddCase(ro.arg_k.q);
      for (int k = 0; k + 1 < K - 1; ++k) cs->AddItem({c.L(CLW, k)})->Blocking(ro.arg_next, ro.logit[k + 1].q);
    }
  }
  return ro;
}

}  // namespace sdm::accel
