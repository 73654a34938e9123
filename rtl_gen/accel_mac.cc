// MAC array: selects the read value (bank, step, zero padding) and each lane's weight
// (ROM word or the sum pool's computed diagonal) in stage 2, multiplies per lane in
// stage 3, accumulates in stage 4; the first synapse of a (group, step) loads the bias.
#include "rtl_gen/accel_blocks.h"

namespace sdm::accel {

using namespace vast;

MacPorts build_mac_array(BuildCtx& c, const ControllerPorts& ctl, const ReadCtl& p1b, const TensorMemPorts& tm,
                         const WeightMemPorts& wm) {
  const AccelWidths& w = c.w;
  const QNet& q = c.q;
  const HwPlan& p = c.p;
  VerilogFile& f = c.f;
  Module* m = c.m;
  const int Ln = w.Ln, XW = w.XW, WB = w.WB, PRW = w.PRW, ACC = w.ACC;
  // pipeline stage 2: select the input value
  LogicRef* xv = m->AddReg("x_value", Type::SBits(XW));
  {
    Block* b = m->AddAlwaysComb();
    b->Blocking(xv, c.SL(XW, 0));
    Case* cs = b->AddCase(p1b.src.q);
    for (int ti = 0; ti < w.NT; ++ti) {
      if (p.bank_of[ti] < 0) continue;
      const QTensor& qt = q.tensors[ti];
      const int bits = qt.bits();
      const Expr* r = tm.rdq[p.bank_of[ti]].q;
      const Expr* val;
      if (w.steps[ti] == 1 || p.split[ti]) {
        val = c.bits(r, bits - 1, 0);
      } else {
        const int bw = clog2(long(w.steps[ti] * bits));
        const Expr* word = c.bits(r, w.steps[ti] * bits - 1, 0);
        val = f.PartSelect(c.ref(word, "xword"), c.mulc(c.resize_u(p1b.t.q, bw), bits, false), bits);
      }
      const Expr* ext = qt.is_signed() ? c.sext(val, XW, "xval") : f.Signed(f.ZeroExtend(c.ref(val, "xval"), XW));
      cs->AddItem({c.L(w.TIDW, ti)})->Blocking(xv, ext);
    }
    // outside the window: zero padding
    If* z = b->AddIf(f.LogicalNot(p1b.inr.q));
    z->then_block()->Blocking(xv, c.SL(XW, 0));
  }
  // The selected value and each lane's weight are registered (x_sel, w_sel_l*): the bank /
  // step / diagonal muxes and the multiplier would otherwise share one cycle, which was the
  // ECP5 critical path (45.8 MHz at 4 lanes).
  Register p2_valid = c.delay("p2_valid", 1, p1b.valid.q);
  Register x_sel = c.sreg("x_sel", XW);
  m->AddAlwaysComb()->Blocking(x_sel.d, xv);
  std::vector<Register> w_sel;
  for (int l = 0; l < Ln; ++l) {
    const Expr* wrom_l = c.bits(wm.w_qq.q, (l + 1) * WB - 1, l * WB);
    if (w.any_diag)
      wrom_l = f.Ternary(p1b.dsel.q,
                         f.Ternary(Ln == 1 ? static_cast<const Expr*>(p1b.diag.q) : f.Index(p1b.diag.q, l),
                                   c.L(WB, 1), c.L(WB, 0)),
                         wrom_l);
    w_sel.push_back(c.delay(vast::Name("w_sel_l", l), WB, wrom_l));
  }
  // pipeline stage 3: multiply per lane
  Register p3_valid = c.delay("p3_valid", 1, p2_valid.q);
  std::vector<Register> prod;
  for (int l = 0; l < Ln; ++l) {
    Register pr = c.sreg(vast::Name("prod_l", l), PRW);
    const Expr* wl = c.sext(w_sel[l].q, PRW, vast::Name("w_l", l));
    m->AddAlwaysComb()->Blocking(pr.d, f.Mul(wl, c.sext(x_sel.q, PRW, "x_ext")));
    prod.push_back(pr);
  }
  // stage 4: accumulate; the first synapse cycle of a (group, step) loads the bias
  MacPorts mac;
  for (int l = 0; l < Ln; ++l) {
    Register ac = c.sreg(vast::Name("acc_l", l), ACC);
    Block* b = m->AddAlwaysComb();
    b->Blocking(ac.d, ac.q);
    If* i = b->AddIf(f.LogicalAnd(ctl.in_syn, ctl.syn_first.q));
    i->then_block()->Blocking(ac.d, f.Signed(f.Slice(wm.bias_word, (l + 1) * ACC - 1, l * ACC)));
    const Expr* pe = PRW <= ACC ? c.sext(prod[l].q, ACC, "prod_ext") : f.Signed(f.Slice(prod[l].q, ACC - 1, 0));
    i->ElseIf(p3_valid.q)->Blocking(ac.d, f.Add(ac.q, pe));
    mac.acc.push_back(ac);
  }
  return mac;
}

}  // namespace sdm::accel
