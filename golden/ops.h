// Float linear ops on one sample in C-order (C, F, H, W), shared by the float ANN and the
// float SNN so that the two can only differ in their activation rule.
#pragma once

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

// Evaluates one linear (non-Clip, non-Input) node from its inputs' tensors.
void linear_node_forward(const Graph& g, int id, const std::vector<std::vector<float>>& vals,
                         std::vector<float>& out, std::vector<float>& scratch);

// Float ANN (clip(0, lambda) activations). Returns logits; fills `acts` with every node's
// output when given.
std::vector<float> ann_forward(const Graph& g, const unsigned char* pixels,
                               std::vector<std::vector<float>>* acts = nullptr);

int argmax(const float* v, int n);   // ties -> lowest index
int argmax(const double* v, int n);
int argmax(const long long* v, int n);

}  // namespace sdm
