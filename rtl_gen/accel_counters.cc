// Counters of the last run, read through cnt_sel_i / cnt_val_o: cycles, synapse reads,
// weight reads, tensor writes, then |spikes| per neuron stage (signature.json `counters`).
#include "rtl_gen/accel_blocks.h"

namespace sdm::accel {

using namespace vast;

CounterPorts build_counters(BuildCtx& c, const AccelIo& io, const ControllerPorts& ctl, const NeuronPorts& nrn) {
  const AccelWidths& w = c.w;
  VerilogFile& f = c.f;
  Module* m = c.m;
  CounterPorts cp;
  // cleared at run start, incremented by `amount` while `inc_cond`
  auto counter = [&](const std::string& name, const Expr* inc_cond, const Expr* amount) {
    Register r = c.reg(vast::Name("cnt", name), 32);
    Block* b = m->AddAlwaysComb();
    b->Blocking(r.d, r.q);
    If* i = b->AddIf(ctl.start);
    i->then_block()->Blocking(r.d, c.L(32, 0));
    i->ElseIf(inc_cond)->Blocking(r.d, f.Add(r.q, amount));
    cp.counters.push_back({name, r});
  };
  counter("cycles", f.LogicalNot(ctl.ready), c.L(32, 1));
  counter("synapse_reads", ctl.in_syn, c.L(32, 1));
  counter("weight_reads", ctl.in_syn, c.L(32, 1));
  counter("tensor_writes", is_ostate(c, ctl, O_WB), c.L(32, 1));
  {
    // |n| of all neurons at a neuron output (one per lane, or the shared one)
    const int NN = int(nrn.n_o.size());
    const int SW = ubits(long(NN) * 64);
    const Expr* sum = c.L(SW, 0);
    for (int l = 0; l < NN; ++l) {
      const Expr* neg = f.Index(nrn.n_o[l], w.NW - 1);
      const Expr* mag = f.Ternary(neg, c.L(SW, 1), c.resize_u(f.Unsigned(nrn.n_o[l]), SW));
      sum = f.Add(sum, mag);
    }
    LogicRef* spk = m->AddWireAssign("spikes_abs", sum);
    for (int si = 0; si < w.NS; ++si) {
      if (c.p.stages[si].mode != HwStage::Neuron) continue;
      counter(vast::Name("spikes_s", si), f.LogicalAnd(nrn.nv[0], f.Eq(ctl.ostage.q, c.L(w.STW, si))),
              c.resize_u(spk, 32));
    }
  }
  {
    LogicRef* cv = m->AddReg("cnt_val", Type::Bits(32));
    Block* b = m->AddAlwaysComb();
    b->Blocking(cv, c.L(32, 0));
    Case* cs = b->AddCase(io.cnt_sel);
    for (size_t i = 0; i < cp.counters.size(); ++i)
      cs->AddItem({c.L(8, long(i))})->Blocking(cv, cp.counters[i].second.q);
    m->AddAssign(io.cnt_val, cv);
  }
  return cp;
}

}  // namespace sdm::accel
