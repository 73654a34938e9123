// ONNX -> Graph IR through Debian's libonnx/protobuf. Maps what torch.onnx.export really
// emits: helper nodes (Constant, Identity, Cast, Shape arithmetic) are folded, Pad is
// absorbed by the pooling/conv after it, BatchNormalization is folded into its Conv,
// ReduceMean over all spatial axes is global pooling, Flatten/Reshape are no-ops in the
// C-order layout, MatMul + Add and Gemm become Linear.
#include "golden/onnx_import.h"

#include <array>
#include <cmath>
#include <cstring>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include <fmt/core.h>
#include <onnx/onnx_pb.h>
#include <onnx/shape_inference/implementation.h>

#include "golden/error.h"

namespace sdm {
namespace {

struct ConstTensor {
  std::vector<int64_t> dims;
  std::vector<double> data;
  long numel() const {
    long n = 1;
    for (auto d : dims) n *= d;
    return n;
  }
};

ConstTensor to_const(const onnx::TensorProto& t, const std::string& where) {
  ConstTensor c;
  for (auto d : t.dims()) c.dims.push_back(d);
  const long n = c.numel();
  if (t.data_location() == onnx::TensorProto::EXTERNAL)
    throw Error(fmt::format("{}: tensor '{}' uses external data (save the model with "
                            "weights inside the .onnx file)", where, t.name()));
  const std::string& raw = t.raw_data();
  auto need = [&](size_t bytes) {
    if (raw.size() != bytes)
      throw Error(fmt::format("{}: tensor '{}' holds {} bytes, expected {}", where, t.name(),
                              raw.size(), bytes));
  };
  c.data.resize(n);
  switch (t.data_type()) {
    case onnx::TensorProto::FLOAT:
      if (!raw.empty()) {
        need(n * 4);
        for (long i = 0; i < n; ++i) {
          float f;
          std::memcpy(&f, raw.data() + 4 * i, 4);
          c.data[i] = f;
        }
      } else {
        if (t.float_data_size() != n) throw Error(fmt::format("{}: tensor '{}' truncated", where, t.name()));
        for (long i = 0; i < n; ++i) c.data[i] = t.float_data(i);
      }
      break;
    case onnx::TensorProto::DOUBLE:
      if (!raw.empty()) {
        need(n * 8);
        for (long i = 0; i < n; ++i) std::memcpy(&c.data[i], raw.data() + 8 * i, 8);
      } else {
        if (t.double_data_size() != n) throw Error(fmt::format("{}: tensor '{}' truncated", where, t.name()));
        for (long i = 0; i < n; ++i) c.data[i] = t.double_data(i);
      }
      break;
    case onnx::TensorProto::INT64:
      if (!raw.empty()) {
        need(n * 8);
        for (long i = 0; i < n; ++i) {
          int64_t v;
          std::memcpy(&v, raw.data() + 8 * i, 8);
          c.data[i] = double(v);
        }
      } else {
        if (t.int64_data_size() != n) throw Error(fmt::format("{}: tensor '{}' truncated", where, t.name()));
        for (long i = 0; i < n; ++i) c.data[i] = double(t.int64_data(i));
      }
      break;
    case onnx::TensorProto::INT32:
      if (!raw.empty()) {
        need(n * 4);
        for (long i = 0; i < n; ++i) {
          int32_t v;
          std::memcpy(&v, raw.data() + 4 * i, 4);
          c.data[i] = v;
        }
      } else {
        if (t.int32_data_size() != n) throw Error(fmt::format("{}: tensor '{}' truncated", where, t.name()));
        for (long i = 0; i < n; ++i) c.data[i] = t.int32_data(i);
      }
      break;
    default:
      throw Error(fmt::format("{}: tensor '{}' has unsupported data type {}", where, t.name(),
                              t.data_type()));
  }
  return c;
}

// What an ONNX value name stands for.
struct Value {
  enum Kind { Tensor, Constant, ShapeValue } kind = Tensor;
  int node = -1;                            // Tensor: IR node id
  std::array<int, 3> pad_lo{}, pad_hi{};    // Tensor: pending zero padding from a Pad node
  bool flattened = false;                   // Tensor: after Flatten/Reshape to [N, -1]
  ConstTensor c;                            // Constant
};

class Importer {
 public:
  explicit Importer(const onnx::ModelProto& m) : model_(m) {}

