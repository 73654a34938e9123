// Accelerator generator: QNet (docs/number-format.md) -> Verilog through the VAST AST,
// ROM init files and signature.json. The schedule and memory map are described in
// docs/architecture.md; the cycle model here predicts the RTL's cycle count exactly
// (dense schedule: no data-dependent skipping).
#pragma once

#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "golden/artifact.h"
#include "golden/qnet.h"

namespace sdm {

// One convolution "row" of the datapath: every QNet term and every SumPool becomes one
// (identity and pooling terms as channel-diagonal convolutions).
struct HwTerm {
  int stage = 0;
  int src = 0;  // tensor id
  int ci = 0;   // source channels
  std::array<int, 3> kernel{1, 1, 1}, stride{1, 1, 1}, pad_lo{0, 0, 0};
  std::vector<int32_t> weight;  // [co][ci][kt][kh][kw]
  long wbase = 0;               // first weight-ROM word
  int reads = 1;                // tensor words read per synapse: the source's words per value
  bool diag_ones = false;       // sum pool: weight 1 on the diagonal, computed, not stored
  int cblocks = 1;              // channel blocks: ceil(ci / simd), the S_SYN loop's ci range
  long kvol() const { return long(kernel[0]) * kernel[1] * kernel[2]; }
  long synapses() const { return long(ci) * kvol(); }
  // S_SYN cycles (and weight-ROM words) per output group and word of a value: simd input
  // channels per cycle
  long syn_steps() const { return long(cblocks) * kvol(); }
};

struct HwStage {
  enum Mode { Neuron = 0, Sum = 1, Readout = 2 } mode = Neuron;
  std::string name;
  int qstage = 0;        // index into QNet::stages
  int out = 0;           // tensor id
  int co = 0, groups = 0;
  Shape out_shape;
  int first_term = 0, num_terms = 0;
  bool static_input = false;  // current computed once, fed T times
  int shift = 0;              // neuron: current << shift onto the common threshold 2^F
  long bias_base = 0;         // first bias-ROM word
  long synapses = 0;          // per output group and step, summed over terms
  long syn_cycles = 0;        // S_SYN cycles per output group: sum over terms of syn_steps x reads
  long spike_counter = -1;    // counter index of its |spike| sum (neuron stages)
  // Two output positions per group (HwOptions::positions = 2, a neuron stage with co <= L/2
  // and at least two output columns): the group is columns wo and wo + 1 (wo even), lanes
  // [0, L/2) compute wo and lane l + L/2 the same channel l at wo + 1 (read through the
  // memories' second port); the last group of a row with an odd width has column wo only.
  bool fold = false;
  // groups per output row: ceil(W / 2) folded, else W
  long cols() const { return fold ? (out_shape.w + 1) / 2 : out_shape.w; }
  // output groups per stage, in controller order (channel group innermost)
  long group_count() const { return long(out_shape.f) * out_shape.h * cols() * groups; }
};

// The hardware options of a design folder: signature.json `hw_options` (lanes, batch_sums,
// shared_neuron, board), with the fallbacks of folders written before it existed: the
// top-level `lanes` and `board_choice.board`. Validated (one-line sdm::Error).
HwOptions hw_options_of_signature(const nlohmann::json& sig);

// Cycles from the last synapse issue until its product is in the accumulator:
// coordinate register -> address register -> memory read -> read register -> operand select ->
// multiply -> accumulate (HwPlan::drain: + 1 with per-lane operand copies).
constexpr int kDrain = 6;
// Lanes from which the MAC array gives each lane its own copy of the registered operands, one
// register stage later (HwPlan::operand_copies, accel_mac.cc): one shared operand register
// fanning out to every lane was the ECP5 critical path at 16 lanes (its route 5.3 of 12.9 ns).
// Small arrays (the iCE40 picks) keep the shared register: their lanes sit together, and the
// extra flip-flops and cycle would cost the UP5K logic cells for nothing.
constexpr int kOperandCopyMinLanes = 8;

// The layout part of a plan (HwPlan adds the configuration it was planned from).
struct HwPlanLayout {
  std::vector<HwStage> stages;
  std::vector<HwTerm> terms;
  long weight_words = 0, bias_words = 0;
  int neuron_F = 0, neuron_pw = 0, neuron_acc = 0;  // the shared neuron array
  int acc_w = 0, x_w = 0, logit_w = 0;
  // Tensor memory layout (docs/architecture.md, "Tensor memories"): the T steps of one
  // value are packed into words of at most kMaxPackedBits bits (iCE40 SPRAM/EBR width),
  // steps_per_word[t] steps per word and words_per_value[t] words per value (address
  // value*words + word); a static tensor has one step. Batched tensors (spike counts,
  // value bits <= batch_bits) deliver all steps of a word to the T accumulators of a lane in
  // one cycle (shift-add products); the others (pooled sums) hold one step per word and are
  // multiplied one step per cycle by the lane's wide multiplier. Large tensors get a memory
  // (bank) of their own, the rest share one bank at fixed offsets. With simd > 1 every bank
  // is simd memories (slices) read at one address: value (c, f, h, w) is in slice c mod simd
  // at word base + (((c / simd) * F + f) * H + h) * W + w (times words per value); depth and
  // base count words of one slice.
  struct Bank {
    std::vector<int> tensors;
    long depth = 0;
    int width = 1;
  };
  std::vector<Bank> banks;
  std::vector<int> bank_of;       // per tensor, -1 for the logits
  std::vector<long> bank_base;    // per tensor: first word in its bank
  std::vector<int> steps_per_word, words_per_value;  // per tensor
  std::vector<char> batched;      // per tensor: per-step and at most batch_bits bits
  int batch_bits = 0;             // widest spike count (neuron stage output) read per step
};

// The plan both the Verilog and the cycle model are built from: the layout and the one
// configuration it was planned from (cfg.hw: lanes, batch sums, shared neuron, board).
struct HwPlan : HwPlanLayout {
  Config cfg;
  // Read-only views of cfg.hw for the block builders, not copies: they always name this
  // plan's cfg (the copy and move operations below keep them bound to it).
  const HwOptions& opt = cfg.hw;
  const int& lanes = cfg.hw.lanes;
  const int& simd = cfg.hw.simd;
  const int& positions = cfg.hw.positions;
  // Output channel of lane l in channel group g of stage s, or -1 where the lane is idle (past
  // the last channel; a folded stage's lane l >= L/2 takes channel l - L/2 at the next column).
  int lane_channel(const HwStage& s, int g, int l) const {
    const int o = s.fold ? (l < cfg.hw.lanes / 2 ? l : l - cfg.hw.lanes / 2) : g * cfg.hw.lanes + l;
    return o < s.co ? o : -1;
  }
  // Some stage is folded: the memories it reads get a second read port.
  bool any_fold() const {
    for (const HwStage& s : stages)
      if (s.fold) return true;
    return false;
  }
  // one neuron fed lane by lane (with one lane the same design as a neuron per lane)
  bool shared_neuron() const { return cfg.hw.shared_neuron && cfg.hw.lanes > 1; }
  // per-lane operand copies (kOperandCopyMinLanes) and the S_DRAIN length they imply
  bool operand_copies() const { return cfg.hw.lanes >= kOperandCopyMinLanes; }
  // + 1 with simd > 1: the simd products of a lane and step are summed in a register stage
  // before the accumulator
  int drain() const { return kDrain + (operand_copies() ? 1 : 0) + (cfg.hw.simd > 1 ? 1 : 0); }
  int neurons() const { return shared_neuron() ? 1 : cfg.hw.lanes; }
  // Stage si's output unit may feed and write back a group while the synapse side reads the
  // next one: the bank it writes is not one the stage reads (one port per bank). Otherwise
  // (and at the stage's last group, whose output the next stage reads) the synapse side
  // waits for the write-back. A stage of one group has nothing to overlap with.
  bool overlaps(int si) const;
  // Some stage overlaps: only then is the output buffer built (without, every group is held).
  bool any_overlap() const;
  // Stage si's groups may skip S_DRAIN and S_NEXT (look-ahead): the next group's reads start
  // right after this group's last one and the hand-off follows drain() + 1 cycles later, when
  // the output unit is free by then (docs/architecture.md, "Schedule and cycles"). Needs an
  // overlapping stage and S_SYN >= drain() + 2 (one pending hand-off at a time).
  bool lookahead(int si) const;

