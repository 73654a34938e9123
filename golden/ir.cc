#include "golden/ir.h"

#include <algorithm>
#include <cmath>

#include <fmt/core.h>

#include "golden/error.h"

namespace sdm {

std::string Shape::str() const { return fmt::format("{}x{}x{}x{}", c, f, h, w); }

const char* op_name(OpKind k) {
  switch (k) {
    case OpKind::Input: return "Input";
    case OpKind::Conv: return "Conv";
    case OpKind::AvgPool: return "AvgPool";
    case OpKind::GlobalAvgPool: return "GlobalAvgPool";
    case OpKind::Add: return "Add";
    case OpKind::Concat: return "Concat";
    case OpKind::Clip: return "Clip";
    case OpKind::Linear: return "Linear";
  }
  return "?";
}

std::vector<int> Graph::clip_nodes() const {
  std::vector<int> r;
  for (size_t i = 0; i < nodes.size(); ++i)
    if (nodes[i].kind == OpKind::Clip) r.push_back(int(i));
  return r;
}

bool Node::uniform_divisor() const {
  if (kind != OpKind::AvgPool) return true;
  for (int i = 0; i < 3; ++i)
    if (ceil_pad[i] != 0 || (exclude_pad && (pad_lo[i] != 0 || pad_hi[i] != 0))) return false;
  return true;
}

int Node::divisor(const Shape& in, int ot, int oh, int ow) const {
  const int dims[3] = {in.f, in.h, in.w}, o[3] = {ot, oh, ow};
  int d = 1;
  for (int i = 0; i < 3; ++i) {
    // Taps that count: the input itself, plus the declared padding unless excluded.
    const int lo = exclude_pad ? 0 : -pad_lo[i];
    const int hi = exclude_pad ? dims[i] : dims[i] + pad_hi[i] - ceil_pad[i];
    const int start = o[i] * stride[i] - pad_lo[i];
    d *= std::max(0, std::min(start + kernel[i], hi) - std::max(start, lo));
  }
  return d;
}

void Graph::check_convertible() const {
  for (const Node& n : nodes)
    if (n.kind == OpKind::Clip && n.clip_lo != 0.0f)
      throw Error(fmt::format("node '{}' (Clip): floor {} is not 0; a spiking layer needs "
                              "clip(x, 0, lambda)", n.name, n.clip_lo));
}

namespace {

// Limits on stored geometry: far above any real network, low enough that products of
// shape and kernel sizes cannot overflow a long (every count below is checked against
// real tensors before anything is allocated from it).
constexpr int kMaxDim = 1 << 24;
constexpr int kMaxKernel = 1 << 12;
constexpr long kMaxElements = 1L << 31;

bool finite_all(const std::vector<float>& v, size_t* at) {
  for (size_t i = 0; i < v.size(); ++i)
    if (!std::isfinite(v[i])) return *at = i, false;
  return true;
}

}  // namespace

void check_shape(const Shape& s, const std::string& what) {
  if (s.c < 1 || s.f < 1 || s.h < 1 || s.w < 1 || s.c > kMaxDim || s.f > kMaxDim ||
      s.h > kMaxDim || s.w > kMaxDim)
    throw Error(fmt::format("{}: bad shape {} (every dimension must be in 1..{})", what, s.str(),
                            kMaxDim));
  long n = 1;
  for (int d : {s.c, s.f, s.h, s.w})
    if ((n *= d) > kMaxElements)
      throw Error(fmt::format("{}: shape {} has more than {} elements", what, s.str(), kMaxElements));
}

void check_window(const Shape& in, const Shape& out, const std::array<int, 3>& k,
                  const std::array<int, 3>& stride, const std::array<int, 3>& pad_lo,
                  const std::array<int, 3>& pad_hi, const std::string& what) {
  const int ins[3] = {in.f, in.h, in.w}, outs[3] = {out.f, out.h, out.w};
  for (int a = 0; a < 3; ++a) {
    if (k[a] < 1 || k[a] > kMaxKernel || stride[a] < 1 || stride[a] > kMaxKernel ||
        pad_lo[a] < 0 || pad_hi[a] < 0 || pad_lo[a] > kMaxKernel || pad_hi[a] > kMaxKernel)
      throw Error(fmt::format(
          "{}: bad window on axis {}: kernel {} stride {} pads {},{} (need kernel and stride in "
          "1..{}, pads in 0..{})", what, a, k[a], stride[a], pad_lo[a], pad_hi[a], kMaxKernel, kMaxKernel));
    if (ins[a] + pad_lo[a] + pad_hi[a] < k[a])
      throw Error(fmt::format("{}: kernel {} on axis {} is larger than the padded input {}", what,
                              k[a], a, ins[a] + pad_lo[a] + pad_hi[a]));
    const int o = window_out(ins[a], k[a], stride[a], pad_lo[a], pad_hi[a]);
    if (o != outs[a])
      throw Error(fmt::format("{}: output size {} on axis {} does not match the window over input "
                              "{} (gives {})", what, outs[a], a, ins[a], o));
  }
}

void check_clip_shape(const std::vector<int64_t>& clip, const Shape& in) {
  auto str = [](const std::vector<int64_t>& v) {
    std::string r = "(";
    for (size_t i = 0; i < v.size(); ++i) r += (i ? ", " : "") + std::to_string(v[i]);
    return r + ")";
  };
  const std::vector<int64_t> video{in.c, in.f, in.h, in.w}, image{in.c, in.h, in.w};
  if (clip == video || (in.f == 1 && clip == image)) return;
  const std::string want = in.f == 1 ? fmt::format("(C, H, W) = {} or (C, F, H, W) = {}", str(image), str(video))
                                     : fmt::format("(C, F, H, W) = {}", str(video));
  throw Error(fmt::format("clips have shape {} per clip but the model's input is {}{}", str(clip), want,
                          clip.size() == 4 && clip[3] == in.c && clip != video
                              ? " (channel-last clips must be transposed to channels first)"
                              : ""));
}

// Checked against each op's definition, so a graph from any source (the importer, an
// artifact whose CRC is valid but whose contents are not) cannot make an op read or
// write outside its tensors.
void Graph::validate(bool logits) const {
  if (nodes.empty() || nodes[0].kind != OpKind::Input) throw Error("graph has no input node");
  if (output < 0 || output >= int(nodes.size()))
    throw Error("graph has no output node");
  if (logits && nodes[output].kind != OpKind::Linear)
    throw Error("graph output is not a Linear (Gemm/MatMul) layer");
  if (!std::isfinite(input_scale) || !(input_scale > 0) || !std::isfinite(input_bias))
    throw Error(fmt::format("input scaling {} * pixel + {} must be finite with a positive scale",
                            input_scale, input_bias));
  for (size_t i = 0; i < nodes.size(); ++i) {
    const Node& n = nodes[i];
    const std::string what = fmt::format("node '{}' ({})", n.name, op_name(n.kind));
    auto bad = [&](const std::string& why) { return Error(what + ": " + why); };
    for (int in : n.inputs)
      if (in < 0 || in >= int(i)) throw bad("input is not an earlier node");
    check_shape(n.out, what);
    // Window fields are stored for every op: a nonsense value is refused even where unused.
    for (int a = 0; a < 3; ++a)
      if (n.kernel[a] < 1 || n.kernel[a] > kMaxKernel || n.stride[a] < 1 || n.stride[a] > kMaxKernel ||
          n.pad_lo[a] < 0 || n.pad_lo[a] > kMaxKernel || n.pad_hi[a] < 0 || n.pad_hi[a] > kMaxKernel)
        throw bad(fmt::format("bad window on axis {}: kernel {} stride {} pads {},{}", a, n.kernel[a],
                              n.stride[a], n.pad_lo[a], n.pad_hi[a]));
    const size_t want_inputs = n.kind == OpKind::Input ? 0 : n.kind == OpKind::Add ? 2 : 1;
    if (n.kind == OpKind::Concat ? n.inputs.empty() : n.inputs.size() != want_inputs)
      throw bad(fmt::format("{} inputs", n.inputs.size()));
    const Shape in = n.inputs.empty() ? Shape{} : nodes[size_t(n.inputs[0])].out;
    size_t at = 0;
    if (!finite_all(n.weight, &at)) throw bad(fmt::format("weight {} is {}", at, n.weight[at]));
    if (!finite_all(n.bias, &at)) throw bad(fmt::format("bias {} is {}", at, n.bias[at]));
    switch (n.kind) {
      case OpKind::Input: if (i != 0) throw bad("second input"); break;
      case OpKind::Conv: {
        check_window(in, n.out, n.kernel, n.stride, n.pad_lo, n.pad_hi, what);
        long expect = long(n.out.c) * in.c * n.kernel[0] * n.kernel[1] * n.kernel[2];
        if (long(n.weight.size()) != expect) throw bad("weight size mismatch");
        if (long(n.bias.size()) != n.out.c) throw bad("bias size mismatch");
        break;
      }
      case OpKind::AvgPool:
        // pad_hi includes the ceil_mode part (ceil_pad), so the floor formula gives the size.
        check_window(in, n.out, n.kernel, n.stride, n.pad_lo, n.pad_hi, what);
        for (int a = 0; a < 3; ++a)
          if (n.ceil_pad[a] < 0 || n.ceil_pad[a] > n.pad_hi[a])
            throw bad(fmt::format("ceil_mode padding {} on axis {} outside 0..{}", n.ceil_pad[a], a, n.pad_hi[a]));
        if (n.out.c != in.c) throw bad(fmt::format("{} channels from an input of {}", n.out.c, in.c));
        break;
      case OpKind::GlobalAvgPool:
        if (n.out != Shape{in.c, 1, 1, 1})
          throw bad(fmt::format("output {} for input {}", n.out.str(), in.str()));
        break;
      case OpKind::Linear: {
        if (n.out.f != 1 || n.out.h != 1 || n.out.w != 1)
          throw bad(fmt::format("output {} is not a vector", n.out.str()));
        long expect = long(n.out.c) * in.size();
        if (long(n.weight.size()) != expect) throw bad("weight size mismatch");
        if (long(n.bias.size()) != n.out.c) throw bad("bias size mismatch");
        break;
      }
      case OpKind::Add:
        if (nodes[size_t(n.inputs[0])].out != nodes[size_t(n.inputs[1])].out || n.out != in)
          throw bad("needs two inputs of its own shape");
        break;
      case OpKind::Concat: {
        long c = 0;
        for (int k : n.inputs) {
          const Shape& s = nodes[size_t(k)].out;
          if (s.f != n.out.f || s.h != n.out.h || s.w != n.out.w)
            throw bad(fmt::format("input {} does not match the output {} outside the channels",
                                  s.str(), n.out.str()));
          c += s.c;
        }
        if (c != n.out.c) throw bad(fmt::format("output has {} channels, its inputs {}", n.out.c, c));
        break;
      }
      case OpKind::Clip:
        if (n.out != in) throw bad(fmt::format("output {} differs from its input {}", n.out.str(), in.str()));
        if (!(n.lambda > n.clip_lo) || !std::isfinite(n.lambda) || !std::isfinite(n.clip_lo))
          throw bad(fmt::format("bounds [{}, {}] must be finite with lambda > floor", n.clip_lo,
                                n.lambda));
        break;
    }
    if (n.kind != OpKind::Conv && n.kind != OpKind::Linear && (!n.weight.empty() || !n.bias.empty()))
      throw bad("holds weights but is not a Conv or Linear");
  }
}

}  // namespace sdm
