// The widths the accelerator stores every integer of a QNet in. One function, used both by
// the RTL generator's plan (rtl_gen/accel_plan.cc) and by the check that runs after
// quantization, so the golden model can never compute with a value the ROMs would cut.
#pragma once

#include <cstdint>
#include <vector>

#include "golden/qnet.h"

namespace sdm {

struct StoredWidths {
  int weight = 0;      // weight-ROM lane (signed): synaptic weights and identity scales
  int x = 0;           // multiplier operand (signed): the widest value a datapath row reads
  int acc = 0;         // accumulator and bias-ROM lane (signed)
  int neuron_F = 0;    // common threshold exponent 2^neuron_F of the shared neuron array
  int neuron_pw = 0;   // shared membrane-potential width (signed)
  int neuron_acc = 0;  // width of a current shifted onto 2^neuron_F (signed)
  int logit = 0;       // readout logit width (signed)
  std::vector<int> shift;  // per QNet stage: current << shift (Neuron stages; else 0)
};

// Widths of q's stored integers, as the generated RTL declares them. Pure function of q
// (no lane count). Does not check anything; see check_stored_widths.
StoredWidths stored_widths(const QNet& q);

// True when v fits a signed two's-complement field of `bits` bits.
bool fits_signed(int64_t v, int bits);

// Checks every stored integer of q (weights, identity scales, biases, thresholds, shifts,
// of every stage including the readout) against stored_widths(q). (Whether the shared
// neuron array itself fits 48 bits is the generator's question: plan_accelerator.) Throws sdm::Error (one line) naming the layer, the tensor and the
// value, e.g. "layer 'fc': weight 8 at index 3 does not fit the 4-bit weight ROM".
void check_stored_widths(const QNet& q);

}  // namespace sdm
