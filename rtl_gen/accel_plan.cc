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
    hs.first_term = int(p.terms.size());
    const int co = hs.co;
    auto add_term = [&](HwTerm t) {
      t.stage = int(p.stages.size());
      t.wbase = p.weight_words;
      if (!t.diag_ones) p.weight_words += long(hs.groups) * t.synapses();
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
    const long words = qt.shape.size() * p.words_per_value[t];
    int b;
    if (words * width >= kOwnBankBits) {
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
  // S_SYN cycles: one per tensor word read, words_per_value words per synapse
  for (HwTerm& t : p.terms) {
    t.reads = p.words_per_value[t.src];
    p.stages[t.stage].syn_cycles += t.synapses() * t.reads;
  }
  return p;
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

// Cycles of one output group, state by state as the controller FSM (accel_controller.cc)
// runs them: S = S_SYN cycles per group (synapses x words read per synapse), words = tensor
// words written back, F = feeds (T, or lanes x T with a shared neuron). All T steps are
// accumulated in the S_SYN pass; a neuron or readout stage then feeds its currents
// kNeuronStepGap cycles apart, a sum stage stores them in one.
template <class N>
N group_cycles(bool feeds, const N& S, const N& T, const N& words, const N& drain) {
  const N feed = feeds ? N(1L) + N(long(kNeuronStepGap)) * (T - N(1L)) : N(1L);  // S_OUT
  return S + drain /* S_DRAIN */ + feed + N(long(kNeuronLatency)) /* S_WAIT: feed register + neuron */ + words /* S_WB */ +
         N(1L) /* S_NEXT */;
}

}  // namespace

std::string cycle_formula() {
  const Sym S("S"), F("F"), W("words"), D("D");
  return "per output group: neuron or readout stage " + group_cycles(true, S, F, W, D).s + "; sum stage " +
         group_cycles(false, S, F, W, D).s + "; D = S_DRAIN = constants.drain (" + std::to_string(kDrain) + ", " +
         std::to_string(kDrain + 1) + " with per-lane operand copies from " + std::to_string(kOperandCopyMinLanes) +
         " lanes)" +
         "; per stage: output positions x sum over channel groups; per clip: sum over stages + (K - 1) argmax "
         "cycles. F = T, or lanes written x T with a shared neuron; S = sum over the stage's terms of synapses x words per input value (1 when all T steps of a "
         "value share one word), words = lanes written x words per output value, 0 for the readout (dense: "
         "zero spikes are not skipped)";
}

// Mirrors the controller FSM of accel_controller.cc state by state (docs/architecture.md)
// through group_cycles.
CyclePrediction predict_cycles(const HwPlan& p, const QNet& q) {
  CyclePrediction c;
  const int T = p.cfg.T;
  for (const HwStage& s : p.stages) {
    const long positions = s.out_shape.plane();
    long per_pos = 0;
    for (int g = 0; g < s.groups; ++g) {
      const int lanes_written = std::min(p.cfg.hw.lanes, s.co - g * p.cfg.hw.lanes);
      const int words = s.mode == HwStage::Readout ? 0 : p.words_per_value[s.out];
      // feeds per group: T, or lanes x T through a shared neuron
      const long feeds = p.shared_neuron() ? long(lanes_written) * T : T;
      per_pos += group_cycles<long>(s.mode != HwStage::Sum, s.syn_cycles, feeds, long(lanes_written) * words, long(p.drain()));
    }
    c.per_stage.push_back(positions * per_pos);
    long ops = 0;
    const QStage& qs = q.stages[s.qstage];
    if (qs.kind != QStage::SumPool)
      for (const QTerm& t : qs.terms) ops += t.connections(s.out_shape) * (s.static_input ? 1 : T);
    c.synaptic_ops.push_back(ops);
    c.per_clip += positions * per_pos;
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
  c.dense_bound = (conn + p.cfg.hw.lanes - 1) / p.cfg.hw.lanes;  // T products per lane and cycle
  c.load_cycles = q.tensors[0].shape.size();
  return c;
}

}  // namespace sdm
