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
  bool diag_ones = false;       // sum pool: weight 1 on the diagonal, computed, not stored
  long synapses() const { return long(ci) * kernel[0] * kernel[1] * kernel[2]; }
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
  long spike_counter = -1;    // counter index of its |spike| sum (neuron stages)
};

// The plan both the Verilog and the cycle model are built from.
struct HwPlan {
  Config cfg;
  int lanes = 1;
  std::vector<HwStage> stages;
  std::vector<HwTerm> terms;
  long weight_words = 0, bias_words = 0;
  int neuron_F = 0, neuron_pw = 0, neuron_acc = 0;  // the shared neuron array
  int acc_w = 0, x_w = 0, logit_w = 0;
  // Tensor memory layout: a tensor whose T-step word would be wider than kMaxPackedBits
  // stores one value per word (address neuron*T + t) so that every memory is at most 16
  // bits wide (iCE40 SPRAM/EBR); large tensors get a memory (bank) of their own, the rest
  // share one bank at fixed offsets. See docs/architecture.md.
  struct Bank {
    std::vector<int> tensors;
    long depth = 0;
    int width = 1;
  };
  std::vector<Bank> banks;
  std::vector<int> bank_of;       // per tensor, -1 for the logits
  std::vector<long> bank_base;    // per tensor: first word in its bank
  std::vector<char> split;        // per tensor: one value per word
};
constexpr int kMaxPackedBits = 16;
// Cycles from the last synapse issue until its product is in the accumulator:
// address register -> memory read -> read register -> operand select -> multiply -> accumulate.
constexpr int kDrain = 5;
// Minimum cycles between two feeds of one neuron: the sd_neuron STEP_GAP the generator
// instantiates, and the feed spacing of a static stage in the cycle model.
constexpr int kNeuronStepGap = 2;
constexpr long kOwnBankBits = 131072;  // half an iCE40 SPRAM or more: a bank of its own

HwPlan plan_accelerator(const QNet& q, int lanes);

// Cycle model of the generated controller (docs/architecture.md).
struct CyclePrediction {
  std::vector<long> per_stage;
  long per_clip = 0;         // from start (tlast accepted) to done
  long dense_bound = 0;      // sum of synaptic connections x T / lanes
  long load_cycles = 0;      // pixel stream, one per cycle when valid every cycle
  long argmax_cycles = 0;    // after the readout: one logit per cycle
};
CyclePrediction predict_cycles(const HwPlan& p, const QNet& q);
// The per-group / per-stage / per-clip formula predict_cycles evaluates, printed by the same
// code (signature.json `predicted_cycles.formula`).
std::string cycle_formula();

struct GeneratedDesign {
  std::map<std::string, std::string> files;  // name -> contents (.v, .hex, signature.json)
  nlohmann::json signature;
};

// Throws sdm::Error (one line) if the artifact's method has no hardware (rts, snm), the
// potential width was fixed narrower than the bound, or lanes are out of range.
GeneratedDesign generate_accelerator(const Artifact& a, int lanes);
// Writes every file of d into dir (created), each via a temporary file + rename.
void write_design(const GeneratedDesign& d, const std::string& dir);
// The paths write_design(d, dir) writes: for checking them against a command's inputs.
std::vector<std::string> design_files(const GeneratedDesign& d, const std::string& dir);

}  // namespace sdm
