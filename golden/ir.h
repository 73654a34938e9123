// Graph IR: what the ONNX importer produces and the float ANN / float SNN evaluate.
// Tensors are per sample in C-order (C, F, H, W); a 2D network has F = 1 and its
// kernels have kt = 1, so every op is 3D. BatchNorm is already folded into Conv.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

namespace sdm {

struct Shape {
  int c = 0, f = 1, h = 1, w = 1;
  long size() const { return long(c) * f * h * w; }
  long plane() const { return long(f) * h * w; }
  bool operator==(const Shape& o) const {
    return c == o.c && f == o.f && h == o.h && w == o.w;
  }
  bool operator!=(const Shape& o) const { return !(*this == o); }
  std::string str() const;  // "8x8x16x16"
};

enum class OpKind {
  Input,          // the clip, float pixels after input scaling
  Conv,           // 3D convolution (2D: kt = 1), groups = 1, weight [co][ci][kt][kh][kw]
  AvgPool,        // average pooling; divisor: see Node::exclude_pad / ceil_pad
  GlobalAvgPool,  // mean over F, H, W
  Add,            // elementwise sum of two tensors of one shape
  Concat,         // along channels
  Clip,           // clip(x, clip_lo, lambda): the ANN activation that becomes a spiking
                  // layer (conversion needs clip_lo = 0; see Graph::check_convertible)
  Linear,         // y = W x + b over the C-order flattening of the input
};

const char* op_name(OpKind k);

struct Node {
  std::string name;  // the ONNX node name (or output name) it came from
  OpKind kind = OpKind::Input;
  std::vector<int> inputs;  // ids of earlier nodes
  Shape out;

  // Conv / Linear parameters (float, BN folded). Linear: weight [out][in].
  std::vector<float> weight, bias;
  // Conv / AvgPool geometry in (t, h, w) order.
  std::array<int, 3> kernel{1, 1, 1}, stride{1, 1, 1}, pad_lo{0, 0, 0}, pad_hi{0, 0, 0};
  // Clip ceiling lambda and floor (0 for every convertible activation).
  float lambda = 0;
  float clip_lo = 0;
  // AvgPool divisor. Default (ONNX count_include_pad = 1, no ceil_mode): every window
  // divides by its full kernel volume. exclude_pad (count_include_pad = 0): a window
  // divides by the taps that fall inside the input. ceil_pad: the part of pad_hi that
  // ceil_mode added; taps there never count (ONNX / PyTorch ceil_mode semantics).
  bool exclude_pad = false;
  std::array<int, 3> ceil_pad{0, 0, 0};
  // True when every window of this AvgPool divides by the full kernel volume, which is
  // what integer mode and the hardware implement (a sum pool folded into the next layer).
  bool uniform_divisor() const;
  // Divisor of output window (o_t, o_h, o_w) of an AvgPool on input shape `in`.
  int divisor(const Shape& in, int ot, int oh, int ow) const;
};

struct Graph {
  std::string name;
  std::vector<Node> nodes;  // topological order; nodes[0] is the Input
  int output = -1;          // id of the final node (a Linear): logits
  // A uint8 pixel p enters the network as p * input_scale + input_bias (default /255).
  float input_scale = 1.0f / 255.0f;
  float input_bias = 0.0f;

  const Node& input() const { return nodes.at(0); }
  int num_classes() const { return nodes.at(output).out.c; }
  std::vector<int> clip_nodes() const;  // spiking layers in order
  // Throws sdm::Error naming the node if an invariant is broken (shapes, inputs). With
  // `logits` the output must be a Linear layer (every network); without, any node (the
  // single-operator ONNX conformance harness).
  void validate(bool logits = true) const;
  // Throws sdm::Error naming the node if the graph cannot become an SNN: a Clip whose
  // floor is not 0 (SPEC: activations are clip(a, 0, lambda)).
  void check_convertible() const;
};

// Throws sdm::Error naming `what` unless every dimension is in 1..2^24 and the shape
// holds at most 2^31 elements.
void check_shape(const Shape& s, const std::string& what);
// Throws sdm::Error naming `what` unless kernel, stride are in 1..4096, pads in 0..4096,
// and `out` has the window's output size on every axis (f, h, w) of `in`.
void check_window(const Shape& in, const Shape& out, const std::array<int, 3>& kernel,
                  const std::array<int, 3>& stride, const std::array<int, 3>& pad_lo,
                  const std::array<int, 3>& pad_hi, const std::string& what);

// Checks one clip's array shape (per clip, without N) against a model input: (C, F, H, W)
// for a video model, or (C, H, W) for a 2D model (F = 1). Compared by shape, not element
// count, so a channel-last (F, H, W, C) or (F, C, H, W) array of the right size is an
// error naming both shapes.
void check_clip_shape(const std::vector<int64_t>& clip_shape, const Shape& input);

// Output size of a sliding window along one axis.
inline int window_out(int in, int k, int s, int plo, int phi) {
  return (in + plo + phi - k) / s + 1;
}

}  // namespace sdm
