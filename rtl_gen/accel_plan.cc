// The hardware plan of a QNet (which datapath rows, ROM layout, shared neuron widths)
// and the analytic cycle model of the generated controller.
#include <algorithm>
#include <string>

#include <fmt/core.h>

#include "golden/error.h"
#include "golden/hw_widths.h"
#include "rtl_gen/accel_gen.h"

namespace sdm {

HwPlan plan_accelerator(const QNet& q, int lanes) {
  check_lanes(lanes);
  const Config& cfg = q.cfg;
  if (!cfg.neuron.has_integer_mode())
    throw Error(fmt::format("method '{}' has no hardware (the neuron array implements sdm, "
                            "opt, burst and if)", method_name(cfg.neuron.method)));
  if (cfg.pot_bits != 0)
    throw Error(fmt::format("--pot-bits {} fixes the potential width; the shared neuron array "
                            "needs widths sized from the overflow bound (convert without --pot-bits)",
                            cfg.pot_bits));
  // Every width comes from the one function the post-quantization check uses.
  check_stored_widths(q);
  const StoredWidths sw = stored_widths(q);
  HwPlan p;
  p.cfg = cfg;
  p.lanes = lanes;
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
    hs.groups = (hs.co + lanes - 1) / lanes;
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
  p.bank_of.assign(size_t(NT), -1);
  p.bank_base.assign(size_t(NT), 0);
  p.split.assign(size_t(NT), 0);
  int shared = -1;
  for (int t = 0; t < NT; ++t) {
    if (t == logits) continue;
    const QTensor& qt = q.tensors[t];
    const int steps = qt.per_step ? cfg.T : 1;
    const bool split = steps > 1 && steps * qt.bits() > kMaxPackedBits;
    p.split[t] = split;
    const int width = split ? qt.bits() : steps * qt.bits();
    const long words = qt.shape.size() * (split ? steps : 1);
    int b;
    if (words * width >= kOwnBankBits && width <= kMaxPackedBits) {
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

enum class GroupKind { Dynamic, StaticNeuron, StaticSum };

// Cycles of one output group, state by state as the controller FSM (accel_controller.cc)
// runs them: S = synapses per group and step, words = tensor words written back.
template <class N>
N group_cycles(GroupKind kind, const N& S, const N& T, const N& words) {
  const N syn_drain_out = S + N(long(kDrain)) + N(1L);  // S_SYN, S_DRAIN, one S_OUT
  N compute = kind == GroupKind::Dynamic ? T * syn_drain_out  // every step computed
              : kind == GroupKind::StaticSum ? syn_drain_out  // the pixels' sum once
                                             // once, then T-1 more feeds kNeuronStepGap apart
                                             : syn_drain_out + N(long(kNeuronStepGap)) * (T - N(1L));
  return compute + N(2L) /* S_WAIT: neuron latency */ + words /* S_WB */ + N(1L) /* S_NEXT */;
}

GroupKind group_kind(const HwStage& s) {
  if (!s.static_input) return GroupKind::Dynamic;
  return s.mode == HwStage::Neuron ? GroupKind::StaticNeuron : GroupKind::StaticSum;
}

}  // namespace

std::string cycle_formula() {
  const Sym S("S"), T("T"), W("words");
  return "per output group: dynamic " + group_cycles(GroupKind::Dynamic, S, T, W).s + "; static neuron stage " +
         group_cycles(GroupKind::StaticNeuron, S, T, W).s + "; static sum stage " +
         group_cycles(GroupKind::StaticSum, S, T, W).s +
         "; per stage: output positions x sum over channel groups; per clip: sum over stages + (K - 1) argmax "
         "cycles. S = synapses per group and step, words = lanes written x (T if one value per word else 1), "
         "0 for the readout (dense: zero spikes are not skipped)";
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
      const int lanes_written = std::min(p.lanes, s.co - g * p.lanes);
      const int words = s.mode == HwStage::Readout ? 0 : p.split[s.out] ? T : 1;
      per_pos += group_cycles<long>(group_kind(s), s.synapses, T, long(lanes_written) * words);
    }
    c.per_stage.push_back(positions * per_pos);
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
  c.dense_bound = (conn * T + p.lanes - 1) / p.lanes;
  c.load_cycles = q.tensors[0].shape.size();
  return c;
}

}  // namespace sdm
