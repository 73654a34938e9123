// ONNX -> Graph IR through Debian's libonnx/protobuf (docs/onnx-import.md).
//
// Four passes over what torch.onnx.export writes:
// 1. external data is read into the model (relative to the model file);
// 2. ONNX shape inference annotates every value;
// 3. one walk in topological order: a node all of whose inputs are constants is evaluated
//    (onnx_fold.cc), `Shape` of a data tensor folds to its static shape, and every other
//    node is mapped onto the IR (Pad is absorbed by the Conv/AveragePool after it, BN is
//    folded into its Conv, Relu/Max/Min/Clip bounds meet in one Clip, Flatten / Reshape /
//    Squeeze / Unsqueeze are views of the C-order layout);
// 4. every mapped value's shape is compared with ONNX shape inference, so an attribute the
//    mapping ignored can never compute silently: it is an error naming the node.
#include "golden/onnx_import.h"

#include <array>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include <fmt/core.h>
#include <fmt/format.h>
#include <onnx/onnx_pb.h>

#include "golden/error.h"
#include "golden/onnx_fold.h"
#include "golden/onnx_infer.h"

namespace sdm {
namespace {

namespace fs = std::filesystem;
using Dims = std::vector<int64_t>;

// Largest tensor (values per clip) a model may ask for; each dimension is at most 2^20.
constexpr int64_t kMaxTensorValues = int64_t(1) << 28;

std::string dims_str(const Dims& d) { return fmt::format("[{}]", fmt::join(d, ", ")); }

// Reads every EXTERNAL tensor's bytes into raw_data (initializers and Constant values).
class ExternalData {
 public:
  ExternalData(const std::string& base, const std::string& label) : base_(base), label_(label) {}

  void resolve(onnx::TensorProto& t) {
    if (t.data_location() != onnx::TensorProto::EXTERNAL) return;
    std::string location;
    int64_t offset = 0, length = -1;
    for (const auto& kv : t.external_data()) {
      if (kv.key() == "location") location = kv.value();
      else if (kv.key() == "offset") offset = parse_int(t, kv.key(), kv.value());
      else if (kv.key() == "length") length = parse_int(t, kv.key(), kv.value());
    }
    if (base_.empty())
      throw Error(fmt::format("'{}': tensor '{}' uses external data ('{}'), which needs the model "
                              "to be read from its file", label_, t.name(), location));
    const fs::path rel(location);
    bool escapes = location.empty() || rel.is_absolute();
    for (const auto& part : rel) escapes = escapes || part == "..";
    if (escapes)
      throw Error(fmt::format("'{}': tensor '{}': external data location '{}' must be a file "
                              "beside the model", label_, t.name(), location));
    const fs::path file = fs::path(base_) / rel;
    std::error_code ec;
    const auto size = fs::file_size(file, ec);
    if (ec || !fs::is_regular_file(file))
      throw Error(fmt::format("tensor '{}': external data file '{}' cannot be read", t.name(),
                              file.string()));
    if (length < 0) length = int64_t(size) - offset;
    if (offset < 0 || length < 0 || uint64_t(offset) + uint64_t(length) > size)
      throw Error(fmt::format("tensor '{}': external data file '{}' has {} bytes, the tensor "
                              "needs bytes {}..{}", t.name(), file.string(), size, offset,
                              offset + std::max<int64_t>(length, 0)));
    std::ifstream f(file, std::ios::binary);
    std::string bytes(size_t(length), '\0');
    f.seekg(offset);
    if (!f.read(bytes.data(), length))
      throw Error(fmt::format("tensor '{}': reading external data file '{}' failed", t.name(),
                              file.string()));
    t.set_raw_data(std::move(bytes));
    t.clear_external_data();
    t.set_data_location(onnx::TensorProto::DEFAULT);
  }

  void resolve(onnx::GraphProto& g) {
    for (auto& init : *g.mutable_initializer()) resolve(init);
    for (auto& n : *g.mutable_node())
      for (auto& a : *n.mutable_attribute()) {
        if (a.has_t()) resolve(*a.mutable_t());
        if (a.has_g()) resolve(*a.mutable_g());
      }
  }

 private:
  int64_t parse_int(const onnx::TensorProto& t, const std::string& key, const std::string& v) const {
    char* end = nullptr;
    errno = 0;
    const long long r = std::strtoll(v.c_str(), &end, 10);
    if (v.empty() || *end || errno || r < 0)
      throw Error(fmt::format("'{}': tensor '{}': external data {} '{}' is not a byte count",
                              label_, t.name(), key, v));
    return r;
  }

  std::string base_, label_;
};

// What an ONNX value name stands for: a tensor computed from the input (an IR node seen
// through a logical ONNX shape, with a pending Pad and pending clip bounds), or a constant.
struct Value {
  enum Kind { Tensor, Constant } kind = Tensor;
  int node = -1;
  Dims dims;                              // ONNX shape with the batch bound (Tensor)
  std::array<int, 3> pad_lo{}, pad_hi{};  // zero padding from a Pad node not yet applied
  // Bounds from Relu / Max / Min / one-sided Clip waiting for the other side.
  bool has_lo = false, has_hi = false;
  double lo = 0, hi = 0;
  std::string bound_from;                 // the node that set them (for errors)
  ConstTensor c;                          // Constant
  bool pending() const { return has_lo || has_hi; }
};

class Importer {
 public:
  Importer(const onnx::ModelProto& m, const ImportOptions& opt) : model_(m), opt_(opt) {}

  Graph run() {
    const auto& g = model_.graph();
    g_.name = g.name();
    for (const auto& init : g.initializer())
      values_[init.name()] = make_const(decode_tensor(init, "initializer"));
    read_metadata();
    collect_inferred();
    add_input();
    for (const auto& n : g.node()) {
      import_node(n);
      for (const auto& o : n.output()) check_inferred(n, o);
    }
    if (g.output_size() != 1)
      throw Error(fmt::format("model has {} outputs; expected one (the logits)", g.output_size()));
    const std::string& out_name = g.output(0).name();
    auto it = values_.find(out_name);
    if (it == values_.end() || it->second.kind != Value::Tensor)
      throw Error(fmt::format("graph output '{}' is not a tensor computed from the input", out_name));
    require_plain(it->second, "graph output '" + out_name + "'");
    g_.output = it->second.node;
    if (!opt_.any_output && g_.nodes[g_.output].kind != OpKind::Linear)
      throw Error(fmt::format("graph output '{}' is a {}, expected a Linear (Gemm/MatMul) layer",
                              out_name, op_name(g_.nodes[g_.output].kind)));
    prune();
    check_finite();
    g_.validate(!opt_.any_output);
    return std::move(g_);
  }

