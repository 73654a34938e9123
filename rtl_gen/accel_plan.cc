// The hardware plan of a QNet (which datapath rows, ROM layout, shared neuron widths)
// and the analytic cycle model of the generated controller.
#include <algorithm>
#include <string>

#include <fmt/core.h>

#include "golden/error.h"
#include "golden/hw_widths.h"
#include "rtl_gen/accel_gen.h"

namespace sdm {

HwOptions hw_options_of_signature(const nlohmann::json& sig) {
  HwOptions base;
  base.lanes = sig.value("lanes", base.lanes);
  if (sig.contains("board_choice") && sig["board_choice"].is_object())
    base.board = sig["board_choice"].value("board", base.board);
  return hw_options_from_json(sig.value("hw_options", nlohmann::json()), base);
}

HwPlan plan_accelerator(const QNet& q, const HwOptions& hw) {
  HwPlan p;
  p.cfg = q.cfg;  // the artifact's hardware options are placeholders; the plan's are hw
  p.cfg.hw = hw;
  p.cfg.validate();
  const Config& cfg = p.cfg;
  if (!cfg.neuron.has_integer_mode())
    throw Error(fmt::format("method '{}' has no hardware (the neuron array implements sdm, "
                            "opt, burst and if)", method_name(cfg.neuron.method)));
  if (cfg.T > kMaxHwT)
    throw Error(fmt::format("T = {} time-steps: the accelerator supports T <= {} (its trace port numbers "
                            "a step in 8 bits); convert with a smaller --T",
                            cfg.T, kMaxHwT));
  if (cfg.pot_bits != 0)
    throw Error(fmt::format("--pot-bits {} fixes the potential width; the shared neuron array "
                            "needs widths sized from the overflow bound (convert without --pot-bits)",
                            cfg.pot_bits));
  // Every width comes from the one function the post-quantization check uses.
  check_stored_widths(q);
  const StoredWidths sw = stored_widths(q);
  p.neuron_F = sw.neuron_F;
  p.x_w = sw.x;
  p.acc_w = sw.acc;
  p.neuron_pw = sw.neuron_pw;
  p.neuron_acc = sw.neuron_acc;
  p.logit_w = sw.logit;
  if (p.neuron_pw > 48 || p.neuron_acc > 48)
    throw Error(fmt::format("shared neuron widths (potential {}, current {}) exceed 48 bits",
                            p.neuron_pw, p.neuron_acc));
  long counter = 4;
  for (size_t si = 0; si < q.stages.size(); ++si) {
    const QStage& qs = q.stages[si];
    HwStage hs;
    hs.name = qs.name;
    hs.qstage = int(si);
    hs.out = qs.out;
    hs.out_shape = q.tensors[qs.out].shape;
    hs.co = hs.out_shape.c;
    hs.groups = (hs.co + cfg.hw.lanes - 1) / cfg.hw.lanes;
    hs.fold = cfg.hw.positions == 2 && qs.kind == QStage::Neuron && 2 * hs.co <= cfg.hw.lanes && hs.out_shape.w >= 2;
    hs.first_term = int(p.terms.size());
    const int co = hs.co;
    auto add_term = [&](HwTerm t) {
      t.stage = int(p.stages.size());
      t.wbase = p.weight_words;
      t.cblocks = (t.ci + cfg.hw.simd - 1) / cfg.hw.simd;
      if (!t.diag_ones) p.weight_words += long(hs.groups) * t.syn_steps();
      hs.synapses += t.synapses();
      p.terms.push_back(std::move(t));
    };
    if (qs.kind == QStage::SumPool) {
      hs.mode = HwStage::Sum;
      hs.static_input = !q.tensors[qs.src].per_step;
      HwTerm t;
      t.src = qs.src;
      t.ci = co;
      t.kernel = qs.kernel;
      t.stride = qs.stride;
      t.pad_lo = qs.pad_lo;
      t.diag_ones = true;  // lane l adds input channel cg*L + l with weight 1
      add_term(std::move(t));
    } else {
      hs.mode = qs.kind == QStage::Neuron ? HwStage::Neuron : HwStage::Readout;
      hs.static_input = qs.kind == QStage::Neuron && qs.static_input;
      for (const QTerm& qt : qs.terms) {
        HwTerm t;
        t.src = qt.src;
        t.ci = q.tensors[qt.src].shape.c;
        if (qt.kind == QTerm::Conv) {
          t.kernel = qt.kernel;
          t.stride = qt.stride;
          t.pad_lo = qt.pad_lo;
          t.weight = qt.weight;
        } else {
          t.weight.assign(size_t(co) * t.ci, 0);
          for (int c = 0; c < t.ci; ++c) t.weight[size_t(c + qt.out_offset) * t.ci + c] = qt.scale[c];
        }
        add_term(std::move(t));
      }
      if (qs.kind == QStage::Neuron) {
        hs.shift = sw.shift[si];
        hs.spike_counter = counter++;
      }
    }
    hs.num_terms = int(p.terms.size()) - hs.first_term;
    hs.bias_base = p.bias_words;
    p.bias_words += hs.groups;
    p.stages.push_back(hs);
  }
  if (p.stages.empty() || p.stages.back().mode != HwStage::Readout)
    throw Error("the network has no readout stage");

  // Memory layout and banks.
  const int NT = int(q.tensors.size());
  const int logits = p.stages.back().out;
  for (const HwStage& s : p.stages)
    if (s.mode == HwStage::Neuron && q.tensors[s.out].per_step)
      p.batch_bits = std::max(p.batch_bits, q.tensors[s.out].bits());
  p.bank_of.assign(size_t(NT), -1);
  p.bank_base.assign(size_t(NT), 0);
  p.steps_per_word.assign(size_t(NT), 1);
  p.words_per_value.assign(size_t(NT), 1);
  p.batched.assign(size_t(NT), 0);
  for (int t = 0; t < NT; ++t) {
    const QTensor& qt = q.tensors[t];
    if (t == logits || !qt.per_step || cfg.T == 1) continue;
    p.batched[t] = cfg.hw.batch_sums || qt.bits() <= p.batch_bits;
    const int spw = p.batched[t] ? std::min(cfg.T, std::max(1, kMaxPackedBits / qt.bits())) : 1;
    p.steps_per_word[t] = spw;
    p.words_per_value[t] = (cfg.T + spw - 1) / spw;
  }
  int shared = -1;
  for (int t = 0; t < NT; ++t) {
    if (t == logits) continue;
    const QTensor& qt = q.tensors[t];
    const int width = p.steps_per_word[t] * qt.bits();
    // words of one slice: channels c, c + simd, ... of the tensor
    const long words = long((qt.shape.c + cfg.hw.simd - 1) / cfg.hw.simd) * qt.shape.plane() * p.words_per_value[t];
    int b;
    if (words * cfg.hw.simd * width >= kOwnBankBits) {
      b = int(p.banks.size());
      p.banks.emplace_back();
    } else {
      if (shared < 0) {
        shared = int(p.banks.size());
        p.banks.emplace_back();
      }
      b = shared;
    }
    HwPlan::Bank& bk = p.banks[b];
    p.bank_of[t] = b;
    p.bank_base[t] = bk.depth;
    bk.tensors.push_back(t);
    bk.depth += words;
    bk.width = std::max(bk.width, width);
  }
  // S_SYN cycles: one per tensor word read (simd channels at once), words_per_value words per
  // synapse
  for (HwTerm& t : p.terms) {
    t.reads = p.words_per_value[t.src];
    p.stages[t.stage].syn_cycles += t.syn_steps() * t.reads;
  }
  return p;
}

bool HwPlan::overlaps(int si) const {
  if (!cfg.hw.overlap) return false;
  const HwStage& s = stages[size_t(si)];
  if (s.group_count() == 1) return false;  // its one group is its last: held
  if (s.mode == HwStage::Readout) return true;  // logits: no tensor write
  for (int r = s.first_term; r < s.first_term + s.num_terms; ++r)
    if (bank_of[size_t(terms[size_t(r)].src)] == bank_of[size_t(s.out)]) return false;
  return true;
}

bool HwPlan::lookahead(int si) const {
  return overlaps(si) && stages[size_t(si)].syn_cycles >= drain() + 2;
}

bool HwPlan::any_overlap() const {
  for (int si = 0; si < int(stages.size()); ++si)
    if (overlaps(si)) return true;
  return false;
}

namespace {

// A symbolic cycle count: group_cycles<Sym> prints the formula that group_cycles<long>
// evaluates, so signature.json's formula string and the numbers come from one code path.
struct Sym {
  std::string s;
  bool sum = false;  // top-level '+': parenthesised as a factor
  Sym(long v) : s(std::to_string(v)) {}  // NOLINT: constants print as numbers
  Sym(std::string n, bool is_sum = false) : s(std::move(n)), sum(is_sum) {}
};
Sym operator+(const Sym& a, const Sym& b) { return Sym(a.s + " + " + b.s, true); }
Sym operator-(const Sym& a, const Sym& b) { return Sym(a.s + " - " + b.s, true); }
Sym operator*(const Sym& a, const Sym& b) {
  auto f = [](const Sym& x) { return x.sum ? "(" + x.s + ")" : x.s; };
  return Sym(f(a) + "*" + f(b));
}

Sym max0(const Sym& a) { return Sym("max(0, " + a.s + ")"); }
long max0(long a) { return std::max(0L, a); }

// Cycles of one output group, state by state as the two FSMs of accel_controller.cc run them.
// The output unit (O) takes a group's T currents at the hand-off and feeds them (O_OUT: a
// neuron or readout stage one every kNeuronStepGap cycles, F feeds; a sum stage stores them
// in one), waits for the neuron pipeline (O_WAIT) and writes `words` back (O_WB).
template <class N>
N out_cycles(bool feeds, const N& F, const N& words) {
  const N feed = feeds ? N(1L) + N(long(kNeuronStepGap)) * (F - N(1L)) : N(1L);  // O_OUT
  return feed + N(long(kNeuronLatency)) /* O_WAIT: feed register + neuron */ + words /* O_WB */;
}
// The synapse side: S_SYN (S), S_DRAIN (D), then S_NEXT, where the group is handed off as soon
// as the output unit is idle (it still works on the previous group for O_prev - S - D more
// cycles, if positive). A held group (the stage's last, or any group of a stage that writes a
// bank it reads: HwPlan::overlaps) then waits in S_NEXT until its own write-back is done: O
// cycles, plus the cycle that sees the unit idle.
template <class N>
N group_cycles(const N& S, const N& D, const N& O_prev, const N& O, bool held) {
  const N run = S + D + N(1L) /* S_NEXT: hand-off */ + max0(O_prev - S - D) /* unit busy */;
  return held ? run + O + N(1L) : run;
}

// Look-ahead (HwPlan::lookahead, a group that is not held): at its last read the output unit
// is idle or in its last busy cycle (O' <= S), so the next group's reads start at once and
// the hand-off follows D + 1 cycles later: the group takes S cycles, and the output unit is
// busy for D + 1 + O cycles of the next group.
template <class N>
bool lookahead_taken(const N& S, const N& O_prev) { return O_prev <= S; }
template <class N>
N lookahead_busy(const N& D, const N& O) { return D + N(1L) + O; }

}  // namespace

std::string cycle_formula(bool overlap, bool fold) {
  const Sym S("S"), F("F"), W("words"), D("D"), Op("O'"), O("O");
  const std::string groups =
      overlap ? "per output group: " + group_cycles(S, D, Op, O, false).s +
                    "; held group (the stage's last, and every group of a stage that writes a bank it reads) " +
                    group_cycles(S, D, Op, O, true).s +
                    "; look-ahead group (a stage with S >= D + 2 that overlaps, not held, when O' <= S: the next "
                    "group's reads start after this one's last, its hand-off D + 1 cycles later) " + S.s +
                    ", and the next group's O' = " + lookahead_busy(D, O).s
              : "per output group (every group held, --no-overlap: O' = 0, the output unit is idle at each "
                "hand-off) " + group_cycles(S, D, Sym(0L), O, true).s;
  return groups +
         "; O = output unit cycles of the group: neuron or readout stage " + out_cycles(true, F, W).s +
         ", sum stage " + out_cycles(false, F, W).s +
         "; O' = cycles the output unit is still busy at the group's first read: O of the stage's previous group "
         "(0 for its first); D = S_DRAIN = constants.drain (" + std::to_string(kDrain) +
         ", + 1 with per-lane operand copies from " + std::to_string(kOperandCopyMinLanes) +
         " lanes, + 1 with simd > 1)" +
         "; per stage: the sum over its output positions x channel groups in order; per clip: sum over stages + "
         "(K - 1) argmax cycles. F = T, or lanes written x T with a shared neuron; S = sum over the stage's terms of "
         "ceil(input channels / simd) x kernel volume x words per input value (1 when all T steps of a value share one word), words = lanes written x "
         "words per output value, 0 for the readout (dense: zero spikes are not skipped)" +
         std::string(fold ? "; a stage with two positions per group (positions = 2: at most lanes / 2 channels) has "
                            "ceil(W / 2) groups per output row, and lanes written = 2 x its channels (its channels at an "
                            "odd-width row's last group)"
                          : "");
}

// Mirrors the controller FSM of accel_controller.cc state by state (docs/architecture.md)
// through group_cycles.
CyclePrediction predict_cycles(const HwPlan& p, const QNet& q) {
  CyclePrediction c;
  const int T = p.cfg.T;
  for (size_t si = 0; si < p.stages.size(); ++si) {
    const HwStage& s = p.stages[si];
    // output unit cycles per channel group (the last group may write fewer lanes); a folded
    // stage's group writes its channels at two columns, or one at an odd row's last column
    auto out_of = [&](int g, int cols_written) {
      int lanes_written = 0;
      for (int l = 0; l < p.cfg.hw.lanes; ++l) lanes_written += p.lane_channel(s, g, l) >= 0 ? 1 : 0;
      if (s.fold && cols_written == 1) lanes_written /= 2;
      const int words = s.mode == HwStage::Readout ? 0 : p.words_per_value[s.out];
      // feeds per group: T, or lanes x T through a shared neuron
      const long feeds = p.shared_neuron() ? long(lanes_written) * T : T;
      return out_cycles<long>(s.mode != HwStage::Sum, feeds, long(lanes_written) * words);
    };
    std::vector<long> O(size_t(s.groups)), O_one(size_t(s.groups));
    for (int g = 0; g < s.groups; ++g) O[size_t(g)] = out_of(g, 2), O_one[size_t(g)] = out_of(g, 1);
    const bool odd_end = s.fold && s.out_shape.w % 2 == 1;  // a row's last group has one column
    const bool overlap = p.overlaps(int(si));
    const bool la = p.lookahead(int(si));
    const long D = p.drain(), S = s.syn_cycles;
    // Groups in controller order (channel group innermost). busy: cycles the output unit is
    // still busy at the group's first read (O' of the formula; 0 at the stage's first group:
    // the previous stage's last group was held).
    long stage_cycles = 0, busy = 0;
    const long n = s.group_count();
    for (long i = 0; i < n; ++i) {
      const bool one_col = odd_end && (i / s.groups) % s.cols() == s.cols() - 1;
      const long Og = (one_col ? O_one : O)[size_t(i % s.groups)];
      const bool held = i == n - 1 || !overlap;
      if (la && !held && lookahead_taken<long>(S, busy)) {
        stage_cycles += S;
        busy = lookahead_busy<long>(D, Og);
        continue;
      }
      const long g = group_cycles<long>(S, D, busy, Og, held);
      stage_cycles += g;
      busy = held ? 0 : Og;  // handed off in the group's last cycle
    }
    c.per_stage.push_back(stage_cycles);
    long ops = 0;
    const QStage& qs = q.stages[s.qstage];
    if (qs.kind != QStage::SumPool)
      for (const QTerm& t : qs.terms) ops += t.connections(s.out_shape) * (s.static_input ? 1 : T);
    c.synaptic_ops.push_back(ops);
    c.per_clip += stage_cycles;
  }
  // sequential argmax: one logit per cycle after the readout
  const int K = q.num_classes();
  c.argmax_cycles = K > 1 ? K - 1 : 0;
  c.per_clip += c.argmax_cycles;
  long conn = 0;
  for (const QStage& s : q.stages) {
    if (s.kind == QStage::SumPool) continue;
    for (const QTerm& t : s.terms) conn += t.connections(q.tensors[s.out].shape);
  }
  const long products = long(p.cfg.hw.lanes) * p.cfg.hw.simd;  // x T per cycle
  c.dense_bound = (conn + products - 1) / products;
  c.load_cycles = q.tensors[0].shape.size();
  return c;
}

}  // namespace sdm