  Graph run() {
    const auto& g = model_.graph();
    g_.name = g.name();
    for (const auto& init : g.initializer())
      values_[init.name()] = make_const(to_const(init, "initializer"));
    for (const auto& p : model_.metadata_props()) {
      if (p.key() == "sdm_input_scale") g_.input_scale = std::stof(p.value());
      if (p.key() == "sdm_input_bias") g_.input_bias = std::stof(p.value());
    }
    add_input();
    count_uses();
    for (const auto& n : g.node()) import_node(n);
    if (g.output_size() != 1)
      throw Error(fmt::format("model has {} outputs; expected one (the logits)", g.output_size()));
    const Value& out = tensor_value(g.output(0).name(), "graph output");
    g_.output = out.node;
    if (g_.nodes[g_.output].kind != OpKind::Linear)
      throw Error(fmt::format("graph output '{}' is a {}, expected a Linear (Gemm/MatMul) layer",
                              g.output(0).name(), op_name(g_.nodes[g_.output].kind)));
    prune();
    g_.validate();
    return std::move(g_);
  }

 private:
  static Value make_const(ConstTensor c) {
    Value v;
    v.kind = Value::Constant;
    v.c = std::move(c);
    return v;
  }

  void add_input() {
    const auto& g = model_.graph();
    std::set<std::string> inits;
    for (const auto& i : g.initializer()) inits.insert(i.name());
    const onnx::ValueInfoProto* in = nullptr;
    for (const auto& vi : g.input()) {
      if (inits.count(vi.name())) continue;
      if (in) throw Error(fmt::format("model has more than one input ('{}', '{}')", in->name(), vi.name()));
      in = &vi;
    }
    if (!in) throw Error("model has no input");
    const auto& shp = in->type().tensor_type().shape();
    std::vector<int64_t> d;
    for (const auto& dim : shp.dim()) d.push_back(dim.has_dim_value() ? dim.dim_value() : -1);
    Node n;
    n.name = in->name();
    n.kind = OpKind::Input;
    auto need = [&](int64_t v, const char* what) {
      if (v <= 0) throw Error(fmt::format("input '{}': dimension {} is not fixed", in->name(), what));
      return int(v);
    };
    if (d.size() == 5) {
      n.out = Shape{need(d[1], "C"), need(d[2], "F"), need(d[3], "H"), need(d[4], "W")};
    } else if (d.size() == 4) {
      n.out = Shape{need(d[1], "C"), 1, need(d[2], "H"), need(d[3], "W")};
      two_d_ = true;
    } else {
      throw Error(fmt::format("input '{}' has rank {}; expected N x C x F x H x W or N x C x H x W",
                              in->name(), d.size()));
    }
    g_.nodes.push_back(n);
    Value v;
    v.node = 0;
    values_[in->name()] = v;
  }

  void count_uses() {
    for (const auto& n : model_.graph().node())
      for (const auto& i : n.input()) ++uses_[i];
    for (const auto& o : model_.graph().output()) ++uses_[o.name()];
  }

  [[noreturn]] void fail(const onnx::NodeProto& n, const std::string& why) const {
    throw Error(fmt::format("node '{}' ({}): {}", n.name(), n.op_type(), why));
  }