 private:
  static Value make_const(ConstTensor c) {
    Value v;
    v.kind = Value::Constant;
    v.c = std::move(c);
    return v;
  }

  // sdm_input_scale / sdm_input_bias: a uint8 pixel p enters as p * scale + bias.
  void read_metadata() {
    for (const auto& p : model_.metadata_props()) {
      const bool scale = p.key() == "sdm_input_scale";
      if (!scale && p.key() != "sdm_input_bias") continue;
      const char* s = p.value().c_str();
      char* end = nullptr;
      const double v = std::strtod(s, &end);
      if (p.value().empty() || *end || !std::isfinite(v) || (scale && !(v > 0)))
        throw Error(fmt::format("metadata {} = '{}' must be a finite number{}", p.key(), p.value(),
                                scale ? " > 0" : ""));
      (scale ? g_.input_scale : g_.input_bias) = float(v);
    }
  }

  // ONNX shape inference's shape per value name (graph inputs, value_info, outputs).
  void collect_inferred() {
    const auto& g = model_.graph();
    auto take = [&](const onnx::ValueInfoProto& vi) {
      if (vi.type().has_tensor_type() && vi.type().tensor_type().has_shape())
        inferred_[vi.name()] = &vi.type().tensor_type().shape();
    };
    for (const auto& vi : g.value_info()) take(vi);
    for (const auto& vi : g.output()) take(vi);
  }

  // Compares a mapped value's shape with shape inference: every dimension inference fixed
  // must match (symbolic dimensions, e.g. a dynamic batch, are skipped).
  void check_inferred(const onnx::NodeProto& n, const std::string& name) const {
    auto vi = inferred_.find(name);
    auto v = values_.find(name);
    if (vi == inferred_.end() || v == values_.end() || name.empty()) return;
    const Dims& mine = v->second.kind == Value::Tensor ? v->second.dims : v->second.c.dims;
    const auto& shp = *vi->second;
    bool ok = shp.dim_size() == int(mine.size());
    Dims theirs;
    for (int i = 0; i < shp.dim_size(); ++i) {
      const auto& d = shp.dim(i);
      theirs.push_back(d.has_dim_value() ? d.dim_value() : -1);
      if (ok && d.has_dim_value() && d.dim_value() != mine[size_t(i)]) ok = false;
    }
    if (!ok)
      fail(n, fmt::format("output '{}' computes shape {} but ONNX shape inference gives {} "
                          "(-1: symbolic)", name, dims_str(mine), dims_str(theirs)));
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
    const int et = in->type().tensor_type().elem_type();
    if (et != onnx::TensorProto::FLOAT)
      throw Error(fmt::format("input '{}' has element type {}; expected FLOAT", in->name(), dtype_name(et)));
    const auto& shp = in->type().tensor_type().shape();
    Dims d;
    for (int i = 0; i < shp.dim_size(); ++i) {
      const auto& dim = shp.dim(i);
      const int64_t v = dim.has_dim_value() ? dim.dim_value() : 0;
      if (i == 0) {
        // The batch: symbolic or fixed, every sample is computed alone (bound to 1 when
        // symbolic, as `Shape` folding assumes).
        if (v < 0 || v > (1 << 20))
          throw Error(fmt::format("input '{}': batch dimension {} is out of range", in->name(), v));
        d.push_back(v > 0 ? v : 1);
        continue;
      }
      if (v <= 0 || v > (1 << 20))
        throw Error(fmt::format("input '{}': dimension {} is {} (must be fixed, 1..{})", in->name(),
                                i, dim.has_dim_value() ? fmt::format("{}", v) : "symbolic", 1 << 20));
      d.push_back(v);
    }
    int64_t values = 1;
    for (size_t i = 1; i < d.size(); ++i) {
      values *= d[i];
      if (values > kMaxTensorValues)
        throw Error(fmt::format("input '{}' of shape {} is too large (more than {} values)", in->name(),
                                dims_str(d), kMaxTensorValues));
    }
    Node n;
    n.name = in->name();
    n.kind = OpKind::Input;
    if (d.size() == 5) {
      n.out = Shape{int(d[1]), int(d[2]), int(d[3]), int(d[4])};
    } else if (d.size() == 4) {
      n.out = Shape{int(d[1]), 1, int(d[2]), int(d[3])};
      two_d_ = true;
    } else if (d.size() == 2) {
      n.out = Shape{int(d[1]), 1, 1, 1};  // N x features: a network of Linear layers
    } else {
      throw Error(fmt::format("input '{}' has rank {}; expected N x C x F x H x W, N x C x H x W "
                              "or N x features", in->name(), d.size()));
    }
    g_.nodes.push_back(n);
    Value v;
    v.node = 0;
    v.dims = d;
    values_[in->name()] = v;
  }

  [[noreturn]] void fail(const onnx::NodeProto& n, const std::string& why) const {
    throw Error(fmt::format("node '{}' ({}): {}", n.name(), n.op_type(), why));
  }

