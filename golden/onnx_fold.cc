// Constant folding of ONNX helper nodes (see onnx_fold.h). Semantics follow the ONNX
// operator specification; the conformance test runs ONNX's own node tests through here.
#include "golden/onnx_fold.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <numeric>

#include <fmt/core.h>
#include <fmt/format.h>
#include <onnx/onnx_pb.h>

#include "golden/error.h"

namespace sdm {

using TP = onnx::TensorProto;

namespace {

// Largest tensor the folder or the decoder will materialize (elements); a model that asks
// for more is refused instead of exhausting memory.
constexpr long kMaxElements = long(1) << 28;

double half_to_double(uint16_t h) {
  const int sign = h >> 15, exp = (h >> 10) & 0x1f, mant = h & 0x3ff;
  double v;
  if (exp == 0) v = std::ldexp(double(mant), -24);
  else if (exp == 31) v = mant ? NAN : INFINITY;
  else v = std::ldexp(double(mant | 0x400), exp - 25);
  return sign ? -v : v;
}

// Round to the nearest float16 (ties to even): 11 significant bits, quantum 2^-24 at most.
double round_half(double v) {
  if (std::isnan(v) || std::isinf(v)) return v;
  const double a = std::fabs(v);
  if (a >= 65520.0) return std::copysign(INFINITY, v);
  if (a == 0) return v;
  int e;
  std::frexp(a, &e);
  const int q = std::max(e - 11, -24);
  return std::copysign(std::ldexp(std::nearbyint(std::ldexp(a, -q)), q), v);
}

struct IntRange {
  int bits;
  bool is_signed;
};
bool int_range(int dtype, IntRange& r) {
  switch (dtype) {
    case TP::INT8: r = {8, true}; return true;
    case TP::UINT8: r = {8, false}; return true;
    case TP::INT16: r = {16, true}; return true;
    case TP::UINT16: r = {16, false}; return true;
    case TP::INT32: r = {32, true}; return true;
    case TP::UINT32: r = {32, false}; return true;
    case TP::INT64: r = {64, true}; return true;
    case TP::UINT64: r = {64, false}; return true;
    default: return false;
  }
}

std::vector<int64_t> strides_of(const std::vector<int64_t>& d) {
  std::vector<int64_t> s(d.size(), 1);
  for (int i = int(d.size()) - 2; i >= 0; --i) s[size_t(i)] = s[size_t(i) + 1] * d[size_t(i) + 1];
  return s;
}

long product(const std::vector<int64_t>& d) {
  long n = 1;
  for (auto v : d) {
    if (v < 0) return -1;
    if (v && n > kMaxElements / v) return kMaxElements + 1;
    n *= long(v);
  }
  return n;
}

[[noreturn]] void fail(const onnx::NodeProto& n, const std::string& why) {
  throw Error(fmt::format("node '{}' ({}): {}", n.name(), n.op_type(), why));
}

const onnx::AttributeProto* attr(const onnx::NodeProto& n, const char* name) {
  for (const auto& a : n.attribute())
    if (a.name() == name) return &a;
  return nullptr;
}
int64_t int_attr(const onnx::NodeProto& n, const char* name, int64_t def) {
  auto* a = attr(n, name);
  return a ? a->i() : def;
}
std::vector<int64_t> ints_attr(const onnx::NodeProto& n, const char* name) {
  std::vector<int64_t> r;
  if (auto* a = attr(n, name)) r.assign(a->ints().begin(), a->ints().end());
  return r;
}

ConstTensor make(int dtype, std::vector<int64_t> dims, const onnx::NodeProto& n) {
  ConstTensor t;
  t.dtype = dtype;
  const long sz = product(dims);
  if (sz < 0) fail(n, "negative dimension in a folded shape");
  if (sz > kMaxElements) fail(n, fmt::format("folded tensor of more than {} elements", kMaxElements));
  t.dims = std::move(dims);
  t.data.assign(size_t(sz), 0.0);
  return t;
}

int64_t norm_axis(const onnx::NodeProto& n, int64_t a, size_t rank) {
  const int64_t r = int64_t(rank);
  if (a < -r || a >= r) fail(n, fmt::format("axis {} out of range for rank {}", a, rank));
  return a < 0 ? a + r : a;
}

const ConstTensor& need(const onnx::NodeProto& n, const std::vector<const ConstTensor*>& in,
                        size_t i) {
  if (i >= in.size() || !in[i]) fail(n, fmt::format("missing input {}", i));
  return *in[i];
}

// Numpy-style multidirectional broadcast of several inputs; returns the output dims and,
// per input, the flat source index of every output element.
std::vector<int64_t> broadcast_dims(const onnx::NodeProto& n,
                                    const std::vector<const ConstTensor*>& ts) {
  size_t rank = 0;
  for (auto* t : ts) rank = std::max(rank, t->dims.size());
  std::vector<int64_t> out(rank, 1);
  for (auto* t : ts)
    for (size_t i = 0; i < t->dims.size(); ++i) {
      int64_t& o = out[rank - t->dims.size() + i];
      const int64_t d = t->dims[i];
      if (d == o || d == 1) continue;
      if (o == 1) o = d;
      else fail(n, "operands cannot be broadcast together");
    }
  return out;
}
std::vector<long> broadcast_index(const ConstTensor& t, const std::vector<int64_t>& out) {
  const size_t rank = out.size(), off = rank - t.dims.size();
  const auto os = strides_of(out);
  const auto ts = strides_of(t.dims);
  const long total = product(out);
  std::vector<long> idx(static_cast<size_t>(total));
  for (long i = 0; i < total; ++i) {
    long src = 0, rem = i;
    for (size_t a = 0; a < rank; ++a) {
      const int64_t c = rem / os[a];
      rem %= os[a];
      if (a >= off && t.dims[a - off] != 1) src += long(c * ts[a - off]);
    }
    idx[size_t(i)] = src;
  }
  return idx;
}

template <class F>
ConstTensor elementwise(const onnx::NodeProto& n, const std::vector<const ConstTensor*>& ts,
                        int dtype, F f) {
  ConstTensor o = make(dtype, broadcast_dims(n, ts), n);
  std::vector<std::vector<long>> idx;
  for (auto* t : ts) idx.push_back(broadcast_index(*t, o.dims));
  std::vector<double> args(ts.size());
  for (size_t i = 0; i < o.data.size(); ++i) {
    for (size_t k = 0; k < ts.size(); ++k) args[k] = ts[k]->data[size_t(idx[k][i])];
    o.data[i] = round_to_dtype(f(args), dtype);
  }
  return o;
}

std::vector<int64_t> axes_input_or_attr(const onnx::NodeProto& n,
                                        const std::vector<const ConstTensor*>& in) {
  if (in.size() > 1 && in[1]) return in[1]->ints();
  return ints_attr(n, "axes");
}

ConstTensor reshape(const onnx::NodeProto& n, const ConstTensor& x, std::vector<int64_t> shape,
                    bool allowzero) {
  long known = 1;
  int infer = -1;
  for (size_t i = 0; i < shape.size(); ++i) {
    if (shape[i] == 0 && !allowzero) {
      if (i >= x.dims.size()) fail(n, "0 in the target shape has no input dimension to copy");
      shape[i] = x.dims[i];
    }
    if (shape[i] == -1) {
      if (infer >= 0) fail(n, "more than one -1 in the target shape");
      infer = int(i);
    } else if (shape[i] < 0) {
      fail(n, fmt::format("target dimension {} is negative", shape[i]));
    } else {
      known *= long(shape[i]);
    }
  }
  if (infer >= 0) {
    if (known == 0 || x.numel() % known) fail(n, "the target shape does not divide the input");
    shape[size_t(infer)] = x.numel() / known;
  }
  if (product(shape) != x.numel())
    fail(n, fmt::format("cannot reshape {} elements to {} elements", x.numel(), product(shape)));
  ConstTensor o = x;
  o.dims = std::move(shape);
  return o;
}

ConstTensor slice(const onnx::NodeProto& n, const std::vector<const ConstTensor*>& in) {
  const ConstTensor& x = need(n, in, 0);
  std::vector<int64_t> starts, ends, axes, steps;
  if (in.size() > 1) {
    starts = need(n, in, 1).ints();
    ends = need(n, in, 2).ints();
    if (in.size() > 3 && in[3]) axes = in[3]->ints();
    if (in.size() > 4 && in[4]) steps = in[4]->ints();
  } else {
    starts = ints_attr(n, "starts");
    ends = ints_attr(n, "ends");
    axes = ints_attr(n, "axes");
  }
  if (ends.size() != starts.size()) fail(n, "starts and ends differ in length");
  if (axes.empty())
    for (size_t i = 0; i < starts.size(); ++i) axes.push_back(int64_t(i));
  if (steps.empty()) steps.assign(starts.size(), 1);
  if (axes.size() != starts.size() || steps.size() != starts.size())
    fail(n, "starts, ends, axes and steps differ in length");
  const size_t r = x.dims.size();
  std::vector<int64_t> st(r, 0), sp(r, 1), cnt = x.dims;
  for (size_t i = 0; i < axes.size(); ++i) {
    const size_t a = size_t(norm_axis(n, axes[i], r));
    const int64_t dim = x.dims[a], step = steps[i];
    if (step == 0) fail(n, "step 0");
    int64_t s = starts[i], e = ends[i];
    if (s < 0) s += dim;  // no overflow: dim >= 0 and s >= INT64_MIN
    if (e < 0) e += dim;
    if (step > 0) {
      s = std::clamp<int64_t>(s, 0, dim);
      e = std::clamp<int64_t>(e, 0, dim);
      cnt[a] = e > s ? (e - s + step - 1) / step : 0;
    } else {
      s = std::clamp<int64_t>(s, 0, dim - 1);
      e = std::clamp<int64_t>(e, -1, dim - 1);
      cnt[a] = s > e ? (s - e - step - 1) / -step : 0;
    }
    st[a] = s;
    sp[a] = step;
  }
  ConstTensor o = make(x.dtype, cnt, n);
  const auto xs = strides_of(x.dims), os = strides_of(cnt);
  for (size_t i = 0; i < o.data.size(); ++i) {
    long rem = long(i), src = 0;
    for (size_t a = 0; a < r; ++a) {
      const int64_t c = rem / os[a];
      rem %= os[a];
      src += long((st[a] + c * sp[a]) * xs[a]);
    }
    o.data[i] = x.data[size_t(src)];
  }
  return o;
}

ConstTensor gather(const onnx::NodeProto& n, const ConstTensor& x, const ConstTensor& idx) {
  const size_t r = x.dims.size();
  if (r == 0) fail(n, "gather from a scalar");
  const size_t axis = size_t(norm_axis(n, int_attr(n, "axis", 0), r));
  std::vector<int64_t> od(x.dims.begin(), x.dims.begin() + long(axis));
  od.insert(od.end(), idx.dims.begin(), idx.dims.end());
  od.insert(od.end(), x.dims.begin() + long(axis) + 1, x.dims.end());
  ConstTensor o = make(x.dtype, od, n);
  long outer = 1, inner = 1;
  for (size_t a = 0; a < axis; ++a) outer *= long(x.dims[a]);
  for (size_t a = axis + 1; a < r; ++a) inner *= long(x.dims[a]);
  const int64_t dim = x.dims[axis];
  const long ni = idx.numel();
  for (long p = 0; p < outer; ++p)
    for (long k = 0; k < ni; ++k) {
      int64_t j = idx.as_int(k);
      if (j < -dim || j >= dim) fail(n, fmt::format("index {} out of range [{}, {})", j, -dim, dim));
      if (j < 0) j += dim;
      for (long q = 0; q < inner; ++q)
        o.data[size_t((p * ni + k) * inner + q)] = x.data[size_t((p * dim + j) * inner + q)];
    }
  return o;
}

ConstTensor transpose(const onnx::NodeProto& n, const ConstTensor& x) {
  const size_t r = x.dims.size();
  std::vector<int64_t> perm = ints_attr(n, "perm");
  if (perm.empty())
    for (size_t i = 0; i < r; ++i) perm.push_back(int64_t(r - 1 - i));
  if (perm.size() != r) fail(n, "perm does not match the rank");
  std::vector<int64_t> od(r);
  std::vector<char> seen(r, 0);
  for (size_t i = 0; i < r; ++i) {
    const size_t p = size_t(norm_axis(n, perm[i], r));
    if (seen[p]++) fail(n, "perm repeats an axis");
    od[i] = x.dims[p];
    perm[i] = int64_t(p);
  }
  ConstTensor o = make(x.dtype, od, n);
  const auto xs = strides_of(x.dims), os = strides_of(od);
  for (size_t i = 0; i < o.data.size(); ++i) {
    long rem = long(i), src = 0;
    for (size_t a = 0; a < r; ++a) {
      src += long(rem / os[a] * xs[size_t(perm[a])]);
      rem %= os[a];
    }
    o.data[i] = x.data[size_t(src)];
  }
  return o;
}

ConstTensor concat(const onnx::NodeProto& n, const std::vector<const ConstTensor*>& in) {
  const ConstTensor& first = need(n, in, 0);
  const size_t r = first.dims.size();
  const size_t axis = size_t(norm_axis(n, int_attr(n, "axis", 0), r));
  std::vector<int64_t> od = first.dims;
  od[axis] = 0;
  for (size_t k = 0; k < in.size(); ++k) {
    const ConstTensor& t = need(n, in, k);
    if (t.dims.size() != r) fail(n, "inputs differ in rank");
    for (size_t a = 0; a < r; ++a)
      if (a != axis && t.dims[a] != first.dims[a]) fail(n, "inputs differ outside the axis");
    od[axis] += t.dims[axis];
  }
  ConstTensor o = make(first.dtype, od, n);
  long outer = 1;
  for (size_t a = 0; a < axis; ++a) outer *= long(od[a]);
  size_t pos = 0;
  for (long p = 0; p < outer; ++p)
    for (auto* t : in) {
      const long run = t->numel() / std::max(outer, 1L);
      for (long q = 0; q < run; ++q) o.data[pos++] = t->data[size_t(p * run + q)];
    }
  return o;
}

int dtype_of_to(const onnx::NodeProto& n) {
  const auto* a = attr(n, "to");
  if (!a) fail(n, "Cast without 'to'");
  const int to = int(a->i());
  if (!is_float_dtype(to) && !is_int_dtype(to))
    fail(n, fmt::format("cast to {} is not supported", dtype_name(to)));
  return to;
}

}  // namespace

void dropout_is_identity(const onnx::NodeProto& n, const ConstTensor* ratio,
                         const ConstTensor* training_mode) {
  const bool training = (training_mode && training_mode->numel() == 1 && training_mode->data[0] != 0) ||
                        (attr(n, "is_test") && attr(n, "is_test")->i() == 0);
  double r = 0.5;
  if (ratio && ratio->numel() == 1) r = ratio->data[0];
  else if (const auto* a = attr(n, "ratio")) r = a->f();
  if (training && r != 0)
    fail(n, fmt::format("training-mode dropout (ratio {}) is random; export the model in eval mode", r));
}

long ConstTensor::numel() const {
  long p = product(dims);
  return p < 0 ? 0 : p;
}

int64_t ConstTensor::as_int(long i) const {
  const double v = data.at(size_t(i));
  if (std::isnan(v)) return 0;
  if (v >= 9.2233720368547758e18) return std::numeric_limits<int64_t>::max();
  if (v <= -9.2233720368547758e18) return std::numeric_limits<int64_t>::min();
  return int64_t(v);
}

std::vector<int64_t> ConstTensor::ints() const {
  std::vector<int64_t> r(data.size());
  for (size_t i = 0; i < data.size(); ++i) r[i] = as_int(long(i));
  return r;
}

bool is_float_dtype(int d) { return d == TP::FLOAT || d == TP::FLOAT16 || d == TP::DOUBLE; }
bool is_int_dtype(int d) {
  IntRange r;
  return d == TP::BOOL || int_range(d, r);
}

const char* dtype_name(int d) {
  switch (d) {
    case TP::FLOAT: return "FLOAT";
    case TP::UINT8: return "UINT8";
    case TP::INT8: return "INT8";
    case TP::UINT16: return "UINT16";
    case TP::INT16: return "INT16";
    case TP::INT32: return "INT32";
    case TP::INT64: return "INT64";
    case TP::STRING: return "STRING";
    case TP::BOOL: return "BOOL";
    case TP::FLOAT16: return "FLOAT16";
    case TP::DOUBLE: return "DOUBLE";
    case TP::UINT32: return "UINT32";
    case TP::UINT64: return "UINT64";
    case TP::COMPLEX64: return "COMPLEX64";
    case TP::COMPLEX128: return "COMPLEX128";
    case TP::BFLOAT16: return "BFLOAT16";
    default: return "UNDEFINED";
  }
}

double round_to_dtype(double v, int dtype) {
  switch (dtype) {
    case TP::FLOAT: return double(float(v));
    case TP::DOUBLE: return v;
    case TP::FLOAT16: return round_half(v);
    case TP::BOOL: return v != 0 ? 1.0 : 0.0;
    default: break;
  }
  IntRange r;
  if (!int_range(dtype, r)) return v;
  if (!std::isfinite(v)) return 0;
  const double t = std::trunc(v);
  if (r.bits == 64) return t;  // held as a double; as_int() saturates
  const double span = std::ldexp(1.0, r.bits);
  double w = std::fmod(t, span);
  if (w < 0) w += span;
  if (r.is_signed && w >= span / 2) w -= span;
  return w;
}

ConstTensor decode_tensor(const onnx::TensorProto& t, const std::string& where) {
  ConstTensor c;
  c.dtype = t.data_type();
  for (auto d : t.dims()) {
    if (d < 0) throw Error(fmt::format("{}: tensor '{}' has negative dimension {}", where, t.name(), d));
    c.dims.push_back(d);
  }
  const long n = product(c.dims);
  if (n > kMaxElements)
    throw Error(fmt::format("{}: tensor '{}' has more than {} elements", where, t.name(), kMaxElements));
  if (t.data_location() == TP::EXTERNAL)
    throw Error(fmt::format("{}: tensor '{}' uses external data that was not loaded", where, t.name()));
  const std::string& raw = t.raw_data();
  IntRange ir{};
  const bool is_int = int_range(c.dtype, ir);
  size_t width = 0;
  switch (c.dtype) {
    case TP::FLOAT: case TP::INT32: case TP::UINT32: width = 4; break;
    case TP::DOUBLE: case TP::INT64: case TP::UINT64: width = 8; break;
    case TP::FLOAT16: case TP::INT16: case TP::UINT16: width = 2; break;
    case TP::INT8: case TP::UINT8: case TP::BOOL: width = 1; break;
    default:
      throw Error(fmt::format("{}: tensor '{}' has unsupported data type {}", where, t.name(),
                              dtype_name(c.dtype)));
  }
  auto count_error = [&](size_t have) {
    return Error(fmt::format("{}: tensor '{}' holds {} values, its dims {} need {}", where,
                             t.name(), have, fmt::join(c.dims, "x"), n));
  };
  c.data.resize(size_t(n));
  if (!raw.empty() || t.has_raw_data()) {
    if (raw.size() != size_t(n) * width)
      throw Error(fmt::format("{}: tensor '{}' holds {} bytes, its dims need {}", where, t.name(),
                              raw.size(), size_t(n) * width));
    const char* p = raw.data();
    for (long i = 0; i < n; ++i, p += width) {
      double v = 0;
      switch (c.dtype) {
        case TP::FLOAT: { float f; std::memcpy(&f, p, 4); v = f; break; }
        case TP::DOUBLE: std::memcpy(&v, p, 8); break;
        case TP::FLOAT16: { uint16_t h; std::memcpy(&h, p, 2); v = half_to_double(h); break; }
        case TP::INT64: { int64_t x; std::memcpy(&x, p, 8); v = double(x); break; }
        case TP::UINT64: { uint64_t x; std::memcpy(&x, p, 8); v = double(x); break; }
        case TP::INT32: { int32_t x; std::memcpy(&x, p, 4); v = x; break; }
        case TP::UINT32: { uint32_t x; std::memcpy(&x, p, 4); v = x; break; }
        case TP::INT16: { int16_t x; std::memcpy(&x, p, 2); v = x; break; }
        case TP::UINT16: { uint16_t x; std::memcpy(&x, p, 2); v = x; break; }
        case TP::INT8: { int8_t x; std::memcpy(&x, p, 1); v = x; break; }
        case TP::UINT8: case TP::BOOL: v = double(uint8_t(*p)); break;
      }
      c.data[size_t(i)] = v;
    }
    (void)is_int;
    return c;
  }
  // Typed fields (ONNX stores int8..int32, bool and float16 bits in int32_data).
  auto fill = [&](const auto& field, auto conv) {
    if (long(field.size()) != n) throw count_error(size_t(field.size()));
    for (long i = 0; i < n; ++i) c.data[size_t(i)] = conv(field.Get(int(i)));
  };
  switch (c.dtype) {
    case TP::FLOAT: fill(t.float_data(), [](float f) { return double(f); }); break;
    case TP::DOUBLE: fill(t.double_data(), [](double d) { return d; }); break;
    case TP::INT64: fill(t.int64_data(), [](int64_t x) { return double(x); }); break;
    case TP::UINT32: case TP::UINT64:
      fill(t.uint64_data(), [](uint64_t x) { return double(x); });
      break;
    case TP::FLOAT16:
      fill(t.int32_data(), [](int32_t x) { return half_to_double(uint16_t(x)); });
      break;
    default:
      fill(t.int32_data(), [&](int32_t x) { return round_to_dtype(double(x), c.dtype); });
      break;
  }
  return c;
}

bool fold_node(const onnx::NodeProto& n, const std::vector<const ConstTensor*>& in,
               std::vector<ConstTensor>& out) {
  const std::string& op = n.op_type();
  out.clear();
  auto x0 = [&]() -> const ConstTensor& { return need(n, in, 0); };
  auto binary = [&](auto f, int dtype) {
    std::vector<const ConstTensor*> ts = {&need(n, in, 0), &need(n, in, 1)};
    out.push_back(elementwise(n, ts, dtype, [&](const std::vector<double>& a) { return f(a[0], a[1]); }));
  };
  auto unary = [&](auto f) {
    std::vector<const ConstTensor*> ts = {&x0()};
    out.push_back(elementwise(n, ts, x0().dtype, [&](const std::vector<double>& a) { return f(a[0]); }));
  };
  constexpr int kBool = TP::BOOL;

  if (op == "Identity" || op == "Dropout") {
    if (op == "Dropout") dropout_is_identity(n, in.size() > 1 ? in[1] : nullptr, in.size() > 2 ? in[2] : nullptr);
    out.push_back(x0());
    if (op == "Dropout" && n.output_size() > 1) {  // mask: all true in inference
      ConstTensor m = make(kBool, x0().dims, n);
      std::fill(m.data.begin(), m.data.end(), 1.0);
      out.push_back(std::move(m));
    }
  } else if (op == "Constant") {
    if (const auto* a = attr(n, "value"); a && a->has_t()) {
      out.push_back(decode_tensor(a->t(), fmt::format("node '{}'", n.name())));
    } else if (const auto* a = attr(n, "value_float")) {
      ConstTensor c;
      c.data = {double(a->f())};
      out.push_back(c);
    } else if (const auto* a = attr(n, "value_floats")) {
      ConstTensor c;
      c.dims = {a->floats_size()};
      for (float f : a->floats()) c.data.push_back(f);
      out.push_back(c);
    } else if (const auto* a = attr(n, "value_int")) {
      ConstTensor c;
      c.dtype = TP::INT64;
      c.data = {double(a->i())};
      out.push_back(c);
    } else if (const auto* a = attr(n, "value_ints")) {
      ConstTensor c;
      c.dtype = TP::INT64;
      c.dims = {a->ints_size()};
      for (auto v : a->ints()) c.data.push_back(double(v));
      out.push_back(c);
    } else {
      fail(n, "constant without a supported value attribute (value, value_float(s), value_int(s))");
    }
  } else if (op == "Cast" || op == "CastLike") {
    const int to = op == "Cast" ? dtype_of_to(n) : need(n, in, 1).dtype;
    if (!is_float_dtype(to) && !is_int_dtype(to))
      fail(n, fmt::format("cast to {} is not supported", dtype_name(to)));
    ConstTensor o = x0();
    o.dtype = to;
    for (double& v : o.data) v = round_to_dtype(v, to);
    out.push_back(std::move(o));
  } else if (op == "ConstantOfShape") {
    ConstTensor value;
    value.data = {0.0};
    if (const auto* a = attr(n, "value"); a && a->has_t())
      value = decode_tensor(a->t(), fmt::format("node '{}'", n.name()));
    if (value.data.size() != 1) fail(n, "value must hold one element");
    ConstTensor o = make(value.dtype, x0().ints(), n);
    std::fill(o.data.begin(), o.data.end(), value.data[0]);
    out.push_back(std::move(o));
  } else if (op == "Shape" || op == "Size") {
    const auto& d = x0().dims;
    ConstTensor o;
    o.dtype = TP::INT64;
    if (op == "Size") {
      o.data = {double(x0().numel())};
    } else {
      const int64_t r = int64_t(d.size());
      int64_t s = int_attr(n, "start", 0), e = int_attr(n, "end", r);
      if (s < 0) s += r;
      if (e < 0) e += r;
      s = std::clamp<int64_t>(s, 0, r);
      e = std::clamp<int64_t>(e, 0, r);
      for (int64_t i = s; i < e; ++i) o.data.push_back(double(d[size_t(i)]));
      o.dims = {int64_t(o.data.size())};
    }
    out.push_back(std::move(o));
  } else if (op == "Gather") {
    out.push_back(gather(n, x0(), need(n, in, 1)));
  } else if (op == "Unsqueeze") {
    std::vector<int64_t> axes = axes_input_or_attr(n, in);
    const size_t r = x0().dims.size() + axes.size();
    std::vector<char> is_new(r, 0);
    for (auto a : axes) {
      const size_t p = size_t(norm_axis(n, a, r));
      if (is_new[p]++) fail(n, "axes repeat");
    }
    std::vector<int64_t> od;
    size_t k = 0;
    for (size_t i = 0; i < r; ++i) od.push_back(is_new[i] ? 1 : x0().dims[k++]);
    out.push_back(reshape(n, x0(), od, true));
  } else if (op == "Squeeze") {
    std::vector<int64_t> axes = axes_input_or_attr(n, in);
    const size_t r = x0().dims.size();
    std::vector<char> drop(r, 0);
    if (axes.empty()) {
      for (size_t i = 0; i < r; ++i) drop[i] = x0().dims[i] == 1;
    } else {
      for (auto a : axes) {
        const size_t p = size_t(norm_axis(n, a, r));
        if (x0().dims[p] != 1) fail(n, fmt::format("cannot squeeze axis {} of size {}", a, x0().dims[p]));
        drop[p] = 1;
      }
    }
    std::vector<int64_t> od;
    for (size_t i = 0; i < r; ++i)
      if (!drop[i]) od.push_back(x0().dims[i]);
    out.push_back(reshape(n, x0(), od, true));
  } else if (op == "Concat") {
    out.push_back(concat(n, in));
  } else if (op == "Reshape") {
    out.push_back(reshape(n, x0(), need(n, in, 1).ints(), int_attr(n, "allowzero", 0) != 0));
  } else if (op == "Flatten") {
    const size_t r = x0().dims.size();
    int64_t axis = int_attr(n, "axis", 1);
    if (axis < -int64_t(r) || axis > int64_t(r)) fail(n, fmt::format("axis {} out of range", axis));
    if (axis < 0) axis += int64_t(r);
    int64_t a = 1, b = 1;
    for (size_t i = 0; i < r; ++i) (int64_t(i) < axis ? a : b) *= x0().dims[i];
    out.push_back(reshape(n, x0(), {a, b}, true));
  } else if (op == "Slice") {
    out.push_back(slice(n, in));
  } else if (op == "Transpose") {
    out.push_back(transpose(n, x0()));
  } else if (op == "Range") {
    const ConstTensor &s = need(n, in, 0), &l = need(n, in, 1), &d = need(n, in, 2);
    if (s.numel() != 1 || l.numel() != 1 || d.numel() != 1) fail(n, "inputs must be scalars");
    const double start = s.data[0], delta = d.data[0];
    if (delta == 0) fail(n, "delta 0");
    const double cnt = std::max(std::ceil((l.data[0] - start) / delta), 0.0);
    ConstTensor o = make(s.dtype, {int64_t(cnt)}, n);
    for (size_t i = 0; i < o.data.size(); ++i)
      o.data[i] = round_to_dtype(start + double(i) * delta, s.dtype);
    out.push_back(std::move(o));
  } else if (op == "Add") {
    binary([](double a, double b) { return a + b; }, x0().dtype);
  } else if (op == "Sub") {
    binary([](double a, double b) { return a - b; }, x0().dtype);
  } else if (op == "Mul") {
    binary([](double a, double b) { return a * b; }, x0().dtype);
  } else if (op == "Div") {
    const bool integral = is_int_dtype(x0().dtype);
    binary([&](double a, double b) {
      if (integral) {
        if (b == 0) fail(n, "integer division by zero");
        return std::trunc(a / b);
      }
      return a / b;
    }, x0().dtype);
  } else if (op == "Pow") {
    binary([](double a, double b) { return std::pow(a, b); }, x0().dtype);
  } else if (op == "Equal") {
    binary([](double a, double b) { return double(a == b); }, kBool);
  } else if (op == "Less") {
    binary([](double a, double b) { return double(a < b); }, kBool);
  } else if (op == "Greater") {
    binary([](double a, double b) { return double(a > b); }, kBool);
  } else if (op == "LessOrEqual") {
    binary([](double a, double b) { return double(a <= b); }, kBool);
  } else if (op == "GreaterOrEqual") {
    binary([](double a, double b) { return double(a >= b); }, kBool);
  } else if (op == "And") {
    binary([](double a, double b) { return double(a != 0 && b != 0); }, kBool);
  } else if (op == "Or") {
    binary([](double a, double b) { return double(a != 0 || b != 0); }, kBool);
  } else if (op == "Relu") {
    unary([](double a) { return a < 0 ? 0.0 : a; });
  } else if (op == "Clip") {
    double lo = -INFINITY, hi = INFINITY;
    if (in.size() > 1 || (!attr(n, "min") && !attr(n, "max"))) {
      if (in.size() > 1 && in[1]) lo = in[1]->data.at(0);
      if (in.size() > 2 && in[2]) hi = in[2]->data.at(0);
    } else {
      if (auto* a = attr(n, "min")) lo = a->f();
      if (auto* a = attr(n, "max")) hi = a->f();
    }
    unary([&](double a) { return std::isnan(a) ? a : std::min(std::max(a, lo), hi); });
  } else if (op == "Not") {
    unary([](double a) { return double(a == 0); });
  } else if (op == "Neg") {
    unary([](double a) { return -a; });
  } else if (op == "Abs") {
    unary([](double a) { return std::fabs(a); });
  } else if (op == "Sqrt") {
    unary([](double a) { return std::sqrt(a); });
  } else if (op == "Reciprocal") {
    unary([](double a) { return 1.0 / a; });
  } else if (op == "Min" || op == "Max" || op == "Sum" || op == "Mean") {
    std::vector<const ConstTensor*> ts;
    for (size_t i = 0; i < in.size(); ++i) ts.push_back(&need(n, in, i));
    if (ts.empty()) fail(n, "no inputs");
    const bool is_min = op == "Min", is_max = op == "Max", is_mean = op == "Mean";
    out.push_back(elementwise(n, ts, ts[0]->dtype, [&](const std::vector<double>& a) {
      double r = a[0];
      for (size_t k = 1; k < a.size(); ++k) {
        if (is_min) r = (std::isnan(r) || std::isnan(a[k])) ? NAN : std::min(r, a[k]);
        else if (is_max) r = (std::isnan(r) || std::isnan(a[k])) ? NAN : std::max(r, a[k]);
        else r += a[k];
      }
      return is_mean ? r / double(a.size()) : r;
    }));
  } else if (op == "Where") {
    std::vector<const ConstTensor*> ts = {&need(n, in, 0), &need(n, in, 1), &need(n, in, 2)};
    out.push_back(elementwise(n, ts, ts[1]->dtype,
                              [](const std::vector<double>& a) { return a[0] != 0 ? a[1] : a[2]; }));
  } else if (op == "Expand") {
    ConstTensor shape_t = make(x0().dtype, need(n, in, 1).ints(), n);
    std::vector<const ConstTensor*> ts = {&x0(), &shape_t};
    out.push_back(elementwise(n, ts, x0().dtype, [](const std::vector<double>& a) { return a[0]; }));
  } else {
    return false;
  }
  return true;
}

}  // namespace sdm