  const Value& value(const onnx::NodeProto& n, int i) const {
    if (i >= n.input_size() || n.input(i).empty()) fail(n, fmt::format("missing input {}", i));
    auto it = values_.find(n.input(i));
    if (it == values_.end()) fail(n, fmt::format("input '{}' is not produced by any node", n.input(i)));
    return it->second;
  }
  const Value& tensor_value(const std::string& name, const std::string& where) const {
    auto it = values_.find(name);
    if (it == values_.end() || it->second.kind != Value::Tensor)
      throw Error(fmt::format("{}: '{}' is not a tensor computed from the input", where, name));
    return it->second;
  }
  const Value& tensor_in(const onnx::NodeProto& n, int i) const {
    const Value& v = value(n, i);
    if (v.kind != Value::Tensor) fail(n, fmt::format("input {} must be a data tensor", i));
    return v;
  }
  const ConstTensor& const_in(const onnx::NodeProto& n, int i) const {
    const Value& v = value(n, i);
    if (v.kind != Value::Constant) fail(n, fmt::format("input {} ('{}') must be a constant", i, n.input(i)));
    return v.c;
  }
  bool has_input(const onnx::NodeProto& n, int i) const {
    return i < n.input_size() && !n.input(i).empty();
  }
  const onnx::AttributeProto* attr(const onnx::NodeProto& n, const std::string& name) const {
    for (const auto& a : n.attribute())
      if (a.name() == name) return &a;
    return nullptr;
  }
  std::vector<int64_t> ints(const onnx::NodeProto& n, const std::string& name) const {
    std::vector<int64_t> r;
    if (auto* a = attr(n, name))
      for (auto v : a->ints()) r.push_back(v);
    return r;
  }
  int64_t int_attr(const onnx::NodeProto& n, const std::string& name, int64_t def) const {
    auto* a = attr(n, name);
    return a ? a->i() : def;
  }
  float float_attr(const onnx::NodeProto& n, const std::string& name, float def) const {
    auto* a = attr(n, name);
    return a ? a->f() : def;
  }
  // Spatial (t, h, w) triple from a 3-element (3D) or 2-element (2D) attribute.
  std::array<int, 3> spatial(const onnx::NodeProto& n, const std::vector<int64_t>& v, int def) const {
    if (v.empty()) return {def, def, def};
    if (v.size() == 3) return {int(v[0]), int(v[1]), int(v[2])};
    if (v.size() == 2) return {1, int(v[0]), int(v[1])};
    fail(n, fmt::format("expected 2 or 3 spatial values, got {}", v.size()));
  }
  void pads(const onnx::NodeProto& n, std::array<int, 3>& lo, std::array<int, 3>& hi) const {
    auto p = ints(n, "pads");
    lo = hi = {0, 0, 0};
    if (p.empty()) return;
    if (p.size() == 6) {
      for (int i = 0; i < 3; ++i) lo[i] = int(p[i]), hi[i] = int(p[3 + i]);
    } else if (p.size() == 4) {
      lo = {0, int(p[0]), int(p[1])};
      hi = {0, int(p[2]), int(p[3])};
    } else {
      fail(n, fmt::format("pads has {} values", p.size()));
    }
    std::string ap = attr(n, "auto_pad") ? attr(n, "auto_pad")->s() : "NOTSET";
    if (ap != "NOTSET" && ap != "VALID") fail(n, fmt::format("auto_pad {} is not supported", ap));
  }

  int add_node(Node n, const std::string& out_name) {
    g_.nodes.push_back(std::move(n));
    Value v;
    v.node = int(g_.nodes.size()) - 1;
    values_[out_name] = v;
    return v.node;
  }
  void alias(const onnx::NodeProto& n, const Value& v) {
    for (const auto& o : n.output()) values_[o] = v;
  }
  const Node& node_of(const Value& v) const { return g_.nodes.at(v.node); }

  void require_unpadded(const onnx::NodeProto& n, const Value& v) const {
    if (v.pad_lo != std::array<int, 3>{} || v.pad_hi != std::array<int, 3>{})
      fail(n, "a Pad node may only feed a Conv or AveragePool");
  }

  Shape window(const onnx::NodeProto& n, const Shape& in, const Node& w) const {
    Shape o = in;
    int dims[3] = {in.f, in.h, in.w};
    int out[3];
    for (int i = 0; i < 3; ++i) {
      if (w.kernel[i] < 1 || w.stride[i] < 1) fail(n, "kernel and stride must be >= 1");
      out[i] = window_out(dims[i], w.kernel[i], w.stride[i], w.pad_lo[i], w.pad_hi[i]);
      if (out[i] < 1) fail(n, fmt::format("window larger than the padded input {}", in.str()));
    }
    o.f = out[0], o.h = out[1], o.w = out[2];
    return o;
  }

