// Trace port: every tensor word written (tensor id, word address, data, step of a
// one-value-per-word tensor), for the co-simulation's layer-by-layer comparison. The
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
  m->AddAssign(io.tr_valid, is_state(c, ctl, S_WB));
  m->AddAssign(io.tr_tensor, c.resize_u(ag.sd_out, 8));
  m->AddAssign(io.tr_addr, c.resize_u(ag.sd_oaddr, 32));
  LogicRef* td = m->AddReg("trace_data", Type::Bits(TDW));
  LogicRef* ts = m->AddReg("trace_step", Type::Bits(8));
  Block* b = m->AddAlwaysComb();
  b->Blocking(td, c.L(TDW, 0));
  b->Blocking(ts, c.L(8, 255));  // 255: the word holds every step
  Case* cs = b->AddCase(ag.sd_out);
  for (int ti = 1; ti < w.NT; ++ti) {
    if (!tm.tw_data[ti]) continue;
    Block* it = cs->AddItem({c.L(w.TIDW, ti)});
    it->Blocking(td, c.resize_u(tm.tw_data[ti], TDW));
    if (c.p.split[ti]) it->Blocking(ts, c.resize_u(tm.wbt.q, 8));
  }
  m->AddAssign(io.tr_data, td);
  m->AddAssign(io.tr_step, ts);
}

}  // namespace sdm::accel
