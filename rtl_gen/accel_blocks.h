// The builders of `sdm_accel` (docs/architecture.md, "Block diagram"): one per RTL block,
// each in its own file, each taking the validated plan (through BuildCtx) and the ports of
// the blocks it reads, and returning its own ports. generate_accelerator (accel_gen.cc)
// only wires them, in the order of the read pipeline (address -> memory read -> read
// register -> operand select -> multiply -> accumulate -> neuron -> write-back); a block
// with registers in several pipeline stages has one function per stage.
//
// Internal to rtl_gen: nothing outside the generator includes this header.
#pragma once

#include <functional>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "rtl_gen/accel_gen.h"
#include "rtl_gen/vast.h"

namespace sdm::accel {

using vast::Block;
using vast::Expr;
using vast::LogicRef;
using vast::Module;
using vast::Register;
using vast::VerilogFile;

int clog2(long n);  // bits to index n items (>= 1)
int ubits(long v);  // bits to hold 0..v (>= 1)

// Every width and derived constant of the design, computed once from the plan.
struct AccelWidths {
  int Ln = 1, T = 1, WB = 1, NS = 0, NR = 0, NT = 0, K = 1;
  int STW = 1, RW = 1, TIDW = 1, FW = 1, HW = 1, WW = 1, GW = 1, TW = 1, CIW = 1;
  int KTW = 1, KHW = 1, KWW = 1, CW = 1, AWID = 1, CHW = 1, LNW = 1;
  int XW = 1, PRW = 1, ACC = 1, NW = 2, NPW = 1, NACC = 1, NF = 0, LW = 1, CLW = 1;
  long WDEPTH = 512, BDEPTH = 1;  // ROM depths (weight ROM padded to whole block RAMs)
  int WAW = 1, BAW = 1;
  int TDW = 8;        // trace data width: the widest tensor word
  // Lane slot width per step: the widest value a non-readout stage stores for that step
  // (a static tensor only in step 0). No wider: an unread slot bit fails verilator -Wall
  // (opt spikes 0..1 in 1 bit; a static pixel pool's wide sum only in step 0).
  std::vector<int> slot_w;
  int BX = 1;         // bank address bits (largest bank)
  int AX = 1, WX = 1; // read address arithmetic widths (tensor bank, weight ROM)
  int DRW = 1;        // drain counter
  int RCB = 8;        // result beat: class field bits (CLW rounded up to bytes)
  int RDW = 8;        // result beat: m_axis_tdata width (class, K logits, byte-padded)
  long clip = 1;      // pixels per clip
  int PAW = 1;        // pixel address
  bool any_diag = false, any_rom = false;
  // a stage with per-step input reads a static tensor: its T accumulators all add w * x0
  bool any_static_in_dynamic = false;
  bool any_static_stage = false;
  bool any_sub = false;         // some term reads several words per synapse (counter `sub`)
  int SUBW = 1;                 // sub-read counter width
  bool any_multi_word = false;  // some written tensor has several words per value (`wb_t`)
  int WBTW = 1;                 // write-back word counter width
  int XSW = 0;                  // step operands of the shift-add products (0: none, T = 1)
  std::vector<int> steps, wordw;  // per tensor: stored steps, bits of one tensor word
  // simd slices (HwPlan::simd): slice_reads[s][t] some term reading tensor t has more than s
  // input channels (slice s carries data); wide[s]: slice s's step-0 product is the wide
  // multiplier (it reads a static or one-step-per-cycle tensor; slice 0 always), else a
  // shift-add like the other steps
  std::vector<std::vector<char>> slice_reads;
  std::vector<char> wide;
  int wide_slices = 1;
};
AccelWidths accel_widths(const QNet& q, const HwPlan& p);

// The module under construction and the helpers every builder uses.
struct BuildCtx {
  const QNet& q;
  const HwPlan& p;
  const AccelWidths& w;
  VerilogFile f;
  Module* m = nullptr;
  LogicRef *clk = nullptr, *rst = nullptr;
  int tmp_id = 0;  // numbering of helper wires (one sequence per module)

  BuildCtx(const QNet& q_, const HwPlan& p_, const AccelWidths& w_) : q(q_), p(p_), w(w_) {}