  // --- inputs and attributes -------------------------------------------------------
  const Value& value(const onnx::NodeProto& n, int i) const {
    if (i >= n.input_size() || n.input(i).empty()) fail(n, fmt::format("missing input {}", i));
    auto it = values_.find(n.input(i));
    if (it == values_.end()) fail(n, fmt::format("input '{}' is not produced by any node", n.input(i)));
    return it->second;
  }
  bool has_input(const onnx::NodeProto& n, int i) const {
    return i < n.input_size() && !n.input(i).empty();
  }
  // A data tensor whose pending bounds and padding have been settled.
  const Value& tensor_in(const onnx::NodeProto& n, int i, bool allow_pad = false) const {
    const Value& v = value(n, i);
    if (v.kind != Value::Tensor) fail(n, fmt::format("input {} must be a data tensor", i));
    require_plain(v, fmt::format("node '{}' ({})", n.name(), n.op_type()));
    if (!allow_pad && (v.pad_lo != std::array<int, 3>{} || v.pad_hi != std::array<int, 3>{}))
      fail(n, "a Pad node may only feed a Conv or AveragePool");
    return v;
  }
  const ConstTensor& const_in(const onnx::NodeProto& n, int i) const {
    const Value& v = value(n, i);
    if (v.kind != Value::Constant) fail(n, fmt::format("input {} ('{}') must be a constant", i, n.input(i)));
    return v.c;
  }
  void require_plain(const Value& v, const std::string& where) const {
    if (!v.pending()) return;
    if (v.has_lo)
      throw Error(fmt::format("{}: its input is bounded below by {} at '{}' but has no upper bound "
                              "lambda: write the activation as clip(x, 0, lambda) (Clip, or Min "
                              "after Relu / Max)", where, v.lo, v.bound_from));
    throw Error(fmt::format("{}: its input is bounded above by {} at '{}' but has no lower bound "
                            "0: write the activation as clip(x, 0, lambda)", where, v.hi, v.bound_from));
  }
  const onnx::AttributeProto* attr(const onnx::NodeProto& n, const std::string& name) const {
    for (const auto& a : n.attribute())
      if (a.name() == name) return &a;
    return nullptr;
  }
  Dims ints(const onnx::NodeProto& n, const std::string& name) const {
    Dims r;
    if (auto* a = attr(n, name)) r.assign(a->ints().begin(), a->ints().end());
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
  std::string str_attr(const onnx::NodeProto& n, const std::string& name, const char* def) const {
    auto* a = attr(n, name);
    return a ? a->s() : def;
  }
  double scalar(const onnx::NodeProto& n, int i) const {
    const ConstTensor& c = const_in(n, i);
    if (c.numel() != 1) fail(n, fmt::format("input {} must hold one value (has {})", i, c.numel()));
    return c.data[0];
  }
  int spatial_rank() const { return two_d_ ? 4 : 5; }
  // Spatial (t, h, w) triple from a 3-element (3D) or 2-element (2D) attribute; `def` is
  // the value of an absent attribute and of a 2D network's t axis (1 for kernels and
  // strides, 0 for padding).
  std::array<int, 3> spatial(const onnx::NodeProto& n, const Dims& v, int def, const char* what) const {
    for (auto x : v)
      if (x < 0 || x > (1 << 16)) fail(n, fmt::format("{} value {} is out of range", what, x));
    if (v.empty()) return {def, def, def};
    if (v.size() == 3 && !two_d_) return {int(v[0]), int(v[1]), int(v[2])};
    if (v.size() == 2 && two_d_) return {def, int(v[0]), int(v[1])};
    fail(n, fmt::format("{} has {} values; expected {} for a {}D network", what, v.size(),
                        two_d_ ? 2 : 3, two_d_ ? 2 : 3));
  }
  void require_spatial(const onnx::NodeProto& n, const Value& v) const {
    if (int(v.dims.size()) != spatial_rank())
      fail(n, fmt::format("input of shape {} is not an N x C x {} tensor", dims_str(v.dims),
                          two_d_ ? "H x W" : "F x H x W"));
  }
  // ONNX dims of an IR shape in this network's layout.
  Dims layout_dims(int64_t batch, const Shape& s) const {
    if (two_d_) return {batch, s.c, s.h, s.w};
    return {batch, s.c, s.f, s.h, s.w};
  }

  // Explicit `pads` or `auto_pad` of a Conv / AveragePool on input `in` (window k, stride s).
  void window_pads(const onnx::NodeProto& n, const Shape& in, Node& w) const {
    const std::string ap = str_attr(n, "auto_pad", "NOTSET");
    w.pad_lo = w.pad_hi = {0, 0, 0};
    if (ap == "NOTSET") {
      Dims p = ints(n, "pads");
      if (p.empty()) return;
      if (p.size() % 2) fail(n, fmt::format("pads has {} values", p.size()));
      auto lo = spatial(n, Dims(p.begin(), p.begin() + long(p.size() / 2)), 0, "pads");
      auto hi = spatial(n, Dims(p.begin() + long(p.size() / 2), p.end()), 0, "pads");
      w.pad_lo = lo, w.pad_hi = hi;
      return;
    }
    if (ap == "VALID") return;
    if (ap != "SAME_UPPER" && ap != "SAME_LOWER") fail(n, fmt::format("auto_pad '{}' is unknown", ap));
    // SAME: output = ceil(input / stride); the padding that needs is split with the odd
    // one at the end (SAME_UPPER) or at the start (SAME_LOWER).
    const int dims[3] = {in.f, in.h, in.w};
    for (int i = 0; i < 3; ++i) {
      const int out = (dims[i] + w.stride[i] - 1) / w.stride[i];
      const int total = std::max(0, (out - 1) * w.stride[i] + w.kernel[i] - dims[i]);
      const int small = total / 2, big = total - small;
      w.pad_lo[i] = ap == "SAME_UPPER" ? small : big;
      w.pad_hi[i] = ap == "SAME_UPPER" ? big : small;
    }
  }
  // The IR shape of a tensor with a pending Pad node's zeros added.
  Shape padded_shape(const Value& x) const {
    Shape s = node_of(x).out;
    s.f += x.pad_lo[0] + x.pad_hi[0];
    s.h += x.pad_lo[1] + x.pad_hi[1];
    s.w += x.pad_lo[2] + x.pad_hi[2];
    return s;
  }
  void no_dilation(const onnx::NodeProto& n) const {
    for (auto d : ints(n, "dilations"))
      if (d != 1) fail(n, fmt::format("dilation {} is not supported (only 1)", d));
  }

  Shape window(const onnx::NodeProto& n, const Shape& in, const Node& w) const {
    Shape o = in;
    const int dims[3] = {in.f, in.h, in.w};
    int out[3];
    for (int i = 0; i < 3; ++i) {
      if (w.kernel[i] < 1 || w.stride[i] < 1) fail(n, "kernel and stride must be >= 1");
      out[i] = window_out(dims[i], w.kernel[i], w.stride[i], w.pad_lo[i], w.pad_hi[i]);
      if (dims[i] + w.pad_lo[i] + w.pad_hi[i] < w.kernel[i] || out[i] < 1)
        fail(n, fmt::format("window larger than the padded input {}", in.str()));
    }
    o.f = out[0], o.h = out[1], o.w = out[2];
    return o;
  }

  // --- values ----------------------------------------------------------------------
  int add_node(Node n, const std::string& out_name, Dims dims) {
    // Every tensor is held in memory per clip: refuse one no evaluation could allocate.
    const double values = double(n.out.c) * n.out.f * n.out.h * n.out.w;  // no overflow
    if (values > double(kMaxTensorValues) || n.out.c <= 0 || n.out.f <= 0 || n.out.h <= 0 || n.out.w <= 0)
      throw Error(fmt::format("node '{}' ({}): output shape {} is empty or larger than {} values", n.name,
                              op_name(n.kind), n.out.str(), kMaxTensorValues));
    g_.nodes.push_back(std::move(n));
    Value v;
    v.node = int(g_.nodes.size()) - 1;
    v.dims = std::move(dims);
    values_[out_name] = v;
    return v.node;
  }
  void alias(const onnx::NodeProto& n, const Value& v) {
    for (const auto& o : n.output())
      if (!o.empty()) values_[o] = v;
  }
  const Node& node_of(const Value& v) const { return g_.nodes.at(size_t(v.node)); }
  std::string node_name(const onnx::NodeProto& n) const {
    return n.name().empty() ? n.output(0) : n.name();
  }

  // --- the walk --------------------------------------------------------------------
  void import_node(const onnx::NodeProto& n) {
    const std::string& op = n.op_type();
    if (!n.domain().empty() && n.domain() != "ai.onnx")
      fail(n, fmt::format("op from domain '{}' is not supported", n.domain()));
    if (n.output_size() < 1) fail(n, "node has no output");
    if (try_fold(n)) return;
    if (op == "Shape" || op == "Size") return shape_of_tensor(n);
    if (op == "Identity" || op == "Dropout") return import_identity(n);
    if (op == "Cast") return import_cast(n);
    if (op == "Conv") return import_conv(n);
    if (op == "BatchNormalization") return import_bn(n);
    if (op == "Clip") return import_clip(n);
    if (op == "Relu") return bound(n, tensor_value(n, 0), true, 0.0);
    if (op == "Max" || op == "Min") return import_minmax(n);
    if (op == "Pad") return import_pad(n);
    if (op == "AveragePool") return import_avgpool(n);
    if (op == "GlobalAveragePool") return import_gap(n);
    if (op == "ReduceMean") return import_reduce_mean(n);
    if (op == "Flatten" || op == "Reshape" || op == "Squeeze" || op == "Unsqueeze")
      return import_view(n);
    if (op == "Gemm") return import_gemm(n);
    if (op == "MatMul") return import_matmul(n);
    if (op == "Add") return import_add(n);
    if (op == "Concat") return import_concat(n);
    if (op == "MaxPool") fail(n, "unsupported op: replace MaxPool with AvgPool (Algorithm 1)");
    fail(n, "unsupported op");
  }

  // A node all of whose inputs are constants is evaluated now.
  bool try_fold(const onnx::NodeProto& n) {
    std::vector<const ConstTensor*> in;
    for (int i = 0; i < n.input_size(); ++i) {
      if (n.input(i).empty()) {
        in.push_back(nullptr);
        continue;
      }
      auto it = values_.find(n.input(i));
      if (it == values_.end()) fail(n, fmt::format("input '{}' is not produced by any node", n.input(i)));
      if (it->second.kind != Value::Constant) return false;
      in.push_back(&it->second.c);
    }
    std::vector<ConstTensor> out;
    if (!fold_node(n, in, out)) {
      if (n.input_size() == 0) fail(n, "unsupported op");
      fail(n, "unsupported op on constant inputs (it cannot be folded)");
    }
    for (size_t i = 0; i < out.size() && int(i) < n.output_size(); ++i)
      if (!n.output(int(i)).empty()) values_[n.output(int(i))] = make_const(std::move(out[i]));
    return true;
  }

  // A tensor input that may carry pending bounds (Relu / Min / Max / Clip chain).
  const Value& tensor_value(const onnx::NodeProto& n, int i) const {
    const Value& v = value(n, i);
    if (v.kind != Value::Tensor) fail(n, fmt::format("input {} must be a data tensor", i));
    if (v.pad_lo != std::array<int, 3>{} || v.pad_hi != std::array<int, 3>{})
      fail(n, "a Pad node may only feed a Conv or AveragePool");
    return v;
  }

  void shape_of_tensor(const onnx::NodeProto& n) {
    const Value& v = value(n, 0);
    ConstTensor t;
    t.dims = v.dims;  // a data tensor: its static shape with the batch bound (no values)
    std::vector<ConstTensor> out;
    fold_node(n, {&t}, out);
    values_[n.output(0)] = make_const(std::move(out.at(0)));
  }

  void import_identity(const onnx::NodeProto& n) {
    if (n.op_type() == "Dropout")
      dropout_is_identity(n, has_input(n, 1) ? &const_in(n, 1) : nullptr,
                          has_input(n, 2) ? &const_in(n, 2) : nullptr);
    Value v = value(n, 0);
    Value out = v;
    alias(n, out);
    if (n.op_type() == "Dropout" && n.output_size() > 1 && !n.output(1).empty())
      fail(n, "the dropout mask output is not supported");
  }

  void import_cast(const onnx::NodeProto& n) {
    const auto* a = attr(n, "to");
    const int to = a ? int(a->i()) : 0;
    if (to != onnx::TensorProto::FLOAT && to != onnx::TensorProto::DOUBLE)
      fail(n, fmt::format("cast of a data tensor to {} is not supported (the network computes "
                          "in float)", dtype_name(to)));
    alias(n, value(n, 0));
  }

  // --- clip in every form ----------------------------------------------------------
  // Records a lower (Relu, Max, Clip min) or upper (Min, Clip max) bound; when both are
  // known the IR Clip is made.
  void bound(const onnx::NodeProto& n, const Value& x, bool lower, double b) {
    Value v = x;
    if (lower) {
      v.lo = v.has_lo ? std::max(v.lo, b) : b;
      v.has_lo = true;
    } else {
      v.hi = v.has_hi ? std::min(v.hi, b) : b;
      v.has_hi = true;
    }
    v.bound_from = node_name(n);
    if (v.has_lo && v.has_hi) return make_clip(n, v);
    alias(n, v);
  }
  void make_clip(const onnx::NodeProto& n, const Value& v) {
    if (!(v.hi > v.lo) || !std::isfinite(v.hi) || !std::isfinite(v.lo))
      fail(n, fmt::format("clip bounds [{}, {}] must be finite with max > min", v.lo, v.hi));
    Node c;
    c.name = node_name(n);
    c.kind = OpKind::Clip;
    c.inputs = {v.node};
    c.out = node_of(v).out;
    c.lambda = float(v.hi);
    c.clip_lo = float(v.lo);
    add_node(std::move(c), n.output(0), v.dims);
  }

  void import_clip(const onnx::NodeProto& n) {
    const Value& x = tensor_value(n, 0);
    bool has_lo, has_hi;
    double lo = 0, hi = 0;
    if (n.input_size() > 1 || (!attr(n, "min") && !attr(n, "max"))) {  // opset >= 11
      has_lo = has_input(n, 1);
      has_hi = has_input(n, 2);
      if (has_lo) lo = scalar(n, 1);
      if (has_hi) hi = scalar(n, 2);
    } else {  // opset 6: attributes
      has_lo = attr(n, "min") != nullptr;
      has_hi = attr(n, "max") != nullptr;
      lo = float_attr(n, "min", 0.f);
      hi = float_attr(n, "max", 0.f);
    }
    if (!has_lo && !has_hi) return alias(n, x);  // no bounds: the identity
    Value v = x;
    if (has_lo) v.lo = v.has_lo ? std::max(v.lo, lo) : lo, v.has_lo = true;
    if (has_hi) v.hi = v.has_hi ? std::min(v.hi, hi) : hi, v.has_hi = true;
    v.bound_from = node_name(n);
    if (v.has_lo && v.has_hi) return make_clip(n, v);
    alias(n, v);
  }

  // Max(x, c) / Min(x, c) with one data tensor and one scalar constant.
  void import_minmax(const onnx::NodeProto& n) {
    if (n.input_size() != 2) fail(n, "only Min/Max of a data tensor and one constant is supported");
    const int ti = value(n, 0).kind == Value::Tensor ? 0 : 1;
    const Value& x = tensor_value(n, ti);
    if (value(n, 1 - ti).kind != Value::Constant)
      fail(n, "only Min/Max of a data tensor and one constant is supported");
    const ConstTensor& c = const_in(n, 1 - ti);
    if (c.numel() != 1 || c.dims.size() > x.dims.size())
      fail(n, fmt::format("the bound must be one value (has shape {})", dims_str(c.dims)));
    bound(n, x, n.op_type() == "Max", c.data[0]);
  }

  // --- layers ----------------------------------------------------------------------
  void import_conv(const onnx::NodeProto& n) {
    const Value& x = tensor_in(n, 0, true);
    require_spatial(n, x);
    const Node& src = node_of(x);
    const ConstTensor& w = const_in(n, 1);
    if (int_attr(n, "group", 1) != 1) fail(n, "grouped convolution is not supported");
    no_dilation(n);
    if (int(w.dims.size()) != spatial_rank())
      fail(n, fmt::format("weight of shape {} does not match the {}D input", dims_str(w.dims),
                          two_d_ ? 2 : 3));
    Node c;
    c.name = node_name(n);
    c.kind = OpKind::Conv;
    c.inputs = {x.node};
    c.kernel = spatial(n, Dims(w.dims.begin() + 2, w.dims.end()), 1, "weight shape");
    if (auto ks = ints(n, "kernel_shape"); !ks.empty() && spatial(n, ks, 1, "kernel_shape") != c.kernel)
      fail(n, "kernel_shape does not match the weight");
    if (w.dims[1] != src.out.c)
      fail(n, fmt::format("weight expects {} input channels, input has {}", w.dims[1], src.out.c));
    c.stride = spatial(n, ints(n, "strides"), 1, "strides");
    window_pads(n, padded_shape(x), c);
    for (int i = 0; i < 3; ++i) c.pad_lo[i] += x.pad_lo[i], c.pad_hi[i] += x.pad_hi[i];
    c.weight = floats(n, w, "weight");
    c.bias.assign(size_t(w.dims[0]), 0.0f);
    if (has_input(n, 2)) {
      const ConstTensor& b = const_in(n, 2);
      if (b.numel() != w.dims[0]) fail(n, "bias size does not match output channels");
      c.bias = floats(n, b, "bias");
    }
    c.out = window(n, src.out, c);
    c.out.c = int(w.dims[0]);
    Dims d = layout_dims(x.dims[0], c.out);
    add_node(std::move(c), n.output(0), d);
  }

  // Parameters as float32: float16 widens exactly; float64 only if every value is a float.
  std::vector<float> floats(const onnx::NodeProto& n, const ConstTensor& t, const char* what) const {
    if (!is_float_dtype(t.dtype))
      fail(n, fmt::format("{} has data type {}; expected a float type", what, dtype_name(t.dtype)));
    std::vector<float> r(t.data.size());
    for (size_t i = 0; i < r.size(); ++i) {
      r[i] = float(t.data[i]);
      if (double(r[i]) != t.data[i] && std::isfinite(t.data[i]))
        fail(n, fmt::format("{} is {} and value {} at index {} is not exactly a float32 "
                            "(export the model in float32)", what, dtype_name(t.dtype), t.data[i], i));
    }
    return r;
  }

  void import_bn(const onnx::NodeProto& n) {
    const Value& x = tensor_in(n, 0);
    if (int_attr(n, "training_mode", 0) != 0 || (n.output_size() > 1 && !n.output(1).empty()))
      fail(n, "training-mode BatchNormalization is not supported (export in eval mode)");
    if (int(x.dims.size()) < 2) fail(n, "input has no channel axis");
    const int co = node_of(x).out.c;
    std::vector<float> sc[4];
    for (int i = 0; i < 4; ++i) {
      sc[i] = floats(n, const_in(n, i + 1), "parameter");
      if (int(sc[i].size()) != co) fail(n, "parameter sizes do not match the channels");
    }
    const double eps = float_attr(n, "epsilon", 1e-5f);
    std::vector<double> k(static_cast<size_t>(co)), b(static_cast<size_t>(co));
    for (int o = 0; o < co; ++o) {
      // y = (x - mean) / sqrt(var + eps) * scale + bias, in float as ONNX runtimes do.
      const float r = float(sc[0][size_t(o)] / std::sqrt(double(sc[3][size_t(o)]) + eps));
      k[size_t(o)] = r;
      b[size_t(o)] = double(sc[1][size_t(o)]) - double(sc[2][size_t(o)]) * r;
    }
    const Node& src = node_of(x);
    Node f;
    if (src.kind == OpKind::Conv) {
      f = src;  // a copy: the unfolded Conv is dropped if nothing else uses it
      const long per = long(f.weight.size()) / co;
      for (int o = 0; o < co; ++o) {
        for (long i = 0; i < per; ++i)
          f.weight[size_t(o * per + i)] = float(f.weight[size_t(o * per + i)] * k[size_t(o)]);
        f.bias[size_t(o)] = float((f.bias[size_t(o)] - sc[2][size_t(o)]) * k[size_t(o)] + sc[1][size_t(o)]);
      }
    } else {
      // Not after a Conv: a channel-diagonal 1x1x1 convolution (exact in float: every
      // off-diagonal product is 0).
      f.name = node_name(n);
      f.kind = OpKind::Conv;
      f.inputs = {x.node};
      f.out = src.out;
      f.weight.assign(size_t(co) * co, 0.0f);
      f.bias.resize(size_t(co));
      for (int o = 0; o < co; ++o) {
        f.weight[size_t(o) * co + o] = float(k[size_t(o)]);
        f.bias[size_t(o)] = float(b[size_t(o)]);
      }
    }
    add_node(std::move(f), n.output(0), x.dims);
  }

  void import_pad(const onnx::NodeProto& n) {
    Value v = tensor_in(n, 0, true);
    require_spatial(n, v);
    const std::string mode = str_attr(n, "mode", "constant");
    if (mode != "constant") fail(n, fmt::format("pad mode '{}' is not supported", mode));
    Dims p;
    const size_t r = v.dims.size();
    if (has_input(n, 1)) {
      p = const_in(n, 1).ints();
      if (has_input(n, 2) && scalar(n, 2) != 0.0) fail(n, "only zero padding is supported");
      if (has_input(n, 3)) {  // opset 18 axes: expand to every axis
        Dims axes = const_in(n, 3).ints(), full(2 * r, 0);
        if (p.size() != 2 * axes.size()) fail(n, "pads does not match axes");
        for (size_t i = 0; i < axes.size(); ++i) {
          int64_t a = axes[i] < 0 ? axes[i] + int64_t(r) : axes[i];
          if (a < 0 || a >= int64_t(r)) fail(n, fmt::format("axis {} out of range", axes[i]));
          full[size_t(a)] = p[i], full[r + size_t(a)] = p[axes.size() + i];
        }
        p = full;
      }
    } else {
      p = ints(n, "pads");
      if (float_attr(n, "value", 0.f) != 0.f) fail(n, "only zero padding is supported");
    }
    if (p.size() != 2 * r || p[0] || p[1] || p[r] || p[r + 1])
      fail(n, "only spatial padding of a N x C x ... tensor is supported");
    const int off = two_d_ ? 1 : 0;
    for (size_t i = 2; i < r; ++i) {
      if (p[i] < 0 || p[r + i] < 0 || p[i] > (1 << 16) || p[r + i] > (1 << 16))
        fail(n, fmt::format("padding {} / {} is not supported", p[i], p[r + i]));
      v.pad_lo[i - 2 + size_t(off)] += int(p[i]);
      v.pad_hi[i - 2 + size_t(off)] += int(p[r + i]);
      v.dims[i] += p[i] + p[r + i];
    }
    alias(n, v);
  }

  void import_avgpool(const onnx::NodeProto& n) {
    const Value& x = tensor_in(n, 0, true);
    require_spatial(n, x);
    no_dilation(n);
    Node p;
    p.name = node_name(n);
    p.kind = OpKind::AvgPool;
    p.inputs = {x.node};
    p.kernel = spatial(n, ints(n, "kernel_shape"), 1, "kernel_shape");
    p.stride = spatial(n, ints(n, "strides"), 1, "strides");
    const Shape& in = node_of(x).out;
    // A preceding Pad node's zeros are real input values: they always count.
    const Shape padded = padded_shape(x);
    window_pads(n, padded, p);
    const bool own_pad = p.pad_lo != std::array<int, 3>{} || p.pad_hi != std::array<int, 3>{};
    const bool have_pad_node = x.pad_lo != std::array<int, 3>{} || x.pad_hi != std::array<int, 3>{};
    p.exclude_pad = int_attr(n, "count_include_pad", 0) == 0 && own_pad;
    if (p.exclude_pad && have_pad_node)
      fail(n, "a Pad node before an AveragePool that excludes its own padding is not supported");
    if (int_attr(n, "ceil_mode", 0) != 0) {
      // Output size rounds up; the last window must start inside the input or its left
      // padding (PyTorch's rule, which ONNX follows). Taps past the padding never count.
      const int dims[3] = {padded.f, padded.h, padded.w};
      for (int i = 0; i < 3; ++i) {
        const int span = dims[i] + p.pad_lo[i] + p.pad_hi[i] - p.kernel[i];
        if (span < 0) continue;  // window() reports it
        int out = (span + p.stride[i] - 1) / p.stride[i] + 1;
        if ((out - 1) * p.stride[i] >= dims[i] + p.pad_lo[i]) --out;
        const int need = (out - 1) * p.stride[i] + p.kernel[i] - (dims[i] + p.pad_lo[i] + p.pad_hi[i]);
        p.ceil_pad[i] = std::max(0, need);
        p.pad_hi[i] += p.ceil_pad[i];
      }
    }
    for (int i = 0; i < 3; ++i) p.pad_lo[i] += x.pad_lo[i], p.pad_hi[i] += x.pad_hi[i];
    p.out = window(n, in, p);
    Dims d = layout_dims(x.dims[0], p.out);
    add_node(std::move(p), n.output(0), d);
  }

  void add_gap(const onnx::NodeProto& n, const Value& x, bool keepdims) {
    require_spatial(n, x);
    Node p;
    p.name = node_name(n);
    p.kind = OpKind::GlobalAvgPool;
    p.inputs = {x.node};
    p.out = Shape{node_of(x).out.c, 1, 1, 1};
    Dims d = keepdims ? layout_dims(x.dims[0], p.out) : Dims{x.dims[0], p.out.c};
    add_node(std::move(p), n.output(0), d);
  }
  void import_gap(const onnx::NodeProto& n) { add_gap(n, tensor_in(n, 0), true); }

  void import_reduce_mean(const onnx::NodeProto& n) {
    const Value& x = tensor_in(n, 0);
    Dims axes = ints(n, "axes");
    if (axes.empty() && has_input(n, 1)) axes = const_in(n, 1).ints();
    const int rank = int(x.dims.size());
    std::set<int64_t> a, want;
    for (auto v : axes) a.insert(v < 0 ? v + rank : v);
    for (int i = 2; i < rank; ++i) want.insert(i);
    if (a != want || rank != spatial_rank())
      fail(n, fmt::format("only the mean over all spatial axes (global pooling) is supported "
                          "(axes {} of a rank-{} tensor)", dims_str(axes), rank));
    add_gap(n, x, int_attr(n, "keepdims", 1) != 0);
  }

  // Flatten / Reshape / Squeeze / Unsqueeze of a data tensor: the C-order values stay as
  // they are, only the ONNX view changes. Allowed when the batch stays in front and the
  // result is either flat (rank 2, or rank 1 without the batch) or the same channel and
  // spatial layout; anything else would reorder what the IR calls channels.
  void import_view(const onnx::NodeProto& n) {
    const Value& x = tensor_in(n, 0);
    // The new dims come from the folder applied to a stand-in with the tensor's dims and
    // no values (the view ops only read dims).
    ConstTensor stand_in;
    stand_in.dims = x.dims;
    std::vector<const ConstTensor*> in = {&stand_in};
    for (int i = 1; i < n.input_size(); ++i) in.push_back(has_input(n, i) ? &const_in(n, i) : nullptr);
    std::vector<ConstTensor> out;
    fold_node(n, in, out);
    const Dims nd = out.at(0).dims;
    const Node& src = node_of(x);
    const int64_t batch = x.dims.at(0);
    bool ok = false;
    if (nd.size() == 2) ok = nd[0] == batch;                         // [N, -1]
    else if (nd.size() == 1) ok = batch == 1 && src.out.plane() == 1;  // x.squeeze() of [1, C, 1..]
    else ok = nd == layout_dims(batch, src.out) || nd == x.dims;
    if (!ok)
      fail(n, fmt::format("changing shape {} to {} is not supported (only flattening after the "
                          "batch, or dropping/adding size-1 axes)", dims_str(x.dims), dims_str(nd)));
    Value v = x;
    v.dims = nd;
    alias(n, v);
  }

  int add_linear(const onnx::NodeProto& n, const Value& x, const std::vector<float>& w_oi,
                 int out, std::vector<float> bias, Dims dims) {
    const Node& src = node_of(x);
    Node l;
    l.name = node_name(n);
    l.kind = OpKind::Linear;
    l.inputs = {x.node};
    if (long(w_oi.size()) != long(out) * src.out.size())
      fail(n, fmt::format("weight has {} inputs per output, input has {} values",
                          long(w_oi.size()) / std::max(out, 1), src.out.size()));
    l.weight = w_oi;
    l.bias = std::move(bias);
    l.out = Shape{out, 1, 1, 1};
    return add_node(std::move(l), n.output(0), std::move(dims));
  }

  void import_gemm(const onnx::NodeProto& n) {
    const Value& x = tensor_in(n, 0);
    if (x.dims.size() != 2) fail(n, fmt::format("input of shape {} is not a matrix", dims_str(x.dims)));
    if (int_attr(n, "transA", 0) != 0) fail(n, "transA=1 is not supported");
    const ConstTensor& b = const_in(n, 1);
    if (b.dims.size() != 2) fail(n, "weight must be a matrix");
    const bool tb = int_attr(n, "transB", 0) != 0;
    const double alpha = float_attr(n, "alpha", 1.f), beta = float_attr(n, "beta", 1.f);
    const int out = int(tb ? b.dims[0] : b.dims[1]), in = int(tb ? b.dims[1] : b.dims[0]);
    if (in != x.dims[1]) fail(n, fmt::format("weight has {} inputs, input has {}", in, x.dims[1]));
    const std::vector<float> bw = floats(n, b, "weight");
    std::vector<float> w(size_t(out) * size_t(in));
    for (int o = 0; o < out; ++o)
      for (int i = 0; i < in; ++i)
        w[size_t(o) * in + i] = float(alpha * (tb ? bw[size_t(o) * in + i] : bw[size_t(i) * out + o]));
    std::vector<float> bias(size_t(out), 0.f);
    if (has_input(n, 2)) {
      const ConstTensor& c = const_in(n, 2);
      const std::vector<float> cb = floats(n, c, "bias");
      // C broadcasts to [N, out]: a scalar, [out] or [1, out] (per output); a full [N, out]
      // matrix is per sample and only meaningful with a batch of 1.
      const bool per_out = c.numel() == out && (c.dims.empty() || c.dims.back() == out);
      if (!per_out && c.numel() != 1) fail(n, fmt::format("bias of shape {} is not supported", dims_str(c.dims)));
      if (c.dims.size() == 2 && c.dims[0] != 1) fail(n, "bias must not vary over the batch");
      for (int o = 0; o < out; ++o) bias[size_t(o)] = float(beta * cb[c.numel() == 1 ? 0 : size_t(o)]);
    }
    add_linear(n, x, w, out, bias, {x.dims[0], out});
  }

  void import_matmul(const onnx::NodeProto& n) {
    const Value& x = tensor_in(n, 0);
    const ConstTensor& b = const_in(n, 1);
    if (b.dims.size() != 2) fail(n, "weight must be a matrix");
    if (x.dims.empty() || x.dims.size() > 2 || x.dims.back() != b.dims[0])
      fail(n, fmt::format("input of shape {} does not match the weight {}", dims_str(x.dims),
                          dims_str(b.dims)));
    const int in = int(b.dims[0]), out = int(b.dims[1]);
    const std::vector<float> bw = floats(n, b, "weight");
    std::vector<float> w(size_t(out) * size_t(in));
    for (int o = 0; o < out; ++o)
      for (int i = 0; i < in; ++i) w[size_t(o) * in + i] = bw[size_t(i) * out + o];
    Dims d = x.dims;
    d.back() = out;
    add_linear(n, x, w, out, std::vector<float>(size_t(out), 0.f), d);
  }

  void import_add(const onnx::NodeProto& n) {
    const Value& a = value(n, 0);
    const Value& b = value(n, 1);
    if (a.kind == Value::Tensor && b.kind == Value::Tensor) {
      const Value& ta = tensor_in(n, 0);
      const Value& tb = tensor_in(n, 1);
      if (node_of(ta).out != node_of(tb).out || ta.dims != tb.dims)
        fail(n, fmt::format("shapes {} and {} differ", dims_str(ta.dims), dims_str(tb.dims)));
      Node s;
      s.name = node_name(n);
      s.kind = OpKind::Add;
      s.inputs = {ta.node, tb.node};
      s.out = node_of(ta).out;
      add_node(std::move(s), n.output(0), ta.dims);
      return;
    }
    // Tensor + constant: a bias, folded into the Linear/Conv that made the tensor. The
    // constant must broadcast along the channel axis only (axis 1, or the last axis of a
    // Linear's output); anything else would add different values per position.
    const int ti = a.kind == Value::Tensor ? 0 : 1;
    const Value& t = tensor_in(n, ti);
    const ConstTensor& c = const_in(n, 1 - ti);
    Node f = node_of(t);
    if ((f.kind != OpKind::Linear && f.kind != OpKind::Conv) || uses(n.input(ti)) > 1)
      fail(n, "a constant may only be added to the output of a Linear or Conv used once");
    const long co = f.out.c;
    const size_t r = t.dims.size();
    const size_t ch_axis = f.kind == OpKind::Linear ? r - 1 : 1;
    bool ok = c.dims.size() <= r;
    for (size_t i = 0; ok && i < c.dims.size(); ++i) {
      const size_t axis = r - c.dims.size() + i;
      ok = c.dims[i] == 1 || (axis == ch_axis && c.dims[i] == co);
    }
    if (!ok)
      fail(n, fmt::format("constant of shape {} does not broadcast per channel over {}",
                          dims_str(c.dims), dims_str(t.dims)));
    const std::vector<float> cb = floats(n, c, "constant");
    for (long o = 0; o < co; ++o) f.bias[size_t(o)] += cb[c.numel() == 1 ? 0 : size_t(o)];
    add_node(std::move(f), n.output(0), t.dims);
  }

  int uses(const std::string& name) {
    if (uses_.empty()) {
      for (const auto& nd : model_.graph().node())
        for (const auto& i : nd.input()) ++uses_[i];
      for (const auto& o : model_.graph().output()) ++uses_[o.name()];
    }
    return uses_[name];
  }

  void import_concat(const onnx::NodeProto& n) {
    const Value& first = tensor_in(n, 0);
    const int rank = int(first.dims.size());
    if (rank < 2) fail(n, fmt::format("concat of a rank-{} tensor is not supported (channels only)", rank));
    int64_t axis = int_attr(n, "axis", 1);
    if (axis < 0) axis += rank;
    Node c;
    c.name = node_name(n);
    c.kind = OpKind::Concat;
    Dims d = first.dims;
    d[1] = 0;
    for (int i = 0; i < n.input_size(); ++i) {
      const Value& v = tensor_in(n, i);
      const Shape& s = node_of(v).out;
      if (i == 0) c.out = s, c.out.c = 0;
      // Channels of a spatial tensor, or features of a flat one whose values are channels.
      const bool flat_ok = v.dims.size() == 2 && s.plane() == 1;
      if (axis != 1 || int(v.dims.size()) != rank || !(rank == spatial_rank() || flat_ok))
        fail(n, fmt::format("concat on axis {} of shape {} is not supported (channels only)",
                            axis, dims_str(v.dims)));
      if (s.f != c.out.f || s.h != c.out.h || s.w != c.out.w)
        fail(n, fmt::format("inputs of shapes {} and {} cannot be concatenated on channels",
                            dims_str(first.dims), dims_str(v.dims)));
      c.out.c += s.c;
      d[1] += v.dims[1];
      c.inputs.push_back(v.node);
    }
    add_node(std::move(c), n.output(0), d);
  }

  // Every float parameter the IR keeps must be finite: a NaN weight would make every
  // logit NaN and every class 0.
  void check_finite() const {
    for (const Node& n : g_.nodes) {
      auto check = [&](const std::vector<float>& v, const char* what) {
        for (size_t i = 0; i < v.size(); ++i)
          if (!std::isfinite(v[i]))
            throw Error(fmt::format("node '{}' ({}): {} value {} at index {} is not finite", n.name,
                                    op_name(n.kind), what, v[i], i));
      };
      check(n.weight, "weight");
      check(n.bias, "bias");
    }
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
      if (live[size_t(i)]) continue;
      live[size_t(i)] = 1;
      for (int in : g_.nodes[size_t(i)].inputs) stack.push_back(in);
    }
    std::vector<int> remap(g_.nodes.size(), -1);
    std::vector<Node> kept;
    for (size_t i = 0; i < g_.nodes.size(); ++i) {
      if (!live[i]) continue;
      remap[i] = int(kept.size());
      Node n = std::move(g_.nodes[i]);
      for (int& in : n.inputs) in = remap[size_t(in)];
      kept.push_back(std::move(n));
    }
    g_.output = remap[size_t(g_.output)];
    g_.nodes = std::move(kept);
  }

