#include "golden/ops.h"

#include <algorithm>

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

void avgpool_forward(const Node& n, const Shape& is, const float* in, float* out) {
  const Shape& os = n.out;
  const float inv = 1.0f / float(n.kernel[0] * n.kernel[1] * n.kernel[2]);
  for (int c = 0; c < os.c; ++c)
    for (int fo = 0; fo < os.f; ++fo)
      for (int ho = 0; ho < os.h; ++ho)
        for (int wo = 0; wo < os.w; ++wo) {
          float s = 0;
          for (int dt = 0; dt < n.kernel[0]; ++dt) {
            const int fi = fo * n.stride[0] - n.pad_lo[0] + dt;
            if (fi < 0 || fi >= is.f) continue;
            for (int dh = 0; dh < n.kernel[1]; ++dh) {
              const int hi = ho * n.stride[1] - n.pad_lo[1] + dh;
              if (hi < 0 || hi >= is.h) continue;
              for (int dw = 0; dw < n.kernel[2]; ++dw) {
                const int wi = wo * n.stride[2] - n.pad_lo[2] + dw;
                if (wi < 0 || wi >= is.w) continue;
                s += in[((long(c) * is.f + fi) * is.h + hi) * is.w + wi];
              }
            }
          }
          out[((long(c) * os.f + fo) * os.h + ho) * os.w + wo] = s * inv;
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
  std::vector<std::vector<float>> vals(g.nodes.size());
  std::vector<float> scratch;
  const long n_in = g.input().out.size();
  vals[0].resize(size_t(n_in));
  for (long i = 0; i < n_in; ++i) vals[0][i] = float(pixels[i]) * g.input_scale + g.input_bias;
  for (size_t id = 1; id < g.nodes.size(); ++id) {
    const Node& n = g.nodes[id];
    if (n.kind == OpKind::Clip) {
      const auto& x = vals[n.inputs[0]];
      vals[id].resize(x.size());
      for (size_t i = 0; i < x.size(); ++i) vals[id][i] = std::min(std::max(x[i], 0.0f), n.lambda);
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
