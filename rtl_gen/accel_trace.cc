// Trace port: every tensor word written (tensor id, value index, data, the steps the word
// holds), for the co-simulation's layer-by-layer comparison. The
// neuron taps (trace_nrn_*) are driven by the neuron array. A board build leaves the port
// unconnected and synthesis removes it.
#include "rtl_gen/accel_blocks.h"

namespace sdm::accel {

using namespace vast;

void build_trace_port(BuildCtx& c, const AccelIo& io, const ControllerPorts& ctl, const AddrGenPorts& ag,
                      const TensorMemPorts& tm) {
  const AccelWidths& w = c.w;
  Module* m = c.m;
  const int TDW = w.TDW;
  m->AddAssign(io.tr_valid, is_ostate(c, ctl, O_WB));
  m->AddAssign(io.tr_tensor, c.resize_u(ag.sd_out, 8));
  m->AddAssign(io.tr_addr, c.resize_u(ag.sd_oaddr, 32));
  // the written word holds steps trace_step_o .. trace_step_o + trace_nsteps_o - 1, the
  // first in the low bits (HwPlan: steps_per_word, words_per_value)
  LogicRef* td = m->AddReg("trace_data", Type::Bits(TDW));
  LogicRef* ts = m->AddReg("trace_step", Type::Bits(8));
  LogicRef* tn = m->AddReg("trace_nsteps", Type::Bits(8));
  Block* b = m->AddAlwaysComb();
  b->Blocking(td, c.L(TDW, 0));
  b->Blocking(ts, c.L(8, 0));
  b->Blocking(tn, c.L(8, 1));
  Case* cs = b->AddCase(ag.sd_out);
  for (int ti = 1; ti < w.NT; ++ti) {
    if (!tm.tw_data[ti]) continue;
    Block* it = cs->AddItem({c.L(w.TIDW, ti)});
    it->Blocking(td, c.resize_u(tm.tw_data[ti], TDW));
    const int spw = c.p.steps_per_word[ti], nw = c.p.words_per_value[ti], st = w.steps[ti];
    if (nw == 1) {
      it->Blocking(tn, c.L(8, st));
      continue;
    }
    Case* wc = it->AddCase(ctl.wbt.q);
    for (int j = 0; j < nw; ++j) {
      Block* jb = wc->AddItem({c.L(w.WBTW, j)});
      jb->Blocking(ts, c.L(8, j * spw));
      jb->Blocking(tn, c.L(8, std::min(st, (j + 1) * spw) - j * spw));
    }
  }
  m->AddAssign(io.tr_data, td);
  m->AddAssign(io.tr_step, ts);
  m->AddAssign(io.tr_nsteps, tn);
}

}  // namespace sdm::accel
