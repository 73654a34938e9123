// Tensor memories and banking: the lane slots (the write-back buffer the neuron array
// fills), one single-ported memory per bank of the plan (pixel stream and write-back in,
// read pipeline out), and the bank read registers of pipeline stages 1 and 1b.
#include "rtl_gen/accel_blocks.h"

namespace sdm::accel {

using namespace vast;

TensorMemPorts build_tensor_memories(BuildCtx& c, const AccelIo& io, const ControllerPorts& ctl,
                                     const AddrGenPorts& ag, const ReadStage0& rs0) {
  const AccelWidths& w = c.w;
  const QNet& q = c.q;
  const HwPlan& p = c.p;
  VerilogFile& f = c.f;
  Module* m = c.m;
  const int Ln = w.Ln, T = w.T;
  TensorMemPorts tm;
  // lane slots written by the output unit; the write-back reads lane wb (and step wb_t)
  tm.slot.assign(size_t(Ln), std::vector<LogicRef*>(size_t(T)));
  for (int l = 0; l < Ln; ++l)
    for (int t = 0; t < T; ++t) tm.slot[l][t] = m->AddReg(vast::Name("slot_l", l, "t", t), Type::Bits(w.slot_w[t]));
  tm.sel_slot.assign(size_t(T), nullptr);
  for (int t = 0; t < T; ++t) {
    tm.sel_slot[t] = m->AddReg(vast::Name("wb_slot_t", t), Type::Bits(w.slot_w[t]));
    Block* b = m->AddAlwaysComb();
    b->Blocking(tm.sel_slot[t], tm.slot[0][t]);
    if (Ln > 1) {
      Case* cs = b->AddCase(ctl.wb.q);
      for (int l = 1; l < Ln; ++l) cs->AddItem({c.L(w.LNW, l)})->Blocking(tm.sel_slot[t], tm.slot[l][t]);
    }
  }

  // tensor memory banks: single-ported (one address: the write-back's or the read's), so
  // Yosys maps large ones to iCE40 SPRAM and the rest to EBR / ECP5 DP16KD
  const int NB = int(p.banks.size());
  const int S = p.simd, SB = clog2(S);
  tm.rd.assign(size_t(NB), std::vector<LogicRef*>(size_t(S), nullptr));
  tm.rd_b.assign(size_t(NB), std::vector<LogicRef*>(size_t(S), nullptr));
  // the banks a folded stage reads get a second read port (the second column's operands)
  std::vector<char> port_b(size_t(NB), 0);
  for (const HwTerm& t : p.terms)
    if (p.stages[t.stage].fold) port_b[size_t(p.bank_of[t.src])] = 1;
  tm.tw_data.assign(size_t(w.NT), nullptr);
  tm.memmap = nlohmann::json::array();
  for (int bi = 0; bi < NB; ++bi) {
    const HwPlan::Bank& bk = p.banks[bi];
    const int aw = clog2(bk.depth), W = bk.width;
    std::string bname = vast::Name("bank", bi);
    for (int ti : bk.tensors) bname = vast::Name(bname, "t", ti);
    if (bname.size() > 40) bname = vast::Name("bank", bi, "shared");
    // simd > 1: one memory per slice (channel mod simd), one read address for all. Slices 1..
    // are as wide as the widest tensor word read through them (the bank's widest tensor may
    // have fewer channels than the slice index); a slice no term reads (width 0: every reader
    // has at most sl input channels, e.g. the one-channel pixels) is not built, what is
    // written there being never used.
    std::vector<int> sw(static_cast<size_t>(S), 0);
    sw[0] = W;
    for (int sl = 1; sl < S; ++sl)
      for (int ti : bk.tensors)
        if (w.slice_reads[sl][ti]) sw[sl] = std::max(sw[sl], w.wordw[ti]);
    auto live = [&](int sl) { return sw[size_t(sl)] > 0; };
    std::vector<LogicRef*> mem(static_cast<size_t>(S), nullptr);
    for (int sl = 0; sl < S; ++sl) {
      if (!live(sl)) continue;
      const std::string sn = S > 1 ? vast::Name(bname, "s", sl) : bname;
      mem[sl] = m->AddMemory(vast::Name("mem", sn), Type::Bits(sw[sl]), int(bk.depth));
      tm.rd[bi][sl] = m->AddReg(vast::Name("rd", sn), Type::Bits(sw[sl]));
      if (port_b[bi]) tm.rd_b[bi][sl] = m->AddReg(vast::Name("rd_b", sn), Type::Bits(sw[sl]));
    }
    LogicRef* wsl = S > 1 ? m->AddReg(vast::Name("wsl", bname), Type::Bits(SB)) : nullptr;
    LogicRef* we = m->AddReg(vast::Name("we", bname), Type::Bits(1));
    LogicRef* wa = m->AddReg(vast::Name("wa", bname), Type::Bits(aw));
    LogicRef* wd = m->AddReg(vast::Name("wd", bname), Type::Bits(W));
    nlohmann::json members = nlohmann::json::array();
    {
      Block* b = m->AddAlwaysComb();
      b->Blocking(we, c.L(1, 0));
      b->Blocking(wa, c.L(aw, 0));
      b->Blocking(wd, c.L(W, 0));
      if (wsl) b->Blocking(wsl, c.L(SB, 0));
      for (int ti : bk.tensors) {
        const QTensor& qt = q.tensors[ti];
        const int bits = qt.bits(), st = w.steps[ti];
        const int spw = p.steps_per_word[ti], nw = p.words_per_value[ti];
        members.push_back({{"tensor", ti}, {"name", qt.name}, {"base", p.bank_base[ti]},
                           {"words", long((qt.shape.c + S - 1) / S) * qt.shape.plane() * nw}, {"steps_per_word", spw}, {"words_per_value", nw},
                           {"read", st == 1 ? "static" : p.batched[ti] ? "batched" : "one step per cycle"},
                           {"value_bits", bits}, {"steps", st}, {"signed", qt.is_signed()},
                           {"shape", {qt.shape.c, qt.shape.f, qt.shape.h, qt.shape.w}}});
        if (ti == 0) {  // pixels from the input stream
          If* i = b->AddIf(ctl.pix_hs);
          i->then_block()->Blocking(we, c.L(1, 1));
          i->then_block()->Blocking(wa, f.Add(c.L(aw, p.bank_base[0]), ctl.pix_word(aw)));
          if (wsl && ctl.pix_slice) i->then_block()->Blocking(wsl, ctl.pix_slice);
          i->then_block()->Blocking(wd, c.resize_u(io.pix_data, W));
          continue;
        }
        // word j of a value: steps j*spw .. j*spw + spw - 1, the first in the low bits
        auto word_data = [&](int j) -> const Expr* {
          std::vector<const Expr*> parts;
          for (int t = std::min(st, (j + 1) * spw) - 1; t >= j * spw; --t)
            parts.push_back(c.bits(tm.sel_slot[t], bits - 1, 0));
          return parts.size() == 1 ? parts[0] : f.Concat(parts);
        };
        const int ww = std::min(st, spw) * bits;
        const Expr* data = word_data(0);
        for (int j = 1; j < nw; ++j)
          data = f.Ternary(f.Eq(ctl.wbt.q, c.L(w.WBTW, j)), c.resize_u(word_data(j), ww), c.resize_u(data, ww));
        tm.tw_data[ti] = m->AddWireAssign(vast::Name("wdata_t", ti), data);
        // modulo 2^aw: the word address of a valid write is below the bank depth
        const Expr* word = nw > 1 ? f.Add(c.mulc(c.resize_u(ag.sd_vaddr, aw), nw, false), c.resize_u(ctl.wbt.q, aw))
                                  : c.resize_u(ag.sd_vaddr, aw);
        If* i = b->AddIf(f.LogicalAnd(is_ostate(c, ctl, O_WB), f.Eq(ag.sd_out, c.L(w.TIDW, ti))));
        i->then_block()->Blocking(we, c.L(1, 1));
        i->then_block()->Blocking(wa, f.Add(c.L(aw, p.bank_base[ti]), word));
        i->then_block()->Blocking(wd, c.resize_u(tm.tw_data[ti], W));
        if (wsl) i->then_block()->Blocking(wsl, ag.sd_slice);
      }
    }
    // Writes are registered and land one cycle late: the write-back address arithmetic
    // (((ch*F + fo)*H + ho)*W + wo) then ends in a flop instead of at the block RAM's
    // address pins (the ECP5 critical path). No read is in flight then: the last write-back
    // lands in S_NEXT, the next read reaches the memory two cycles later; the last pixel
    // lands in the first S_SYN cycle, its read one cycle later.
    Register we_r = c.delay(vast::Name("we_r", bname), 1, we);
    Register wa_r = c.delay(vast::Name("wa_r", bname), aw, wa);
    Register wd_r = c.delay(vast::Name("wd_r", bname), W, wd);
    LogicRef* addr =
        m->AddWireAssign(vast::Name("addr", bname), f.Ternary(we_r.q, wa_r.q, c.resize_u(rs0.bank_addr.q, aw)));
    Register wsl_r{};
    if (wsl) wsl_r = c.delay(vast::Name("wsl_r", bname), SB, wsl);
    // "no change" read port: the read register holds during a write (SPRAM semantics);
    // the datapath never reads while the write-back runs. Every slice sees the write's
    // address; only the written slice stores.
    for (int sl = 0; sl < S; ++sl) {
      if (!live(sl)) continue;
      Block* b = m->AddAlwaysFf(c.clk);
      If* i = b->AddIf(we_r.q);
      if (wsl) {
        If* wi = i->then_block()->AddIf(f.Eq(wsl_r.q, c.L(SB, sl)));
        wi->then_block()->Nonblocking(f.Index(mem[sl], addr), c.bits(wd_r.q, sw[sl] - 1, 0));
      } else {
        i->then_block()->Nonblocking(f.Index(mem[sl], addr), wd_r.q);
      }
      i->Else()->Nonblocking(tm.rd[bi][sl], f.Index(mem[sl], addr));
      // the second port only reads (block RAM true dual port) and, like the first, holds while
      // the bank is written (no read is in flight then): a read beside the write would have to
      // see the old word (Verilog's read-first), which DP16KD does not promise across ports, and
      // Yosys emulates it by doubling the memory (4 DP16KD instead of 2 for a 2048 x 16 slice,
      // 127 instead of 94 for the ULX3S pick) plus bypass flip-flops
      if (port_b[bi]) {
        If* rb = c.m->AddAlwaysFf(c.clk)->AddIf(f.LogicalNot(we_r.q));
        rb->then_block()->Nonblocking(tm.rd_b[bi][sl], f.Index(mem[sl], c.resize_u(rs0.bank_addr_b.q, aw)));
      }
    }
    nlohmann::json mems = nlohmann::json::array();
    for (int sl = 0; sl < S; ++sl)
      if (live(sl)) mems.push_back(S > 1 ? vast::Name("mem", bname, "s", sl) : vast::Name("mem", bname));
    const long slices = long(mems.size());
    long bits = 0;
    nlohmann::json slice_bits = nlohmann::json::array();
    for (int sl = 0; sl < S; ++sl)
      if (live(sl)) bits += long(sw[sl]) * bk.depth, slice_bits.push_back(sw[sl]);
    tm.memmap.push_back({{"bank", bi}, {"memory", vast::Name("mem", bname)}, {"slices", slices},
                         {"read_ports", port_b[bi] ? 2 : 1},
                         {"slice_memories", mems}, {"slice_word_bits", slice_bits}, {"depth", bk.depth},
                         {"word_bits", W}, {"bits", bits},
                         {"tensors", members}});
  }

  // pipeline stage 1b: the memory outputs are registered once more before any logic (block
  // RAM clock-to-out is ~5.6 ns on the ECP5 and the banks sit far from the datapath)
  tm.rdq.assign(size_t(NB), std::vector<Register>(size_t(S)));
  tm.rdq_b.assign(size_t(NB), std::vector<Register>(size_t(S)));
  for (int bi = 0; bi < NB; ++bi)
    for (int sl = 0; sl < S; ++sl) {
      if (tm.rd[bi][sl])
        tm.rdq[bi][sl] = c.delay(S > 1 ? vast::Name("rdq_bank", bi, "s", sl) : vast::Name("rdq_bank", bi),
                                 *tm.rd[bi][sl]->width(), tm.rd[bi][sl]);
      if (tm.rd_b[bi][sl])
        tm.rdq_b[bi][sl] = c.delay(S > 1 ? vast::Name("rdq_b_bank", bi, "s", sl) : vast::Name("rdq_b_bank", bi),
                                   *tm.rd_b[bi][sl]->width(), tm.rd_b[bi][sl]);
    }
  return tm;
}

}  // namespace sdm::accel
