// MAC array: T accumulators per lane, one per time-step, filled in one pass over the
// synapses (docs/architecture.md, "MAC array"). Stage 2 splits the read word into per-step
// operands (bank, word, zero padding) and selects each lane's weight (ROM word or the sum
// pool's computed diagonal); stage 3 multiplies; stage 4 accumulates. The group's first
// product starts all T sums from the (registered) bias word.
//
// Per lane and cycle: one wide product w * x0 (a DSP multiplier: pixels, pooled sums, step 0
// of a batched spike word) and T - 1 narrow products w * x_t of the batched steps 1..T-1,
// built as shift-adds in LUTs (spike counts are -1..beta: a few bits). Where each product
// goes depends on how the source tensor is read (HwPlan::batched):
//   static       x0 = the value; a static stage uses accumulator 0 for every step, a
//                dynamic stage reading it adds w * x0 into every accumulator
//   batched      the word holds steps j*spw ..; x_t = step t's field if it is in word j, else 0
//   step/cycle   word j holds step j alone; x0 = it, and only accumulator j adds w * x0
// Integer sums are order-free, so the T currents equal the golden model's per-step currents.
#include "rtl_gen/accel_blocks.h"

namespace sdm::accel {

using namespace vast;

namespace {
// w * x for a signed narrow operand x, as shifts and adds of w (no multiplier): the sum of
// w << k over the set bits of x, minus w << (n-1) for its sign bit. Exact at wd bits when
// wd >= width(w) + width(x). The terms are added as a balanced tree (depth log2 n + 1, not
// n): a linear chain of 9 ripple adders (9-bit pooled sums with --batch-sums) was the ECP5
// critical path (13.1 ns at 16 lanes).
const Expr* shift_add_product(BuildCtx& c, const Expr* wv, const Expr* x, int wd, const std::string& hint) {
  VerilogFile& f = c.f;
  const int n = *x->width();
  const Expr* we = c.sext(wv, wd, hint + "_w");
  const Expr* xr = c.ref(x, hint + "_x");
  auto term = [&](int k) { return f.Ternary(f.Index(xr, k), k == 0 ? we : f.Shl(we, f.Int(k)), c.SL(wd, 0)); };
  std::vector<const Expr*> level;
  for (int k = 0; k + 1 < n; ++k) level.push_back(term(k));
  while (level.size() > 1) {
    std::vector<const Expr*> next;
    for (size_t i = 0; i + 1 < level.size(); i += 2) next.push_back(f.Add(level[i], level[i + 1]));
    if (level.size() % 2) next.push_back(level.back());
    level = std::move(next);
  }
  return f.Sub(level.empty() ? c.SL(wd, 0) : level[0], term(n - 1));
}

}  // namespace

MacPorts build_mac_array(BuildCtx& c, const ControllerPorts& ctl, const ReadCtl& p1b, const TensorMemPorts& tm,
                         const WeightMemPorts& wm) {
  const AccelWidths& w = c.w;
  const QNet& q = c.q;
  const HwPlan& p = c.p;
  VerilogFile& f = c.f;
  Module* m = c.m;
  const int Ln = w.Ln, T = w.T, XW = w.XW, XSW = w.XSW, WB = w.WB, PRW = w.PRW, ACC = w.ACC;
  const int S = p.simd;
  const int PSW = WB + XSW;  // narrow product width
  // Slice s (input channel block*simd + s) is read only by terms with more than s input
  // channels; its step-0 product is the wide multiplier only where such a term reads a static
  // or one-step-per-cycle tensor (pixels, pooled sums), else a shift-add like the other steps:
  // the stem's pixels (one channel) keep slices 1.. off the DSPs (AccelWidths::wide).
  const std::vector<std::vector<char>>& used = w.slice_reads;
  const std::vector<char>& wide = w.wide;
  auto opw = [&](int sl, int t) { return t == 0 && wide[sl] ? XW : XSW; };
  auto sname = [&](const std::string& base, int sl) { return S > 1 ? vast::Name(base, "s", sl) : base; };
  // pipeline stage 2: per-step operands (xv[slice][step]) and routing; with a folded stage
  // (HwPlan::any_fold) a second set (xv_b) of the second column, from the memories' second
  // read port, which the lanes L/2 .. L - 1 take (in a stage that is not folded that port reads
  // the first column's address: the same operands)
  const bool fold_any = p.any_fold();
  using OperandSet = std::vector<std::vector<LogicRef*>>;
  auto operand_regs = [&](const std::string& suffix) {
    OperandSet xs(static_cast<size_t>(S), std::vector<LogicRef*>(static_cast<size_t>(T), nullptr));
    for (int sl = 0; sl < S; ++sl) {
      xs[sl][0] = m->AddReg(sname("x_value" + suffix, sl), Type::SBits(opw(sl, 0)));
      for (int t = 1; t < T && XSW > 0; ++t)
        xs[sl][t] = m->AddReg(sname(vast::Name("x_value" + suffix + "_t", t), sl), Type::SBits(XSW));
    }
    return xs;
  };
  OperandSet xv = operand_regs("");
  OperandSet xv_b = fold_any ? operand_regs("_b") : OperandSet();
  // en0: accumulator 0 adds w * x0; from0[t] (t >= 1): accumulator t adds w * x0, not w * x_t
  // (one routing for every slice: they read the same tensor)
  LogicRef* en0 = nullptr;
  std::vector<LogicRef*> from0(static_cast<size_t>(T), nullptr);
  // broadcast routing: only where a dynamic stage reads a static tensor
  const bool any_static = w.any_static_in_dynamic;
  bool any_serial = false;
  for (int ti = 0; ti < w.NT; ++ti) {
    if (p.bank_of[ti] < 0) continue;
    if (w.steps[ti] > 1 && !p.batched[ti]) any_serial = true;
  }
  if (any_serial) en0 = m->AddReg("x_en_t0", Type::Bits(1));
  for (int t = 1; t < T && (any_serial || any_static); ++t) from0[t] = m->AddReg(vast::Name("x_from0_t", t), Type::Bits(1));
  // the operand decode of one read port (second: xv_b from rdq_b where the bank has the port,
  // zero outside the second column's window; the routing is decoded once, with the first)
  auto operand_decode = [&](const OperandSet& xs, bool second) {
    Block* b = m->AddAlwaysComb();
    for (int sl = 0; sl < S; ++sl)
      for (int t = 0; t < T; ++t)
        if (xs[sl][t]) b->Blocking(xs[sl][t], c.SL(opw(sl, t), 0));
    if (!second) {
      if (en0) b->Blocking(en0, c.L(1, 1));
      for (int t = 1; t < T; ++t)
        if (from0[t]) b->Blocking(from0[t], c.L(1, 0));
    }
    Case* cs = b->AddCase(p1b.src.q);
    for (int ti = 0; ti < w.NT; ++ti) {
      if (p.bank_of[ti] < 0) continue;
      const QTensor& qt = q.tensors[ti];
      const int bits = qt.bits(), st = w.steps[ti];
      const int spw = p.steps_per_word[ti], nw = p.words_per_value[ti];
      Block* it = cs->AddItem({c.L(w.TIDW, ti)});
      // (without a sub counter every value is one word: only an unread tensor gets here)
      auto is_word = [&](int j) { return w.any_sub ? f.Eq(p1b.sub.q, c.L(w.SUBW, j)) : c.L(1, j == 0 ? 1 : 0); };
      for (int sl = 0; sl < S; ++sl) {
        if (!used[sl][ti] && sl > 0) continue;  // no term reads this tensor's slice: stays 0
        const int bi = p.bank_of[ti];
        const Expr* r = second && tm.rd_b[bi][sl] ? tm.rdq_b[bi][sl].q : tm.rdq[bi][sl].q;
        auto field = [&](int k, int wd) {
          const Expr* v = c.bits(r, (k + 1) * bits - 1, k * bits);
          return qt.is_signed() ? c.sext(v, wd, "xval") : f.Signed(f.ZeroExtend(c.ref(v, "xval"), wd));
        };
        if (st == 1 || !p.batched[ti]) {  // static, or one step per word and cycle: the wide product
          it->Blocking(xs[sl][0], field(0, XW));
        } else {  // batched: the word's steps on their own products
          for (int t = 0; t < T; ++t) {
            const int wd = opw(sl, t);
            const Expr* v = field(t % spw, wd);
            it->Blocking(xs[sl][t], nw > 1 ? f.Ternary(is_word(t / spw), v, c.SL(wd, 0)) : v);
          }
        }
      }
      if (second) continue;
      if (st == 1) {
        // (a static stage uses accumulator 0 for every step: no broadcast needed)
        for (int t = 1; t < T; ++t)
          if (from0[t]) it->Blocking(from0[t], c.L(1, 1));
      } else if (!p.batched[ti]) {
        it->Blocking(en0, is_word(0));
        for (int t = 1; t < T; ++t) it->Blocking(from0[t], is_word(t));
      }
    }
    // outside the window: zero padding
    If* z = b->AddIf(f.LogicalNot(second ? p1b.inr_b.q : p1b.inr.q));
    for (int sl = 0; sl < S; ++sl)
      for (int t = 0; t < T; ++t)
        if (xs[sl][t]) z->then_block()->Blocking(xs[sl][t], c.SL(opw(sl, t), 0));
  };
  operand_decode(xv, false);
  if (fold_any) operand_decode(xv_b, true);
  // The operands and each lane's weight are registered (x_sel*, w_sel_l*): the bank / word /
  // diagonal muxes and the multiplier would otherwise share one cycle, which was the ECP5
  // critical path (45.8 MHz at 4 lanes).
  Register p2_valid = c.delay("p2_valid", 1, p1b.valid.q);
  Register p2_first = c.delay("p2_first", 1, p1b.first.q);
  using SelSet = std::vector<std::vector<Register>>;
  auto select_regs = [&](const OperandSet& xs, const std::string& suffix) {
    SelSet xr(static_cast<size_t>(S), std::vector<Register>(static_cast<size_t>(T)));
    for (int sl = 0; sl < S; ++sl)
      for (int t = 0; t < T; ++t) {
        if (!xs[sl][t]) continue;
        xr[sl][t] = c.sreg(sname(t == 0 ? "x_sel" + suffix : vast::Name("x_sel" + suffix + "_t", t), sl), opw(sl, t));
        m->AddAlwaysComb()->Blocking(xr[sl][t].d, xs[sl][t]);
      }
    return xr;
  };
  const SelSet x_sel = select_regs(xv, "");
  const SelSet x_sel_b = fold_any ? select_regs(xv_b, "_b") : SelSet();
  // lane l's operand set: the second column's in the upper half of the lanes
  auto upper = [&](int l) { return fold_any && l >= Ln / 2; };
  Register en0_q{};
  if (en0) en0_q = c.delay("x_en_t0_q", 1, en0);
  std::vector<Register> from0_q(static_cast<size_t>(T));
  for (int t = 1; t < T; ++t)
    if (from0[t]) from0_q[t] = c.delay(vast::Name("x_from0_q_t", t), 1, from0[t]);
  // w_sel[l][s]: lane l's weight for slice s (ROM field l*simd + s, or the sum pool's diagonal)
  std::vector<std::vector<Register>> w_sel(static_cast<size_t>(Ln), std::vector<Register>(static_cast<size_t>(S)));
  for (int l = 0; l < Ln; ++l)
    for (int sl = 0; sl < S; ++sl) {
      const int fi = l * S + sl;
      const Expr* wrom_l = c.bits(wm.w_qq.q, (fi + 1) * WB - 1, fi * WB);
      if (w.any_diag)
        wrom_l = f.Ternary(p1b.dsel.q,
                           f.Ternary(Ln * S == 1 ? static_cast<const Expr*>(p1b.diag.q) : f.Index(p1b.diag.q, fi),
                                     c.L(WB, 1), c.L(WB, 0)),
                           wrom_l);
      w_sel[l][sl] = c.delay(sname(vast::Name("w_sel_l", l), sl), WB, wrom_l);
    }
  // x_lane[l][s][t]: lane l's operand of slice s and step t (nullptr where the step has none)
  std::vector<std::vector<std::vector<const Expr*>>> x_lane(
      static_cast<size_t>(Ln), std::vector<std::vector<const Expr*>>(static_cast<size_t>(S), std::vector<const Expr*>(static_cast<size_t>(T))));
  if (p.operand_copies()) {
    // One more register stage: each lane copies the shared operands (x_copy_l*, a route with
    // no logic in front of it) and everything else waits one cycle with them (HwPlan::drain).
    std::vector<std::vector<int>> lo(static_cast<size_t>(S), std::vector<int>(static_cast<size_t>(T), 0));
    int wd = 0;
    for (int sl = 0; sl < S; ++sl)
      for (int t = 0; t < T; ++t)
        if (xv[sl][t]) lo[sl][t] = wd, wd += *x_sel[sl][t].q->width();
    auto concat = [&](const SelSet& xr, const std::string& hint) {
      std::vector<const Expr*> parts;  // slice-major, step 0 of slice 0 in the low bits
      for (int sl = S - 1; sl >= 0; --sl)
        for (int t = T - 1; t >= 0; --t)
          if (xv[sl][t]) parts.push_back(xr[sl][t].q);
      return parts.size() == 1 ? parts[0] : c.ref(f.Concat(parts), hint);
    };
    const Expr* xcat = concat(x_sel, "x_cat");
    const Expr* xcat_b = fold_any ? concat(x_sel_b, "x_cat_b") : nullptr;
    Module* xm = declare_lane_copy(c, "sdm_accel_xcopy", wd, "the MAC array's registered operands");
    for (int l = 0; l < Ln; ++l) {
      LogicRef* xq = m->AddWire(vast::Name("x_copy_l", l), Type::Bits(wd));
      m->AddInstance(xm, vast::Name("u_xcopy_l", l), {},
                     {{"clk_i", c.clk}, {"rst_ni", c.rst}, {"d_i", upper(l) ? xcat_b : xcat}, {"q_o", xq}});
      for (int sl = 0; sl < S; ++sl) {
        for (int t = 0; t < T; ++t)
          if (xv[sl][t])
            x_lane[l][sl][t] =
                m->AddWireAssign(sname(vast::Name("x_sel_l", l, "t", t), sl),
                                 f.Signed(c.bits(xq, lo[sl][t] + *x_sel[sl][t].q->width() - 1, lo[sl][t])));
        w_sel[l][sl] = c.delay(sname(vast::Name("w_copy_l", l), sl), WB, w_sel[l][sl].q);
      }
    }
    p2_valid = c.delay("p2c_valid", 1, p2_valid.q);
    p2_first = c.delay("p2c_first", 1, p2_first.q);
    if (en0) en0_q = c.delay("x_en_t0_c", 1, en0_q.q);
    for (int t = 1; t < T; ++t)
      if (from0[t]) from0_q[t] = c.delay(vast::Name("x_from0_c_t", t), 1, from0_q[t].q);
  } else {
    for (int l = 0; l < Ln; ++l)
      for (int sl = 0; sl < S; ++sl)
        for (int t = 0; t < T; ++t) x_lane[l][sl][t] = xv[sl][t] ? (upper(l) ? x_sel_b : x_sel)[sl][t].q : nullptr;
  }
  // pipeline stage 3: multiply per lane and slice (the routing bits travel along)
  Register p3_valid = c.delay("p3_valid", 1, p2_valid.q);
  Register p3_first = c.delay("p3_first", 1, p2_first.q);
  Register en0_3{};
  if (en0) en0_3 = c.delay("x_en_t0_p3", 1, en0_q.q);
  std::vector<Register> from0_3(static_cast<size_t>(T));
  for (int t = 1; t < T; ++t)
    if (from0[t]) from0_3[t] = c.delay(vast::Name("x_from0_p3_t", t), 1, from0_q[t].q);
  std::vector<std::vector<std::vector<Register>>> prod(
      static_cast<size_t>(Ln), std::vector<std::vector<Register>>(static_cast<size_t>(S), std::vector<Register>(static_cast<size_t>(T))));
  for (int l = 0; l < Ln; ++l)
    for (int sl = 0; sl < S; ++sl) {
      const std::string ln = sname(vast::Name("prod_l", l), sl);
      if (wide[sl]) {
        Register pr = c.sreg(ln, PRW);
        const Expr* wl = c.sext(w_sel[l][sl].q, PRW, vast::Name("w_l", l));
        m->AddAlwaysComb()->Blocking(pr.d, f.Mul(wl, c.sext(x_lane[l][sl][0], PRW, "x_ext")));
        prod[l][sl][0] = pr;
      }
      for (int t = wide[sl] ? 1 : 0; t < T; ++t) {
        if (!xv[sl][t]) continue;
        Register ps = c.sreg(S > 1 ? vast::Name(ln, "t", t) : vast::Name("prod_l", l, "t", t), PSW);
        m->AddAlwaysComb()->Blocking(ps.d, shift_add_product(c, w_sel[l][sl].q, x_lane[l][sl][t], PSW,
                                                             sname(vast::Name("sa_l", l, "t", t), sl)));
        prod[l][sl][t] = ps;
      }
    }
  // stage 4: accumulate; the group's first product starts every step's sum from the bias.
  // The bias word is registered (and its address, accel_weight_mem.cc): (stage, group) hold
  // from S_NEXT to the group's end, and the first product arrives 5 cycles after its issue,
  // so the bias ROM's decode is off the accumulator path (the UP5K's critical path when the
  // bias was loaded at issue).
  Register bias_q = c.delay("bias_q", *wm.bias_word->width(), wm.bias_word);
  MacPorts mac;
  mac.acc.assign(size_t(Ln), std::vector<Register>(size_t(T)));
  auto to_acc = [&](const Register& pr) {
    const int pw = *pr.q->width();
    return pw <= ACC ? c.sext(pr.q, ACC, "prod_ext") : f.Signed(f.Slice(pr.q, ACC - 1, 0));
  };
  // term(l, s, t): what slice s of lane l adds into accumulator t (modulo 2^ACC: the sum is
  // exact whenever the final current fits ACC bits, as stored_widths guarantees)
  auto term = [&](int l, int sl, int t) -> const Expr* {
    const Expr* p0 = to_acc(prod[l][sl][0]);
    if (t == 0) return en0 ? f.Ternary(en0_3.q, p0, c.SL(ACC, 0)) : p0;
    const Expr* own = xv[sl][t] ? to_acc(prod[l][sl][t]) : c.SL(ACC, 0);
    return from0[t] ? f.Ternary(from0_3[t].q, p0, own) : own;
  };
  // simd > 1: stage 3b sums the slices' terms (a balanced adder tree, registered: HwPlan::drain)
  Register acc_valid = p3_valid, acc_first = p3_first;
  std::vector<std::vector<const Expr*>> add(static_cast<size_t>(Ln), std::vector<const Expr*>(static_cast<size_t>(T)));
  for (int l = 0; l < Ln; ++l)
    for (int t = 0; t < T; ++t) {
      if (S == 1) {
        add[l][t] = term(l, 0, t);
        continue;
      }
      std::vector<const Expr*> level;
      for (int sl = 0; sl < S; ++sl) level.push_back(term(l, sl, t));
      while (level.size() > 1) {
        std::vector<const Expr*> next;
        for (size_t i = 0; i + 1 < level.size(); i += 2) next.push_back(f.Add(level[i], level[i + 1]));
        if (level.size() % 2) next.push_back(level.back());
        level = std::move(next);
      }
      Register ps = c.sreg(vast::Name("psum_l", l, "t", t), ACC);
      m->AddAlwaysComb()->Blocking(ps.d, level[0]);
      add[l][t] = ps.q;
    }
  if (S > 1) {
    acc_valid = c.delay("p3b_valid", 1, p3_valid.q);
    acc_first = c.delay("p3b_first", 1, p3_first.q);
  }
  for (int l = 0; l < Ln; ++l) {
    for (int t = 0; t < T; ++t) {
      Register ac = c.sreg(vast::Name("acc_l", l, "t", t), ACC);
      Block* b = m->AddAlwaysComb();
      b->Blocking(ac.d, ac.q);
      const Expr* base = f.Ternary(acc_first.q, f.Signed(f.Slice(bias_q.q, (l + 1) * ACC - 1, l * ACC)), ac.q);
      b->AddIf(acc_valid.q)->then_block()->Blocking(ac.d, f.Add(base, add[l][t]));
      mac.acc[l][t] = ac;
    }
  }
  // the output buffer: the finished currents of a group, taken at the hand-off (S_NEXT), so
  // the output unit feeds and writes them back while the accumulators fill with the next
  // group's products. Without overlap (--no-overlap, or no stage that may: each writes a bank
  // it reads) every group is held (the synapse side waits in S_NEXT until the write-back is
  // done), so the accumulators stay put and are read directly.
  if (!c.p.any_overlap()) {
    mac.obuf = mac.acc;
    return mac;
  }
  mac.obuf.assign(size_t(Ln), std::vector<Register>(size_t(T)));
  for (int l = 0; l < Ln; ++l)
    for (int t = 0; t < T; ++t) {
      Register ob = c.sreg(vast::Name("obuf_l", l, "t", t), ACC);
      Block* b = m->AddAlwaysComb();
      b->Blocking(ob.d, ob.q);
      b->AddIf(ctl.handoff)->then_block()->Blocking(ob.d, mac.acc[l][t].q);
      mac.obuf[l][t] = ob;
    }
  return mac;
}

}  // namespace sdm::accel