  void import_node(const onnx::NodeProto& n) {
    const std::string& op = n.op_type();
    if (!n.domain().empty() && n.domain() != "ai.onnx")
      fail(n, fmt::format("op from domain '{}' is not supported", n.domain()));
    if (op == "Constant") return import_constant(n);
    // Shape arithmetic: any node all of whose inputs are shapes or constants computes a
    // shape or a constant; Reshape ignores it, so it needs no value.
    if (op == "Shape") return mark_shape(n);
    if (all_inputs_static(n) && (op == "Gather" || op == "Unsqueeze" || op == "Concat" ||
                                 op == "Cast" || op == "Mul" || op == "Squeeze" ||
                                 op == "Slice" || op == "Div" || op == "Add" || op == "Sub" ||
                                 op == "ConstantOfShape" || op == "Range" || op == "Equal" ||
                                 op == "Where" || op == "Expand"))
      return mark_shape(n);
    if (op == "Identity" || op == "Dropout" || op == "Cast") return alias(n, tensor_in(n, 0));
    if (op == "Conv") return import_conv(n);
    if (op == "BatchNormalization") return import_bn(n);
    if (op == "Clip") return import_clip(n);
    if (op == "Pad") return import_pad(n);
    if (op == "AveragePool") return import_avgpool(n);
    if (op == "GlobalAveragePool") return import_gap(n);
    if (op == "ReduceMean") return import_reduce_mean(n);
    if (op == "Flatten" || op == "Reshape") return import_flatten(n);
    if (op == "Gemm") return import_gemm(n);
    if (op == "MatMul") return import_matmul(n);
    if (op == "Add") return import_add(n);
    if (op == "Concat") return import_concat(n);
    if (op == "Relu")
      fail(n, "unsupported op: train with clip(x, 0, lambda) activations "
              "(python/byo_convert.py swaps ReLU for a learnable clip)");
    if (op == "MaxPool") fail(n, "unsupported op: replace MaxPool with AvgPool (Algorithm 1)");
    fail(n, "unsupported op");
  }

  bool all_inputs_static(const onnx::NodeProto& n) const {
    for (int i = 0; i < n.input_size(); ++i) {
      if (n.input(i).empty()) continue;
      auto it = values_.find(n.input(i));
      if (it == values_.end() || it->second.kind == Value::Tensor) return false;
    }
    return true;
  }
  void mark_shape(const onnx::NodeProto& n) {
    Value v;
    v.kind = Value::ShapeValue;
    for (const auto& o : n.output()) values_[o] = v;
  }

  void import_constant(const onnx::NodeProto& n) {
    auto* a = attr(n, "value");
    if (a && a->has_t()) return alias(n, make_const(to_const(a->t(), n.name())));
    if (auto* f = attr(n, "value_float")) {
      ConstTensor c;
      c.data = {f->f()};
      return alias(n, make_const(c));
    }
    if (auto* i = attr(n, "value_int")) {
      ConstTensor c;
      c.data = {double(i->i())};
      return alias(n, make_const(c));
    }
    if (auto* is = attr(n, "value_ints")) {
      ConstTensor c;
      c.dims = {is->ints_size()};
      for (auto v : is->ints()) c.data.push_back(double(v));
      return alias(n, make_const(c));
    }
    fail(n, "constant without a supported value attribute");
  }

  void import_conv(const onnx::NodeProto& n) {
    const Value& x = tensor_in(n, 0);
    const Node& src = node_of(x);
    const ConstTensor& w = const_in(n, 1);
    if (int_attr(n, "group", 1) != 1) fail(n, "grouped convolution is not supported");
    for (auto d : ints(n, "dilations"))
      if (d != 1) fail(n, "dilation other than 1 is not supported");
    Node c;
    c.name = n.name().empty() ? n.output(0) : n.name();
    c.kind = OpKind::Conv;
    c.inputs = {x.node};
    if (w.dims.size() == 4) {
      c.kernel = {1, int(w.dims[2]), int(w.dims[3])};
    } else if (w.dims.size() == 5) {
      c.kernel = {int(w.dims[2]), int(w.dims[3]), int(w.dims[4])};
    } else {
      fail(n, fmt::format("weight rank {} (expected 4 or 5)", w.dims.size()));
    }
    if (w.dims[1] != src.out.c)
      fail(n, fmt::format("weight expects {} input channels, input has {}", w.dims[1], src.out.c));
    c.stride = spatial(n, ints(n, "strides"), 1);
    pads(n, c.pad_lo, c.pad_hi);
    for (int i = 0; i < 3; ++i) c.pad_lo[i] += x.pad_lo[i], c.pad_hi[i] += x.pad_hi[i];
    c.weight.assign(w.data.begin(), w.data.end());
    c.bias.assign(size_t(w.dims[0]), 0.0f);
    if (has_input(n, 2)) {
      const ConstTensor& b = const_in(n, 2);
      if (b.numel() != w.dims[0]) fail(n, "bias size does not match output channels");
      c.bias.assign(b.data.begin(), b.data.end());
    }
    c.out = window(n, src.out, c);
    c.out.c = int(w.dims[0]);
    add_node(std::move(c), n.output(0));
  }

