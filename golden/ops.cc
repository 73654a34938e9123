#include "golden/ops.h"

#include <algorithm>
#include <cstdint>
#include <type_traits>

#include <Eigen/Core>

namespace sdm {

using RowMat = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

void conv_forward(const Node& n, const Shape& is, const float* in, float* out,
                  std::vector<float>& col) {
  const int kt = n.kernel[0], kh = n.kernel[1], kw = n.kernel[2];
  const Shape& os = n.out;
  const long K = long(is.c) * kt * kh * kw, P = os.plane();
  col.assign(size_t(K * P), 0.0f);
  // im2col: row (ci, dt, dh, dw), column (fo, ho, wo); zero padding stays 0.
  long row = 0;
  for (int ci = 0; ci < is.c; ++ci)
    for (int dt = 0; dt < kt; ++dt)
      for (int dh = 0; dh < kh; ++dh)
        for (int dw = 0; dw < kw; ++dw, ++row) {
          float* dst = col.data() + row * P;
          for (int fo = 0; fo < os.f; ++fo) {
            const int fi = fo * n.stride[0] - n.pad_lo[0] + dt;
            if (fi < 0 || fi >= is.f) continue;
            for (int ho = 0; ho < os.h; ++ho) {
              const int hi = ho * n.stride[1] - n.pad_lo[1] + dh;
              if (hi < 0 || hi >= is.h) continue;
              const float* src = in + ((long(ci) * is.f + fi) * is.h + hi) * is.w;
              float* d = dst + (long(fo) * os.h + ho) * os.w;
              for (int wo = 0; wo < os.w; ++wo) {
                const int wi = wo * n.stride[2] - n.pad_lo[2] + dw;
                if (wi >= 0 && wi < is.w) d[wo] = src[wi];
              }
            }
          }
        }
  Eigen::Map<const RowMat> W(n.weight.data(), os.c, K);
  Eigen::Map<const RowMat> C(col.data(), K, P);
  Eigen::Map<RowMat> O(out, os.c, P);
  O.noalias() = W * C;
  for (int co = 0; co < os.c; ++co) O.row(co).array() += n.bias[co];
}

AxisTaps AxisTaps::make(int in, int k, int stride, int pad_lo, int out, long wstride, long ostride) {
  AxisTaps a;
  a.start.reserve(size_t(in) + 1);
  a.start.push_back(0);
  for (int i = 0; i < in; ++i) {
    for (int d = 0; d < k; ++d) {
      const int t = i + pad_lo - d;
      if (t < 0 || t % stride) continue;
      const int o = t / stride;
      if (o >= out) continue;
      a.wofs.push_back(long(d) * wstride);
      a.oofs.push_back(long(o) * ostride);
    }
    a.start.push_back(int(a.wofs.size()));
  }
  return a;
}

ScatterPlan ScatterPlan::make(const Shape& in, const Shape& out, const std::array<int, 3>& k,
                              const std::array<int, 3>& st, const std::array<int, 3>& pad) {
  ScatterPlan p;
  p.in = in;
  p.co = out.c;
  p.kw = k[2];
  p.ksz = long(k[0]) * k[1] * k[2];
  const int co = out.c;
  p.at = AxisTaps::make(in.f, k[0], st[0], pad[0], out.f, long(k[1]) * k[2] * co, long(out.h) * out.w * co);
  p.ah = AxisTaps::make(in.h, k[1], st[1], pad[1], out.h, long(k[2]) * co, long(out.w) * co);
  p.wrun = st[2] == 1;
  if (!p.wrun) {
    p.aw = AxisTaps::make(in.w, k[2], st[2], pad[2], out.w, co, co);
    return p;
  }
  // Stride 1 along w: the taps of input wi reach outputs wo = wi + pad - dw, a contiguous
  // run; with the weights stored w-reversed (r = kw-1-dw) the weight rows are contiguous
  // too, so all the w taps of one input are one row of len * co additions.
  p.aw.start.push_back(0);
  for (int wi = 0; wi < in.w; ++wi) {
    const int dmin = std::max(0, wi + pad[2] - out.w + 1), dmax = std::min(k[2] - 1, wi + pad[2]);
    if (dmin <= dmax) {
      p.aw.wofs.push_back(long(k[2] - 1 - dmax) * co);
      p.aw.oofs.push_back(long(wi + pad[2] - dmax) * co);
      p.wlen.push_back(int(dmax - dmin + 1) * co);
    }
    p.aw.start.push_back(int(p.aw.wofs.size()));
  }
  return p;
}

namespace {
// [co][ci][kt][kh][kw] -> [ci][kt][kh][kw'][co], kw' = kw reversed when `flip`.
template <class W>
void transpose_weights(const std::vector<W>& w, int co, int kw, bool flip, std::vector<W>& out) {
  const long row = long(w.size()) / co;
  out.resize(w.size());
  for (int o = 0; o < co; ++o)
    for (long j = 0; j < row; ++j) {
      const long d = j % kw, jj = flip ? j - d + (kw - 1 - d) : j;
      out[size_t(jj * co + o)] = w[size_t(o * row + j)];
    }
}
// Tables of weight multiples: at most this many values, at most this many entries.
constexpr int64_t kMaxTableValues = 256;
constexpr int64_t kMaxTableEntries = int64_t{1} << 21;
}  // namespace

void ScatterPlan::set_float_weights(const std::vector<float>& w) {
  transpose_weights(w, co, kw, wrun, wf);
}

void ScatterPlan::set_int_weights(const std::vector<int32_t>& w, int64_t vlo, int64_t vhi) {
  transpose_weights(w, co, kw, wrun, wi);
  int64_t wabs = 0;
  for (int32_t v : w) wabs = std::max<int64_t>(wabs, v < 0 ? -int64_t(v) : v);
  const int64_t xabs = std::max(vlo < 0 ? -vlo : vlo, vhi < 0 ? -vhi : vhi);
  const int64_t n = vhi - vlo + 1;
  table = n <= kMaxTableValues && n * int64_t(w.size()) <= kMaxTableEntries &&
          wabs * xabs <= int64_t(INT32_MAX);
  wtab.clear();
  if (!table) return;
  lo = int(vlo);
  nvals = int(n);
  wtab.resize(size_t(n) * wi.size());
  for (int64_t v = 0; v < n; ++v)
    for (size_t j = 0; j < wi.size(); ++j) wtab[size_t(v) * wi.size() + j] = wi[j] * int32_t(vlo + v);
}

// --- scatter kernels -------------------------------------------------------------------
// One row update per (nonzero input, valid tap): co contiguous accumulators. CO > 0 fixes
// the row length at compile time (fully unrolled vector code), VW is the chunk width.
// The x86-64 entry points are compiled twice (AVX2 and baseline) and picked at load time;
// float code never contracts to FMA (-std=c++17 implies -ffp-contract=off), so both
// clones compute the same float results.
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define SDM_CLONES __attribute__((target_clones("avx2", "default")))
#else
#define SDM_CLONES
#endif
#define SDM_INLINE inline __attribute__((always_inline))

namespace {

// GCC/Clang vector extensions: explicit loads before the store, so the compiler needs no
// alias analysis (restrict does not survive inlining into the lambdas below).
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wpsabi"  // always inlined: no 32-byte vector crosses a call
typedef int32_t VecI4 __attribute__((vector_size(16)));
typedef int32_t VecI8 __attribute__((vector_size(32)));
typedef float VecF4 __attribute__((vector_size(16)));
typedef float VecF8 __attribute__((vector_size(32)));
template <class T, int N> struct VecOf;
template <> struct VecOf<int32_t, 4> { using type = VecI4; };
template <> struct VecOf<int32_t, 8> { using type = VecI8; };
template <> struct VecOf<float, 4> { using type = VecF4; };
template <> struct VecOf<float, 8> { using type = VecF8; };
template <class T, int N>
using Vec = typename VecOf<T, N>::type;
template <class V, class T>
SDM_INLINE V load_v(const T* p) {
  V v;
  __builtin_memcpy(&v, p, sizeof v);
  return v;
}
template <class V, class T>
SDM_INLINE void store_v(T* p, V v) {
  __builtin_memcpy(p, &v, sizeof v);
}

// Row updates of n = CO (compile time) or len (run time) elements, VW at a time.
template <int VW, int CO>
SDM_INLINE void add_row(int32_t* a, const int32_t* w, int len) {
  const int n = CO ? CO : len;
  if constexpr (VW > 1) {
    using V = Vec<int32_t, VW>;
    for (int o = 0; o < n; o += VW) store_v(a + o, load_v<V>(a + o) + load_v<V>(w + o));
  } else {
    for (int o = 0; o < n; ++o) a[o] += w[o];
  }
}
template <int VW, int CO>
SDM_INLINE void add_row(int64_t* a, const int32_t* w, int len) {
  const int n = CO ? CO : len;
  for (int o = 0; o < n; ++o) a[o] += w[o];
}
template <int VW, int CO, class A>
SDM_INLINE void mul_row(A* a, const int32_t* w, A x, int len) {
  const int n = CO ? CO : len;
  for (int o = 0; o < n; ++o) a[o] += A(w[o]) * x;
}
template <int VW, int CO>
SDM_INLINE void axpy_row(float* a, const float* w, float x, int len) {
  const int n = CO ? CO : len;
  if constexpr (VW > 1) {
    using V = Vec<float, VW>;
    const V xv = V{} + x;
    for (int o = 0; o < n; o += VW) store_v(a + o, load_v<V>(a + o) + xv * load_v<V>(w + o));
  } else {
    for (int o = 0; o < n; ++o) a[o] += x * w[o];
  }
}

#pragma GCC diagnostic pop

// Walks the nonzero inputs and their valid taps; row(acc_offset, weight_offset, x, ci, len).
// RUN: w taps merged into one run per input (ScatterPlan::wrun), len = its length;
// otherwise one row per tap, len = co.
template <bool RUN, class X, class Row>
SDM_INLINE long long walk(const ScatterPlan& p, const X* x, Row&& row) {
  const Shape& is = p.in;
  const int* st = p.at.start.data();
  const int* sh = p.ah.start.data();
  const int* sw = p.aw.start.data();
  const long* twf = p.at.wofs.data();
  const long* tof = p.at.oofs.data();
  const long* hwf = p.ah.wofs.data();
  const long* hof = p.ah.oofs.data();
  const long* wwf = p.aw.wofs.data();
  const long* wof = p.aw.oofs.data();
  const int* wl = p.wlen.data();
  const int co = p.co;
  long long taps = 0;
  for (int ci = 0; ci < is.c; ++ci)
    for (int fi = 0; fi < is.f; ++fi)
      for (int hi = 0; hi < is.h; ++hi) {
        const X* xr = x + ((long(ci) * is.f + fi) * is.h + hi) * is.w;
        for (int wi = 0; wi < is.w; ++wi) {
          const X xv = xr[wi];
          if (xv == X(0)) continue;
          const long th = static_cast<long>(st[fi + 1] - st[fi]) * (sh[hi + 1] - sh[hi]);
          if constexpr (RUN) {
            if (sw[wi + 1] == sw[wi]) continue;
            const int c = sw[wi];
            const int len = wl[c];
            taps += th * len;
            for (int a = st[fi]; a < st[fi + 1]; ++a)
              for (int b = sh[hi]; b < sh[hi + 1]; ++b)
                row(tof[a] + hof[b] + wof[c], twf[a] + hwf[b] + wwf[c], xv, ci, len);
          } else {
            taps += th * (sw[wi + 1] - sw[wi]) * co;
            for (int a = st[fi]; a < st[fi + 1]; ++a)
              for (int b = sh[hi]; b < sh[hi + 1]; ++b) {
                const long wo = twf[a] + hwf[b], oo = tof[a] + hof[b];
                for (int c = sw[wi]; c < sw[wi + 1]; ++c) row(oo + wof[c], wo + wwf[c], xv, ci, co);
              }
          }
        }
      }
  return taps;
}

template <int VW, int CO>
SDM_INLINE long long float_impl(const ScatterPlan& p, const float* x, float* acc) {
  const long wrow = p.ksz * p.co;
  const float* w = p.wf.data();
  auto row = [&](auto run) {
    return [&, run](long ao, long wo, float xv, int ci, int len) {
      axpy_row<VW, decltype(run)::value ? 0 : CO>(acc + ao, w + ci * wrow + wo, xv, len);
    };
  };
  if (p.wrun) return walk<true>(p, x, row(std::true_type{}));
  return walk<false>(p, x, row(std::false_type{}));
}

template <int VW, int CO, class A>
SDM_INLINE long long int_impl(const ScatterPlan& p, const int32_t* x, A* acc) {
  const long wrow = p.ksz * p.co;
  const long wval = long(p.in.c) * wrow;
  const int32_t* w = p.wi.data();
  const int32_t* tab = p.wtab.data();
  const bool table = p.table;
  const int lo = p.lo, nv = p.nvals;
  auto row = [&](auto run) {
    return [&, run](long ao, long wo, int32_t xv, int ci, int len) {
      constexpr int K = decltype(run)::value ? 0 : CO;
      const int n = xv - lo;
      if (table && n >= 0 && n < nv)
        add_row<VW, K>(acc + ao, tab + n * wval + ci * wrow + wo, len);
      else
        mul_row<VW, K>(acc + ao, w + ci * wrow + wo, A(xv), len);
    };
  };
  if (p.wrun) return walk<true>(p, x, row(std::true_type{}));
  return walk<false>(p, x, row(std::false_type{}));
}

// Row lengths of common layers get their own fully unrolled code.
#define SDM_DISPATCH(IMPL, ...)                                              \
  switch (p.co) {                                                            \
    case 4: return IMPL<4, 4>(__VA_ARGS__);                                  \
    case 8: return IMPL<8, 8>(__VA_ARGS__);                                  \
    case 12: return IMPL<4, 12>(__VA_ARGS__);                                \
    case 16: return IMPL<8, 16>(__VA_ARGS__);                                \
    case 24: return IMPL<8, 24>(__VA_ARGS__);                                \
    case 32: return IMPL<8, 32>(__VA_ARGS__);                                \
    case 64: return IMPL<8, 64>(__VA_ARGS__);                                \
    default:                                                                 \
      if (p.co % 8 == 0) return IMPL<8, 0>(__VA_ARGS__);                     \
      if (p.co % 4 == 0) return IMPL<4, 0>(__VA_ARGS__);                     \
      return IMPL<1, 0>(__VA_ARGS__);                                        \
  }

template <int VW, int CO>
SDM_INLINE long long int32_impl(const ScatterPlan& p, const int32_t* x, int32_t* acc) {
  return int_impl<VW, CO, int32_t>(p, x, acc);
}
template <int VW, int CO>
SDM_INLINE long long int64_impl(const ScatterPlan& p, const int32_t* x, int64_t* acc) {
  return int_impl<VW, CO, int64_t>(p, x, acc);
}

}  // namespace

SDM_CLONES long long scatter_add(const ScatterPlan& p, const float* x, float* acc) {
  SDM_DISPATCH(float_impl, p, x, acc)
}
SDM_CLONES long long scatter_add(const ScatterPlan& p, const int32_t* x, int32_t* acc) {
  SDM_DISPATCH(int32_impl, p, x, acc)
}
SDM_CLONES long long scatter_add(const ScatterPlan& p, const int32_t* x, int64_t* acc) {
  SDM_DISPATCH(int64_impl, p, x, acc)
}

void avgpool_forward(const Node& n, const Shape& is, const float* in, float* out) {
  const Shape& os = n.out;
  const float inv = 1.0f / float(n.kernel[0] * n.kernel[1] * n.kernel[2]);
  const bool uniform = n.uniform_divisor();
  // Valid input ranges per output index, per axis (the window clipped to the input);
  // the summation order is the one of the direct triple loop (t, h, w).
  auto ranges = [](int no, int ni, int k, int s, int p) {
    std::vector<std::array<int, 2>> r(static_cast<size_t>(no));
    for (int o = 0; o < no; ++o) r[size_t(o)] = {std::max(0, o * s - p), std::min(ni, o * s - p + k)};
    return r;
  };
  const auto rt = ranges(os.f, is.f, n.kernel[0], n.stride[0], n.pad_lo[0]);
  const auto rh = ranges(os.h, is.h, n.kernel[1], n.stride[1], n.pad_lo[1]);
  const auto rw = ranges(os.w, is.w, n.kernel[2], n.stride[2], n.pad_lo[2]);
  for (int c = 0; c < os.c; ++c)
    for (int fo = 0; fo < os.f; ++fo)
      for (int ho = 0; ho < os.h; ++ho)
        for (int wo = 0; wo < os.w; ++wo) {
          float s = 0;
          for (int fi = rt[size_t(fo)][0]; fi < rt[size_t(fo)][1]; ++fi)
            for (int hi = rh[size_t(ho)][0]; hi < rh[size_t(ho)][1]; ++hi) {
              const float* row = in + ((long(c) * is.f + fi) * is.h + hi) * is.w;
              for (int wi = rw[size_t(wo)][0]; wi < rw[size_t(wo)][1]; ++wi) s += row[wi];
            }
          // A partial window (count_include_pad = 0, ceil_mode) divides by its own taps.
          out[((long(c) * os.f + fo) * os.h + ho) * os.w + wo] =
              uniform ? s * inv : s / float(n.divisor(is, fo, ho, wo));
        }
}

void gap_forward(const Shape& is, const float* in, float* out) {
  const long P = is.plane();
  for (int c = 0; c < is.c; ++c) {
    double s = 0;
    for (long i = 0; i < P; ++i) s += in[c * P + i];
    out[c] = float(s / double(P));
  }
}

void linear_forward(const Node& n, long in_size, const float* in, float* out) {
  Eigen::Map<const RowMat> W(n.weight.data(), n.out.c, in_size);
  Eigen::Map<const Eigen::VectorXf> x(in, in_size);
  Eigen::Map<Eigen::VectorXf> y(out, n.out.c);
  y.noalias() = W * x;
  for (int o = 0; o < n.out.c; ++o) y[o] += n.bias[o];
}

void linear_node_forward(const Graph& g, int id, const std::vector<std::vector<float>>& vals,
                         std::vector<float>& out, std::vector<float>& scratch) {
  const Node& n = g.nodes[id];
  out.resize(size_t(n.out.size()));
  const Shape& s0 = g.nodes[n.inputs.at(0)].out;
  const float* x0 = vals[n.inputs[0]].data();
  switch (n.kind) {
    case OpKind::Conv: conv_forward(n, s0, x0, out.data(), scratch); break;
    case OpKind::AvgPool: avgpool_forward(n, s0, x0, out.data()); break;
    case OpKind::GlobalAvgPool: gap_forward(s0, x0, out.data()); break;
    case OpKind::Linear: linear_forward(n, s0.size(), x0, out.data()); break;
    case OpKind::Add: {
      const float* x1 = vals[n.inputs[1]].data();
      for (size_t i = 0; i < out.size(); ++i) out[i] = x0[i] + x1[i];
      break;
    }
    case OpKind::Concat: {
      size_t o = 0;
      for (int in : n.inputs) {
        std::copy(vals[in].begin(), vals[in].end(), out.begin() + long(o));
        o += vals[in].size();
      }
      break;
    }
    default: break;
  }
}

std::vector<float> ann_forward(const Graph& g, const unsigned char* pixels,
                               std::vector<std::vector<float>>* acts) {
  const long n_in = g.input().out.size();
  std::vector<float> x(static_cast<size_t>(n_in));
  for (long i = 0; i < n_in; ++i) x[size_t(i)] = float(pixels[i]) * g.input_scale + g.input_bias;
  return ann_forward_values(g, std::move(x), acts);
}

std::vector<float> ann_forward_values(const Graph& g, std::vector<float> input,
                                      std::vector<std::vector<float>>* acts) {
  std::vector<std::vector<float>> vals(g.nodes.size());
  std::vector<float> scratch;
  vals[0] = std::move(input);
  for (size_t id = 1; id < g.nodes.size(); ++id) {
    const Node& n = g.nodes[id];
    if (n.kind == OpKind::Clip) {
      const auto& x = vals[n.inputs[0]];
      vals[id].resize(x.size());
      for (size_t i = 0; i < x.size(); ++i) vals[id][i] = std::min(std::max(x[i], n.clip_lo), n.lambda);
    } else {
      linear_node_forward(g, int(id), vals, vals[id], scratch);
    }
  }
  std::vector<float> logits = vals[g.output];
  if (acts) *acts = std::move(vals);
  return logits;
}

template <class T>
static int argmax_t(const T* v, int n) {
  int best = 0;
  for (int i = 1; i < n; ++i)
    if (v[i] > v[best]) best = i;
  return best;
}
int argmax(const float* v, int n) { return argmax_t(v, n); }
int argmax(const double* v, int n) { return argmax_t(v, n); }
int argmax(const long long* v, int n) { return argmax_t(v, n); }

}  // namespace sdm