  HwPlan() = default;
  HwPlan(const HwPlan& o) : HwPlanLayout(o), cfg(o.cfg) {}
  HwPlan(HwPlan&& o) noexcept : HwPlanLayout(std::move(o)), cfg(std::move(o.cfg)) {}
  HwPlan& operator=(const HwPlan& o) {
    HwPlanLayout::operator=(o);
    cfg = o.cfg;
    return *this;
  }
  HwPlan& operator=(HwPlan&& o) noexcept {
    HwPlanLayout::operator=(std::move(o));
    cfg = std::move(o.cfg);
    return *this;
  }
};
constexpr int kMaxPackedBits = 16;
// Minimum cycles between two feeds of one neuron: the sd_neuron STEP_GAP the generator
// instantiates, and the feed spacing of a static stage in the cycle model.
constexpr int kNeuronStepGap = 2;
// O_WAIT cycles after the last feed: the feed register in front of the neuron (its current
// is muxed and shifted from the output buffer by the stage decode; unregistered, that path
// into the neuron's adders was the ECP5 critical path) plus the neuron's two-cycle pipeline.
constexpr int kNeuronLatency = 3;
constexpr int kMaxHwT = 256;  // time-steps the generator supports (8-bit step fields)
constexpr long kOwnBankBits = 131072;  // half an iCE40 SPRAM or more: a bank of its own

// The plan of q (its Config: neuron, T, widths) for the hardware options hw.
HwPlan plan_accelerator(const QNet& q, const HwOptions& hw);
inline HwPlan plan_accelerator(const QNet& q, int lanes) {
  HwOptions hw;
  hw.lanes = lanes;
  return plan_accelerator(q, hw);
}

// Cycle model of the generated controller (docs/architecture.md).
struct CyclePrediction {
  std::vector<long> per_stage;
  // per stage: the golden model's synaptic operations per clip (connections x T, x 1 for a
  // static stage whose current is computed once; 0 for a sum pool: adds, no weights)
  std::vector<long> synaptic_ops;
  long per_clip = 0;         // from start (tlast accepted) to done
  long dense_bound = 0;      // synaptic ops (connections x T) / products per cycle (lanes x T)
  long load_cycles = 0;      // pixel stream, one per cycle when valid every cycle
  long argmax_cycles = 0;    // after the readout: one logit per cycle
};
CyclePrediction predict_cycles(const HwPlan& p, const QNet& q);
// The per-group / per-stage / per-clip formula predict_cycles evaluates, printed by the same
// code (signature.json `predicted_cycles.formula`).
std::string cycle_formula(bool overlap, bool fold = false);

struct GeneratedDesign {
  std::map<std::string, std::string> files;  // name -> contents (.v, .hex, signature.json)
  nlohmann::json signature;
};

// Throws sdm::Error (one line) if the artifact's method has no hardware (rts, snm), the
// potential width was fixed narrower than the bound, or lanes are out of range.
GeneratedDesign generate_accelerator(const Artifact& a, const HwOptions& hw);
inline GeneratedDesign generate_accelerator(const Artifact& a, int lanes) {
  HwOptions hw;
  hw.lanes = lanes;
  return generate_accelerator(a, hw);
}
// Writes every file of d into dir (created), each via a temporary file + rename.
void write_design(const GeneratedDesign& d, const std::string& dir);
// The paths write_design(d, dir) writes: for checking them against a command's inputs.
std::vector<std::string> design_files(const GeneratedDesign& d, const std::string& dir);

}  // namespace sdm