  const Expr* L(int wd, long v) { return f.Lit(wd, uint64_t(v)); }
  const Expr* SL(int wd, long v) { return f.SLit(wd, v); }
  Register reg(const std::string& name, int wd, long reset = 0, bool d_reg = true);
  // A signed register with reset 0 and `d` a reg.
  Register sreg(const std::string& name, int wd);
  // A reference for `e` (selects and extensions need one): `e` itself or a new wire.
  const Expr* ref(const Expr* e, const std::string& hint);
  // two's-complement value `e` sign-extended to wd bits, as a signed expression
  const Expr* sext(const Expr* e, int wd, const std::string& hint);
  // e[hi:lo], or e itself when that is all of it (a 1-bit signal has no range to select)
  const Expr* bits(const Expr* e, int hi, int lo);
  // x times a non-negative constant, modulo 2^width(x), as shifts and adds: constant
  // products must not become DSP multipliers (the UP5K has 8, the lanes need them).
  const Expr* mulc(const Expr* x, long c, bool sgn);
  // A pipeline register: q is `src` one cycle later.
  Register delay(const std::string& name, int wd, const Expr* src);
  // unsigned value `e` resized to wd bits (zero-extend or truncate)
  const Expr* resize_u(const Expr* e, int wd);
};

// A module holding one lane's copy of a register (`name`, wd bits: q_o is d_i one cycle
// later), kept as a hierarchy of its own: Yosys merges identical flip-flops (same D, clock and
// reset) even under (* keep *), but not across instances of a module it keeps
// (keep_hierarchy), so nextpnr can place each copy next to its lane. Declared once per name.
Module* declare_lane_copy(BuildCtx& c, const std::string& name, int wd, const std::string& what);

// ---- top-level interface (accel_gen.cc) ---------------------------------------------
// Pixel stream in (s_axis_*), result stream out (m_axis_*: one beat per clip), control,
// counters, trace port (docs/architecture.md, "Interface").
struct AccelIo {
  LogicRef *pix_valid, *pix_ready, *pix_data, *pix_last;
  LogicRef *start, *busy, *done;
  LogicRef *res_valid, *res_ready, *res_data, *res_last;
  LogicRef *cnt_sel, *cnt_val;
  LogicRef *tr_valid, *tr_tensor, *tr_addr, *tr_data, *tr_step, *tr_nsteps;
  LogicRef *tn_valid, *tn_stage, *tn_t, *tn_v, *tn_m, *tn_lane;
};

// ---- controller (accel_controller.cc) -----------------------------------------------
// The synapse side: issue the group's reads (S_SYN), drain the read pipeline (S_DRAIN), hand
// the finished currents to the output unit and advance the loop counters (S_NEXT).
enum State { S_IDLE = 0, S_SYN, S_DRAIN, S_NEXT, S_DONE, S_ARG };
constexpr int kStateW = 3;
// The output unit: feeds a handed-off group's currents to the neurons or the logits (O_OUT),
// waits for the neuron pipeline (O_WAIT) and writes the group's words back (O_WB), while the
// synapse side already runs the next group (docs/architecture.md, "Schedule and cycles").
enum OutState { O_IDLE = 0, O_OUT, O_WAIT, O_WB };
constexpr int kOutStateW = 2;
struct ControllerPorts {
  // synapse side: state, stage and group counters, synapse counters
  Register state, stage, fo, ho, wo, cg, rr, ci, dt, dh, dw, drain;
  // output unit: its state, the group it works on (latched at the hand-off), step, lane and
  // word counters
  Register ostate, ostage, ocg, ofo, oho, owo, tt, wait, wb;
  Register handed;                 // S_NEXT: this group was handed off, waiting for the unit
  // look-ahead (HwPlan::lookahead): a group whose hand-off is pending while the next one's
  // reads run, the cycles since its last read, and its coordinates for the output unit
  Register la_pend{}, la_cnt{}, pend_stage{}, pend_cg{}, pend_fo{}, pend_ho{}, pend_wo{};
  LogicRef* handoff = nullptr;     // this cycle the accumulators go to the output buffer
  Register sub{};  // word of the source value within a synapse (any_sub)
  Register wbt{};  // word of the output value being written back (any_multi_word)
  Register syn_first, out_gap, pix_addr, cls, done;
  // the pixel's word in its memory slice and the slice (channel mod simd; nullptr: slice 0)
  Register pix_ch{}, pix_r{};
  std::function<const Expr*(int)> pix_word;  // at a given width
  const Expr* pix_slice = nullptr;
  Register res_taken;            // the result beat of this run was taken (m_axis handshake)
  const Expr* in_syn = nullptr;  // state == S_SYN: one synapse issued this cycle
  const Expr* ready = nullptr;   // idle or done: not running
  LogicRef* accept = nullptr;    // not running and no result beat pending: a clip is accepted
  const Expr* pix_hs = nullptr;  // pixel handshake
  LogicRef* start = nullptr;     // run_start: tlast accepted or start_i while accepting
};
const Expr* is_state(BuildCtx& c, const ControllerPorts& ctl, State s);
const Expr* is_ostate(BuildCtx& c, const ControllerPorts& ctl, OutState s);
// State and loop-counter registers, both stream handshakes and busy/done.
ControllerPorts build_controller(BuildCtx& c, const AccelIo& io);

// ---- address generator (accel_addrgen.cc) -------------------------------------------
struct AddrGenPorts {
  // row decode (per datapath row): loop bounds, read addresses, sum-pool diagonal
  LogicRef *td_last_dw, *td_last_dh, *td_last_dt, *td_last_ci, *td_inr, *td_src;
  // the second column's in-range flag (HwPlan::any_fold; = td_inr in a row that is not folded)
  LogicRef* td_inr_b = nullptr;
  LogicRef* td_last_sub = nullptr;  // any_sub
  LogicRef *td_fi, *td_hi, *td_wi;  // input coordinate (unsigned; out-of-range ones are flagged by td_inr)
  LogicRef* td_wi_b = nullptr;       // the second column's input column (HwPlan::any_fold)
  LogicRef *td_waddr, *td_wbase;
  LogicRef *td_diag = nullptr, *td_dsel = nullptr;
  Register row_off;
  // stage decode of the synapse side (stage, cg, fo, ho, wo): loop bounds, bias address and
  // whether the output unit may run during the next group (sd_overlap)
  LogicRef *sd_last_r, *sd_first_r, *sd_next_r;
  LogicRef *sd_last_cg, *sd_last_wo, *sd_last_ho, *sd_last_fo, *sd_last_stage, *sd_baddr, *sd_overlap;
  LogicRef* sd_lookahead = nullptr;  // HwPlan::lookahead of the stage (some stage has it)
  LogicRef* sd_fold = nullptr;       // HwStage::fold of the stage: wo steps by 2 (any_fold)
  // stage decode of the output unit (ostage, ocg, ofo, oho, owo): mode, lane bound, output
  // tensor and write-back address
  LogicRef *sd_mode, *sd_last_wb, *sd_out, *sd_last_word = nullptr, *sd_oaddr;  // sd_last_word: any_multi_word
  LogicRef* ch;  // write-back channel ocg*L + wb (folded stage: wb mod L/2)
  // folded output stage (any_fold): lane wb is in the upper half (column owo + 1), and at the
  // lower half's last channel the walk jumps to lane L/2
  LogicRef *wb_up = nullptr, *sd_wb_jump = nullptr;
  // the written value's word within its memory slice (= sd_oaddr, the value index, when
  // simd = 1) and the slice, wb mod simd (simd > 1 only)
  LogicRef* sd_vaddr = nullptr;
  LogicRef* sd_slice = nullptr;
};
AddrGenPorts build_address_generator(BuildCtx& c, const ControllerPorts& ctl);

// A read's control travels with it down the pipeline, one register bundle per stage.
struct ReadCtl {
  Register valid, first, inr, src, sub, diag, dsel;  // first: the group's first synapse
  Register inr_b;  // the second column's in-range flag (HwPlan::any_fold)
};
// Pipeline stages pa (registered coordinate) and 0 (registered read addresses), and the
// read's control at stage 0.
struct ReadStage0 {
  Register bank_addr, waddr;
  Register bank_addr_b;  // the second column's (HwPlan::any_fold; = bank_addr where not folded)
  ReadCtl ctl;
};
ReadStage0 build_read_address_stage(BuildCtx& c, const ControllerPorts& ctl, const AddrGenPorts& ag);
// The next stage's copy of a read's control (prefix p1, p1b, ...).
ReadCtl follow_read(BuildCtx& c, const std::string& pre, const ReadCtl& prev);

// ---- weight and bias memories (accel_weight_mem.cc) ---------------------------------
struct WeightMemPorts {
  LogicRef *wrom, *brom;
  LogicRef* bias_word;     // the bias word of the current (stage, group), L lanes
  LogicRef* w_q = nullptr; // stage 1: ROM read register
  Register w_qq{};         // stage 1b: registered once more
};
// ROM contents (weights.hex, bias.hex into `files`), the ROMs and the bias word.
WeightMemPorts build_weight_bias_memories(BuildCtx& c, const AddrGenPorts& ag,
                                          std::map<std::string, std::string>& files);
void build_weight_read(BuildCtx& c, WeightMemPorts& wm, const ReadStage0& rs0);      // stage 1
void build_weight_read_register(BuildCtx& c, WeightMemPorts& wm);                     // stage 1b

// ---- tensor memories and banking (accel_tensor_mem.cc) ------------------------------
struct TensorMemPorts {
  std::vector<std::vector<LogicRef*>> slot;  // [lane][step]: the write-back buffer
  std::vector<LogicRef*> sel_slot;           // [step]: lane wb's slot
  std::vector<std::vector<LogicRef*>> rd;    // [bank][slice]: read register (stage 1)
  std::vector<std::vector<Register>> rdq;    // [bank][slice]: registered once more (stage 1b)
  // the second read port's (banks a folded stage reads; nullptr / empty elsewhere)
  std::vector<std::vector<LogicRef*>> rd_b;
  std::vector<std::vector<Register>> rdq_b;
  std::vector<LogicRef*> tw_data;            // per tensor: the word it writes (nullptr: none)
  nlohmann::json memmap;                     // signature.json `memories`
};
TensorMemPorts build_tensor_memories(BuildCtx& c, const AccelIo& io, const ControllerPorts& ctl,
                                     const AddrGenPorts& ag, const ReadStage0& rs0);

// ---- MAC array (accel_mac.cc) ---------------------------------------------------------
struct MacPorts {
  std::vector<std::vector<Register>> acc;   // [lane][step]: bias + sum of products of the group
  std::vector<std::vector<Register>> obuf;  // [lane][step]: the handed-off group's currents
};
MacPorts build_mac_array(BuildCtx& c, const ControllerPorts& ctl, const ReadCtl& p1b,
                         const TensorMemPorts& tm, const WeightMemPorts& wm);

// ---- neuron array (accel_neurons.cc) --------------------------------------------------
struct NeuronPorts {
  std::vector<LogicRef*> n_o, v_o, m_o, nv;  // per lane: spike count, v, M, output valid
  // per lane: the accumulator of step t_q (acc 0 in a static stage) one cycle after its feed
  // (the feed register); with a shared neuron one entry: lane wb_q's. nullptr for lanes the
  // readout never reads (l >= K)
  std::vector<LogicRef*> acc_t;
};
// The L sd_neuron instances (rtl/sd_neuron.v), their neuron taps on the trace port, and
// the lane slots' writes (spike counts, pooled sums).
NeuronPorts build_neuron_array(BuildCtx& c, const AccelIo& io, const ControllerPorts& ctl,
                               const AddrGenPorts& ag, const MacPorts& mac, const TensorMemPorts& tm);

// ---- readout and argmax (accel_readout.cc) --------------------------------------------
// Also drives the result beat (m_axis_tdata_o: class, then the K logits).
struct ReadoutPorts {
  std::vector<Register> logit;
  Register arg_k{}, best_v{}, best_i{};  // K > 1 only
  Register arg_cur{};                    // logit[arg_k], loaded a cycle ahead
  LogicRef* arg_next = nullptr;          // logit[arg_k + 1]
};
ReadoutPorts build_readout(BuildCtx& c, const AccelIo& io, const ControllerPorts& ctl, const AddrGenPorts& ag,
                           const NeuronPorts& nrn);

// ---- trace port (accel_trace.cc) ------------------------------------------------------
void build_trace_port(BuildCtx& c, const AccelIo& io, const ControllerPorts& ctl, const AddrGenPorts& ag,
                      const TensorMemPorts& tm);

// ---- counters (accel_counters.cc) -----------------------------------------------------
struct CounterPorts {
  std::vector<std::pair<std::string, Register>> counters;  // index = cnt_sel_i value
};
CounterPorts build_counters(BuildCtx& c, const AccelIo& io, const ControllerPorts& ctl, const NeuronPorts& nrn);

// ---- controller FSM (accel_controller.cc) ---------------------------------------------
void build_controller_fsm(BuildCtx& c, const AccelIo& io, ControllerPorts& ctl, const AddrGenPorts& ag,
                          const ReadoutPorts& ro);

// ---- signature.json (accel_signature.cc) ----------------------------------------------
nlohmann::json accel_signature(const BuildCtx& c, const Artifact& a, const CyclePrediction& pred,
                               const TensorMemPorts& tm, const CounterPorts& cnt,
                               const std::map<std::string, std::string>& files);

}  // namespace sdm::accel
