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

void Graph::validate(bool logits) const {
  if (nodes.empty() || nodes[0].kind != OpKind::Input) throw Error("graph has no input node");
  if (output < 0 || output >= int(nodes.size()))
    throw Error("graph has no output node");
  if (logits && nodes[output].kind != OpKind::Linear)
    throw Error("graph output is not a Linear (Gemm/MatMul) layer");
  for (size_t i = 0; i < nodes.size(); ++i) {
    const Node& n = nodes[i];
    auto bad = [&](const std::string& why) {
      return Error(fmt::format("node '{}' ({}): {}", n.name, op_name(n.kind), why));
    };
    for (int in : n.inputs)
      if (in < 0 || in >= int(i)) throw bad("input is not an earlier node");
    if (n.out.c <= 0 || n.out.f <= 0 || n.out.h <= 0 || n.out.w <= 0)
      throw bad("empty output shape " + n.out.str());
    switch (n.kind) {
      case OpKind::Input: if (i != 0) throw bad("second input"); break;
      case OpKind::Conv: {
        const Shape& s = nodes[n.inputs.at(0)].out;
        long expect = long(n.out.c) * s.c * n.kernel[0] * n.kernel[1] * n.kernel[2];
        if (long(n.weight.size()) != expect) throw bad("weight size mismatch");
        if (long(n.bias.size()) != n.out.c) throw bad("bias size mismatch");
        break;
      }
      case OpKind::Linear: {
        long expect = long(n.out.c) * nodes[n.inputs.at(0)].out.size();
        if (long(n.weight.size()) != expect) throw bad("weight size mismatch");
        if (long(n.bias.size()) != n.out.c) throw bad("bias size mismatch");
        break;
      }
      case OpKind::Add:
        if (n.inputs.size() != 2 || nodes[n.inputs[0]].out != nodes[n.inputs[1]].out)
          throw bad("needs two inputs of one shape");
        break;
      case OpKind::Clip:
        if (!(n.lambda > n.clip_lo) || !std::isfinite(n.lambda) || !std::isfinite(n.clip_lo))
          throw bad(fmt::format("bounds [{}, {}] must be finite with lambda > floor", n.clip_lo,
                                n.lambda));
        break;
      default: break;
    }
  }
}

}  // namespace sdm