  void import_bn(const onnx::NodeProto& n) {
    const Value& x = tensor_in(n, 0);
    require_unpadded(n, x);
    const Node& conv = node_of(x);
    if (conv.kind != OpKind::Conv)
      fail(n, fmt::format("BatchNormalization must follow a Conv to be folded (follows {})",
                          op_name(conv.kind)));
    const ConstTensor &scale = const_in(n, 1), &bias = const_in(n, 2), &mean = const_in(n, 3),
                      &var = const_in(n, 4);
    const double eps = float_attr(n, "epsilon", 1e-5f);
    const int co = conv.out.c;
    if (scale.numel() != co || bias.numel() != co || mean.numel() != co || var.numel() != co)
      fail(n, "parameter sizes do not match the Conv's output channels");
    Node f = conv;  // a copy: the unfolded Conv is dropped if nothing else uses it
    f.name = conv.name;
    const long per = long(f.weight.size()) / co;
    for (int o = 0; o < co; ++o) {
      const double k = scale.data[o] / std::sqrt(var.data[o] + eps);
      for (long i = 0; i < per; ++i) f.weight[o * per + i] = float(f.weight[o * per + i] * k);
      f.bias[o] = float((f.bias[o] - mean.data[o]) * k + bias.data[o]);
    }
    add_node(std::move(f), n.output(0));
  }

  double scalar(const onnx::NodeProto& n, int i) const {
    const ConstTensor& c = const_in(n, i);
    if (c.numel() != 1) fail(n, fmt::format("input {} must be a scalar", i));
    return c.data[0];
  }

  void import_clip(const onnx::NodeProto& n) {
    const Value& x = tensor_in(n, 0);
    require_unpadded(n, x);
    double lo, hi;
    if (n.input_size() > 1 || attr(n, "min") == nullptr) {
      lo = has_input(n, 1) ? scalar(n, 1) : -INFINITY;
      hi = has_input(n, 2) ? scalar(n, 2) : INFINITY;
    } else {
      lo = float_attr(n, "min", -INFINITY);
      hi = float_attr(n, "max", INFINITY);
    }
    if (lo != 0.0) fail(n, fmt::format("clip minimum is {}, expected 0 (clip(x, 0, lambda))", lo));
    if (!(hi > 0.0) || !std::isfinite(hi))
      fail(n, fmt::format("clip maximum lambda = {} must be finite and > 0", hi));
    Node c;
    c.name = n.name().empty() ? n.output(0) : n.name();
    c.kind = OpKind::Clip;
    c.inputs = {x.node};
    c.out = node_of(x).out;
    c.lambda = float(hi);
    add_node(std::move(c), n.output(0));
  }

