// Float linear ops on one sample in C-order (C, F, H, W), shared by the float ANN and the
// float SNN so that the two can only differ in their activation rule.
#pragma once

#include <array>
#include <cstdint>
#include <vector>

#include "golden/ir.h"

namespace sdm {

// out = conv(in) + bias. Uses Eigen (im2col + GEMM); `scratch` is reused between calls.
void conv_forward(const Node& n, const Shape& in_shape, const float* in, float* out,
                  std::vector<float>& scratch);
void avgpool_forward(const Node& n, const Shape& in_shape, const float* in, float* out);
void gap_forward(const Shape& in_shape, const float* in, float* out);
void linear_forward(const Node& n, long in_size, const float* in, float* out);

// Valid (kernel tap, output index) pairs of one axis of a strided, padded window, per
// input index: input i reaches output o through tap d iff i + pad_lo - d = o * stride.
// Offsets are premultiplied by the caller's strides.
struct AxisTaps {
  std::vector<int> start;      // size in + 1: taps of input i are [start[i], start[i+1])
  std::vector<long> wofs, oofs;  // weight offset (d * wstride), output offset (o * ostride)
  static AxisTaps make(int in, int k, int stride, int pad_lo, int out, long wstride, long ostride);
};

// A convolution (or a Linear: a conv whose kernel covers its whole input) prepared to be
// computed as a scatter from the nonzero values of its input, which is how the spiking
// simulators follow the spikes (zero inputs cost nothing). The accumulators are
// channels-last, acc[pos][co]; the caller adds the bias and transposes.
struct ScatterPlan {
  Shape in;                // input shape (all of it is read)
  int co = 0;              // output channels
  int kw = 1;              // kernel width
  long ksz = 0;            // taps per input channel
  AxisTaps at, ah, aw;     // weight offsets (elements), output offsets (elements)
  // Stride 1 along w: aw holds one run per input (first tap), wlen its length in
  // elements (taps * co), and the weights are stored with kw reversed so that the run is
  // contiguous in both the accumulators and the weights.
  bool wrun = false;
  std::vector<int> wlen;
  std::vector<float> wf;   // float weights [ci][kt][kh][kw (reversed if wrun)][co]
  std::vector<int32_t> wi; // integer weights, same layout
  // Integer inputs of few values (spikes, pixels): table of multiples w*n, n in [lo, hi],
  // laid out [n - lo][ci][k][co], so the scatter only adds.
  bool table = false;
  int lo = 0, nvals = 0;
  std::vector<int32_t> wtab;

  // Geometry from a Conv node (or a Linear, kernel = its input) and its input shape.
  // Weights are [co][ci][kt][kh][kw] as in the IR.
  static ScatterPlan make(const Shape& in, const Shape& out, const std::array<int, 3>& kernel,
                          const std::array<int, 3>& stride, const std::array<int, 3>& pad_lo);
  void set_float_weights(const std::vector<float>& w);
  // `lo..hi`: the input's value range; the table is built if it is small and every
  // multiple fits 32 bits.
  void set_int_weights(const std::vector<int32_t>& w, int64_t lo, int64_t hi);
};

// acc[pos][co] += sum of w * x over the nonzero x. Return the synaptic events executed
// (nonzero inputs x valid taps x co). Integer accumulation is exact in any order; the
// int32 variant needs the caller's proof that no partial sum exceeds 32 bits.
long long scatter_add(const ScatterPlan& p, const float* x, float* acc);
long long scatter_add(const ScatterPlan& p, const int32_t* x, int32_t* acc);
long long scatter_add(const ScatterPlan& p, const int32_t* x, int64_t* acc);

// Evaluates one linear (non-Clip, non-Input) node from its inputs' tensors.
void linear_node_forward(const Graph& g, int id, const std::vector<std::vector<float>>& vals,
                         std::vector<float>& out, std::vector<float>& scratch);

// Float ANN (clip(0, lambda) activations). Returns logits; fills `acts` with every node's
// output when given.
std::vector<float> ann_forward(const Graph& g, const unsigned char* pixels,
                               std::vector<std::vector<float>>* acts = nullptr);
// The same on an input already in float (size g.input().out.size(), C-order): the output
// node's values. Used where the input is not pixels (ONNX conformance tests).
std::vector<float> ann_forward_values(const Graph& g, std::vector<float> input,
                                      std::vector<std::vector<float>>* acts = nullptr);

int argmax(const float* v, int n);   // ties -> lowest index
int argmax(const double* v, int n);
int argmax(const long long* v, int n);

}  // namespace sdm
