// Quantized network: the integer mode of docs/number-format.md. This structure IS the
// hardware specification: the integer golden model executes it and the RTL generator
// turns it into Verilog; both read every width and constant from here.
//
// Every tensor holds integers; its real value is int * unit[c]. Spike tensors hold signed
// spike counts n in [-1, beta] with unit theta of their layer; a SumPool tensor holds the
// window sum of its source (unit / K); the pixel tensor holds uint8 pixels (unit
// input_scale) and is the same at every time-step.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "golden/config.h"
#include "golden/ir.h"
#include "golden/neuron.h"

namespace sdm {

struct QTensor {
  std::string name;  // IR node it came from
  Shape shape;
  bool per_step = true;  // false: constant over time-steps (the pixel input)
  int64_t lo = 0, hi = 0;  // value range of its integers
  std::vector<double> unit;  // per channel: real value = int * unit[c]
  int bits() const;  // signed two's-complement width holding [lo, hi] (unsigned if lo >= 0)
  bool is_signed() const { return lo < 0; }
};

// One contribution to an accumulator: a convolution over a source tensor, or an identity
// (residual shortcut) scaling source channel c by an integer into output channel
// c + out_offset.
struct QTerm {
  enum Kind { Conv, Identity } kind = Conv;
  int src = 0;  // tensor id
  // Conv: weight [co][ci][kt][kh][kw] over all of src's channels; geometry (t, h, w).
  std::vector<int32_t> weight;
  std::array<int, 3> kernel{1, 1, 1}, stride{1, 1, 1}, pad_lo{0, 0, 0}, pad_hi{0, 0, 0};
  // Identity: scale[c] per source channel.
  std::vector<int32_t> scale;
  int out_offset = 0;
  long connections(const Shape& out) const;  // synapses per output tensor
};

struct QStage {
  enum Kind { Neuron, SumPool, Readout } kind = Neuron;
  std::string name;  // IR node (Clip / AvgPool / Linear) it came from
  int out = 0;       // tensor id written
  // Neuron / Readout: I(t) = sum of terms + bias, in units of 2^-F thresholds.
  std::vector<QTerm> terms;
  std::vector<int64_t> bias;
  int acc_bits = 0;  // width holding any |I(t)| (from the overflow bound)
  IntRule rule{};    // Neuron only (pbits from the bound unless the config fixes it)
  bool static_input = false;  // every source constant over t: I computed once per clip
  double theta = 0;  // real threshold alpha*lambda (Neuron); 2^-F scale (Readout)
  int F = 0;         // threshold = 2^F (Neuron); accumulator = real * 2^F (Readout)
  // SumPool: window sum over src with zero padding.
  int src = 0;
  std::array<int, 3> kernel{1, 1, 1}, stride{1, 1, 1}, pad_lo{0, 0, 0}, pad_hi{0, 0, 0};
};

struct QNet {
  Config cfg;
  std::vector<QTensor> tensors;  // tensors[0]: pixels
  std::vector<QStage> stages;    // execution order; the last one is the Readout
  int num_classes() const { return tensors.at(stages.back().out).shape.c; }
};

// Builds the integer network from the float graph (the one rounding point), or throws
// sdm::Error naming the node whose pattern integer mode does not cover.
QNet quantize(const Graph& g, const Config& cfg);

// Overflow bound: the largest |I(t)| stage s can see, from its integer weights, bias and
// source ranges. |v|, |M| <= v0 + T * bound. Used to size acc_bits and pbits.
int64_t current_bound(const QNet& q, const QStage& s);

}  // namespace sdm
