#include "golden/ir.h"

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

void Graph::validate() const {
  if (nodes.empty() || nodes[0].kind != OpKind::Input) throw Error("graph has no input node");
  if (output < 0 || output >= int(nodes.size()) || nodes[output].kind != OpKind::Linear)
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
        if (!(n.lambda > 0)) throw bad(fmt::format("lambda = {} must be > 0", n.lambda));
        break;
      default: break;
    }
  }
}

}  // namespace sdm