  const onnx::ModelProto& model_;
  ImportOptions opt_;
  Graph g_;
  std::map<std::string, Value> values_;
  std::map<std::string, int> uses_;
  std::map<std::string, const onnx::TensorShapeProto*> inferred_;
  bool two_d_ = false;
};

}  // namespace

Graph import_onnx(const std::string& path) {
  std::error_code ec;
  if (!fs::is_regular_file(path, ec))
    throw Error(fmt::format("cannot open ONNX model '{}' (not a readable file)", path));
  const auto size = fs::file_size(path, ec);
  if (ec || size > (uint64_t(1) << 31))
    throw Error(fmt::format("ONNX model '{}' is larger than 2 GiB (protobuf's limit; use "
                            "external data)", path));
  std::ifstream f(path, std::ios::binary);
  if (!f) throw Error(fmt::format("cannot open ONNX model '{}'", path));
  std::stringstream ss;
  ss << f.rdbuf();
  ImportOptions opt;
  opt.base_dir = fs::path(path).parent_path().string();
  if (opt.base_dir.empty()) opt.base_dir = ".";
  return import_onnx_bytes(ss.str(), path, opt);
}

Graph import_onnx_bytes(const std::string& bytes, const std::string& label, const ImportOptions& opt) {
  onnx::ModelProto model;
  if (bytes.empty() || !model.ParseFromString(bytes))
    throw Error(fmt::format("'{}' is not a valid ONNX model (protobuf parse failed)", label));
  if (!model.has_graph() || model.graph().node_size() == 0)
    throw Error(fmt::format("'{}' holds no graph", label));
  ExternalData(opt.base_dir, label).resolve(*model.mutable_graph());
  infer_shapes_isolated(model, label);  // libonnx may crash on malformed nodes: a child process
  Graph g = Importer(model, opt).run();
  if (g.name.empty()) g.name = label;
  return g;
}

}  // namespace sdm