  void import_pad(const onnx::NodeProto& n) {
    Value v = tensor_in(n, 0);
    std::string mode = attr(n, "mode") ? attr(n, "mode")->s() : "constant";
    if (mode != "constant") fail(n, fmt::format("pad mode '{}' is not supported", mode));
    std::vector<int64_t> p;
    if (has_input(n, 1)) {
      for (double d : const_in(n, 1).data) p.push_back(int64_t(d));
      if (has_input(n, 2) && scalar(n, 2) != 0.0) fail(n, "only zero padding is supported");
    } else {
      p = ints(n, "pads");
      if (float_attr(n, "value", 0.f) != 0.f) fail(n, "only zero padding is supported");
    }
    const size_t r = p.size() / 2;
    if (r != (two_d_ ? 4u : 5u) || p[0] || p[1] || p[r] || p[r + 1])
      fail(n, "only spatial padding of a N x C x ... tensor is supported");
    const int off = two_d_ ? 1 : 0;
    for (size_t i = 2; i < r; ++i) {
      if (p[i] < 0 || p[r + i] < 0) fail(n, "negative padding is not supported");
      v.pad_lo[i - 2 + off] += int(p[i]);
      v.pad_hi[i - 2 + off] += int(p[r + i]);
    }
    alias(n, v);
  }

  void import_avgpool(const onnx::NodeProto& n) {
    const Value& x = tensor_in(n, 0);
    Node p;
    p.name = n.name().empty() ? n.output(0) : n.name();
    p.kind = OpKind::AvgPool;
    p.inputs = {x.node};
    p.kernel = spatial(n, ints(n, "kernel_shape"), 1);
    p.stride = spatial(n, ints(n, "strides"), 1);
    pads(n, p.pad_lo, p.pad_hi);
    if (int_attr(n, "ceil_mode", 0) != 0) fail(n, "ceil_mode=1 is not supported");
    bool padded = p.pad_lo != std::array<int, 3>{} || p.pad_hi != std::array<int, 3>{};
    if (padded && int_attr(n, "count_include_pad", 0) == 0)
      fail(n, "padding excluded from the average (count_include_pad=0) is not supported");
    // A preceding Pad node's zeros count in the divisor: that is what it computes.
    for (int i = 0; i < 3; ++i) p.pad_lo[i] += x.pad_lo[i], p.pad_hi[i] += x.pad_hi[i];
    p.out = window(n, node_of(x).out, p);
    add_node(std::move(p), n.output(0));
  }

  void add_gap(const onnx::NodeProto& n, const Value& x) {
    require_unpadded(n, x);
    Node p;
    p.name = n.name().empty() ? n.output(0) : n.name();
    p.kind = OpKind::GlobalAvgPool;
    p.inputs = {x.node};
    p.out = Shape{node_of(x).out.c, 1, 1, 1};
    add_node(std::move(p), n.output(0));
  }
  void import_gap(const onnx::NodeProto& n) { add_gap(n, tensor_in(n, 0)); }

  void import_reduce_mean(const onnx::NodeProto& n) {
    const Value& x = tensor_in(n, 0);
    std::vector<int64_t> axes = ints(n, "axes");
    if (axes.empty() && has_input(n, 1))
      for (double d : const_in(n, 1).data) axes.push_back(int64_t(d));
    const int rank = two_d_ ? 4 : 5;
    std::set<int64_t> a;
    for (auto v : axes) a.insert(v < 0 ? v + rank : v);
    std::set<int64_t> want;
    for (int i = 2; i < rank; ++i) want.insert(i);
    if (a != want) fail(n, "only the mean over all spatial axes (global pooling) is supported");
    add_gap(n, x);
    Value& v = values_[n.output(0)];
    v.flattened = int_attr(n, "keepdims", 1) == 0;
  }

  void import_flatten(const onnx::NodeProto& n) {
    Value v = tensor_in(n, 0);
    require_unpadded(n, v);
    if (n.op_type() == "Flatten" && int_attr(n, "axis", 1) != 1)
      fail(n, "only flattening from axis 1 (keep the batch) is supported");
    if (n.op_type() == "Reshape") {
      // The target must keep the batch and flatten the rest; when it is a constant we can
      // check it, when it is computed from Shape nodes shape inference checked it.
      const Value& s = value(n, 1);
      if (s.kind == Value::Constant) {
        const auto& d = s.c.data;
        long size = node_of(v).out.size();
        bool ok = d.size() == 2 && (d[1] == -1 || long(d[1]) == size);
        if (!ok) fail(n, "only a reshape to [N, -1] (flatten) is supported");
      }
      check_inferred_rank2(n);
    }
    v.flattened = true;
    alias(n, v);
  }

  void check_inferred_rank2(const onnx::NodeProto& n) const {
    for (const auto& vi : model_.graph().value_info())
      if (vi.name() == n.output(0) && vi.type().tensor_type().has_shape() &&
          vi.type().tensor_type().shape().dim_size() != 2)
        fail(n, "only a reshape to [N, -1] (flatten) is supported");
  }

  int add_linear(const onnx::NodeProto& n, const Value& x, const std::vector<float>& w_oi,
                 int out, std::vector<float> bias) {
    require_unpadded(n, x);
    const Node& src = node_of(x);
    Node l;
    l.name = n.name().empty() ? n.output(0) : n.name();
    l.kind = OpKind::Linear;
    l.inputs = {x.node};
    if (long(w_oi.size()) != long(out) * src.out.size())
      fail(n, fmt::format("weight has {} inputs per output, input has {} values",
                          long(w_oi.size()) / std::max(out, 1), src.out.size()));
    if (!x.flattened && src.out.plane() != 1)
      fail(n, fmt::format("input of shape {} must be flattened first", src.out.str()));
    l.weight = w_oi;
    l.bias = std::move(bias);
    l.out = Shape{out, 1, 1, 1};
    return add_node(std::move(l), n.output(0));
  }

  void import_gemm(const onnx::NodeProto& n) {
    const Value& x = tensor_in(n, 0);
    const ConstTensor& b = const_in(n, 1);
    if (int_attr(n, "transA", 0) != 0) fail(n, "transA=1 is not supported");
    if (b.dims.size() != 2) fail(n, "weight must be a matrix");
    const bool tb = int_attr(n, "transB", 0) != 0;
    const double alpha = float_attr(n, "alpha", 1.f), beta = float_attr(n, "beta", 1.f);
    const int out = int(tb ? b.dims[0] : b.dims[1]), in = int(tb ? b.dims[1] : b.dims[0]);
    std::vector<float> w(size_t(out) * in);
    for (int o = 0; o < out; ++o)
      for (int i = 0; i < in; ++i)
        w[size_t(o) * in + i] = float(alpha * (tb ? b.data[size_t(o) * in + i] : b.data[size_t(i) * out + o]));
    std::vector<float> bias(out, 0.f);
    if (has_input(n, 2)) {
      const ConstTensor& c = const_in(n, 2);
      if (c.numel() != out && c.numel() != 1) fail(n, "bias size does not match outputs");
      for (int o = 0; o < out; ++o) bias[o] = float(beta * c.data[c.numel() == 1 ? 0 : o]);
    }
    add_linear(n, x, w, out, bias);
  }

  void import_matmul(const onnx::NodeProto& n) {
    const Value& x = tensor_in(n, 0);
    const ConstTensor& b = const_in(n, 1);
    if (b.dims.size() != 2) fail(n, "weight must be a matrix");
    const int in = int(b.dims[0]), out = int(b.dims[1]);
    std::vector<float> w(size_t(out) * in);
    for (int o = 0; o < out; ++o)
      for (int i = 0; i < in; ++i) w[size_t(o) * in + i] = float(b.data[size_t(i) * out + o]);
    add_linear(n, x, w, out, std::vector<float>(out, 0.f));
  }

  void import_add(const onnx::NodeProto& n) {
    const Value& a = value(n, 0);
    const Value& b = value(n, 1);
    if (a.kind == Value::Tensor && b.kind == Value::Tensor) {
      require_unpadded(n, a);
      require_unpadded(n, b);
      if (node_of(a).out != node_of(b).out)
        fail(n, fmt::format("shapes {} and {} differ", node_of(a).out.str(), node_of(b).out.str()));
      Node s;
      s.name = n.name().empty() ? n.output(0) : n.name();
      s.kind = OpKind::Add;
      s.inputs = {a.node, b.node};
      s.out = node_of(a).out;
      Value v;
      v.node = add_node(std::move(s), n.output(0));
      v.flattened = a.flattened || b.flattened;
      values_[n.output(0)] = v;
      return;
    }
    // Tensor + constant: a bias, folded into the Linear/Conv that made the tensor.
    const int ti = a.kind == Value::Tensor ? 0 : 1;
    const Value& t = value(n, ti);
    const Value& c = value(n, 1 - ti);
    if (t.kind != Value::Tensor || c.kind != Value::Constant) fail(n, "unsupported operands");
    Node f = node_of(t);
    if ((f.kind != OpKind::Linear && f.kind != OpKind::Conv) || uses_[n.input(ti)] > 1)
      fail(n, "a constant may only be added to the output of a Linear or Conv");
    const long co = f.out.c;
    if (c.c.numel() != co && c.c.numel() != 1) fail(n, "constant size does not match channels");
    for (long o = 0; o < co; ++o) f.bias[o] += float(c.c.data[c.c.numel() == 1 ? 0 : o]);
    Value v = t;
    v.node = add_node(std::move(f), n.output(0));
    values_[n.output(0)] = v;
  }

  void import_concat(const onnx::NodeProto& n) {
    const int rank = two_d_ ? 4 : 5;
    int64_t axis = int_attr(n, "axis", 1);
    if (axis < 0) axis += rank;
    Node c;
    c.name = n.name().empty() ? n.output(0) : n.name();
    c.kind = OpKind::Concat;
    bool flat = false;
    for (int i = 0; i < n.input_size(); ++i) {
      const Value& v = tensor_in(n, i);
      require_unpadded(n, v);
      flat = flat || v.flattened;
      const Shape& s = node_of(v).out;
      if (i == 0) c.out = s, c.out.c = 0;
      if (s.f != c.out.f || s.h != c.out.h || s.w != c.out.w)
        fail(n, fmt::format("inputs of shapes {} and {} cannot be concatenated on channels",
                            node_of(tensor_in(n, 0)).out.str(), s.str()));
      c.out.c += s.c;
      c.inputs.push_back(v.node);
    }
    if (axis != 1) fail(n, fmt::format("concat on axis {} is not supported (channels only)", axis));
    Value v;
    v.node = add_node(std::move(c), n.output(0));
    v.flattened = flat;
    values_[n.output(0)] = v;
  }

  // Drops nodes the output does not depend on (e.g. a Conv whose BN-folded copy is used)
  // and renumbers the rest.
  void prune() {
    std::vector<char> live(g_.nodes.size(), 0);
    live[0] = 1;
    std::vector<int> stack{g_.output};
    while (!stack.empty()) {
      int i = stack.back();
      stack.pop_back();
      if (live[i]) continue;
      live[i] = 1;
      for (int in : g_.nodes[i].inputs) stack.push_back(in);
    }
    std::vector<int> remap(g_.nodes.size(), -1);
    std::vector<Node> kept;
    for (size_t i = 0; i < g_.nodes.size(); ++i) {
      if (!live[i]) continue;
      remap[i] = int(kept.size());
      Node n = std::move(g_.nodes[i]);
      for (int& in : n.inputs) in = remap[in];
      kept.push_back(std::move(n));
    }
    g_.output = remap[g_.output];
    g_.nodes = std::move(kept);
  }

  const onnx::ModelProto& model_;
  Graph g_;
  std::map<std::string, Value> values_;
  std::map<std::string, int> uses_;
  bool two_d_ = false;
};

}  // namespace

Graph import_onnx(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) throw Error(fmt::format("cannot open ONNX model '{}'", path));
  std::stringstream ss;
  ss << f.rdbuf();
  return import_onnx_bytes(ss.str(), path);
}

Graph import_onnx_bytes(const std::string& bytes, const std::string& label) {
  onnx::ModelProto model;
  if (bytes.empty() || !model.ParseFromString(bytes))
    throw Error(fmt::format("'{}' is not a valid ONNX model (protobuf parse failed)", label));
  if (!model.has_graph() || model.graph().node_size() == 0)
    throw Error(fmt::format("'{}' holds no graph", label));
  try {
    onnx::shape_inference::InferShapes(model);
  } catch (const std::exception& e) {
    std::string msg = e.what();
    if (auto p = msg.find('\n'); p != std::string::npos) msg = msg.substr(0, p);
    throw Error(fmt::format("'{}': ONNX shape inference failed: {}", label, msg));
  }
  Graph g = Importer(model).run();
  if (g.name.empty()) g.name = label;
  return g;
}

}  // namespace sdm
