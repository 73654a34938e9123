// The converted-SNN artifact (docs/artifact-format.md): magic, version, JSON manifest,
// little-endian binary tensors, CRC-32 trailer. Float graph and the quantized network
// are both stored so `eval` can re-quantize and `rtl` uses exactly what was converted.
#include "golden/artifact.h"

#include <cmath>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>

#include <fmt/core.h>
#include <nlohmann/json.hpp>
#include <zlib.h>

#include "golden/error.h"
#include "golden/fileio.h"
#include "golden/hw_widths.h"

namespace sdm {
namespace {

using json = nlohmann::json;
constexpr char kMagic[8] = {'S', 'D', 'M', 'F', 'O', 'R', 'G', 'E'};

class BlobWriter {
 public:
  template <class T>
  json put(const std::vector<T>& v) {
    static_assert(sizeof(T) == 4, "blobs hold 4-byte values");
    json r = {{"offset", bytes_.size()}, {"count", v.size()}};
    const size_t at = bytes_.size();
    bytes_.resize(at + v.size() * 4);
    if (!v.empty()) std::memcpy(bytes_.data() + at, v.data(), v.size() * 4);
    return r;
  }
  json put64(const std::vector<int64_t>& v) {
    json r = {{"offset", bytes_.size()}, {"count", v.size()}, {"bytes", 8}};
    const size_t at = bytes_.size();
    bytes_.resize(at + v.size() * 8);
    if (!v.empty()) std::memcpy(bytes_.data() + at, v.data(), v.size() * 8);
    return r;
  }
  const std::string& bytes() const { return bytes_; }

 private:
  std::string bytes_;
};

class BlobReader {
 public:
  BlobReader(const char* p, size_t n, const std::string& label) : p_(p), n_(n), label_(label) {}
  template <class T>
  std::vector<T> get(const json& ref, size_t width = 4) const {
    const size_t off = ref.at("offset").get<size_t>(), cnt = ref.at("count").get<size_t>();
    if (off > n_ || cnt > (n_ - off) / width)
      throw Error(fmt::format("'{}': tensor at offset {} ({} values) lies outside the file", label_, off, cnt));
    std::vector<T> v(cnt);
    if (cnt) std::memcpy(v.data(), p_ + off, cnt * width);
    return v;
  }

 private:
  const char* p_;
  size_t n_;
  std::string label_;
};

json shape_json(const Shape& s) { return json::array({s.c, s.f, s.h, s.w}); }
Shape shape_from(const json& j) {
  if (!j.is_array() || j.size() != 4) throw Error(fmt::format("bad tensor shape {}", j.dump()));
  Shape s{j.at(0).get<int>(), j.at(1).get<int>(), j.at(2).get<int>(), j.at(3).get<int>()};
  check_shape(s, "tensor");
  return s;
}

// Largest |value| any stored integer range may claim: far above real networks (the
// quantizer caps accumulators at 40 bits), low enough that bounds cannot overflow int64.
constexpr int64_t kMaxRange = int64_t{1} << 40;

int bits_for_magnitude(__int128 m) {  // signed width holding [-m, m]
  int b = 1;
  while (b < 127 && (__int128(1) << (b - 1)) - 1 < m) ++b;
  return b;
}

// The quantized network's contents, checked before anything indexes with them: a file
// whose CRC is valid but whose manifest lies (stride 0, a tensor id out of range, a stage
// reading a tensor nobody wrote, a range lo > hi, widths the integer model cannot hold)
// is a one-line error, not a crash.
void validate_qnet(const QNet& q, const Graph& g) {
  auto fail = [](const std::string& why) { throw Error(why); };
  if (q.tensors.empty()) fail("quantized network has no tensors");
  const QTensor& px = q.tensors[0];
  if (px.shape != g.input().out || px.per_step || px.lo != 0 || px.hi != 255)
    fail(fmt::format("tensor 0 must be the constant uint8 pixel input {}, got {} [{}, {}]",
                     g.input().out.str(), px.shape.str(), px.lo, px.hi));
  for (const QTensor& t : q.tensors) {
    if (t.lo > t.hi || t.lo < -kMaxRange || t.hi > kMaxRange)
      fail(fmt::format("tensor '{}': range [{}, {}] is empty or wider than 2^40", t.name, t.lo, t.hi));
    for (double u : t.unit)
      if (!std::isfinite(u) || !(u > 0)) fail(fmt::format("tensor '{}': unit {} is not finite and > 0", t.name, u));
  }
  std::vector<bool> written(q.tensors.size(), false);
  written[0] = true;
  auto read = [&](const QStage& s, int id) {
    if (!written[size_t(id)])
      fail(fmt::format("stage '{}' reads tensor {} before any stage writes it", s.name, id));
    return q.tensors[size_t(id)];
  };
  for (size_t k = 0; k < q.stages.size(); ++k) {
    const QStage& s = q.stages[k];
    const std::string what = fmt::format("stage '{}'", s.name);
    if (written[size_t(s.out)]) fail(fmt::format("{}: tensor {} is written twice", what, s.out));
    if ((s.kind == QStage::Readout) != (k + 1 == q.stages.size()))
      fail(fmt::format("{}: the readout must be the last stage, and only it", what));
    const QTensor& os = q.tensors[size_t(s.out)];
    for (int a = 0; a < 3; ++a)  // stored for every stage: nonsense is refused even where unused
      if (s.kernel[a] < 1 || s.stride[a] < 1 || s.pad_lo[a] < 0 || s.pad_hi[a] < 0)
        fail(fmt::format("{}: bad window on axis {}: kernel {} stride {}", what, a, s.kernel[a], s.stride[a]));
    if (s.kind == QStage::SumPool) {
      const QTensor is = read(s, s.src);
      check_window(is.shape, os.shape, s.kernel, s.stride, s.pad_lo, s.pad_hi, what);
      const int64_t K = int64_t(s.kernel[0]) * s.kernel[1] * s.kernel[2];
      if (os.shape.c != is.shape.c || os.per_step != is.per_step || os.lo != is.lo * K ||
          os.hi != is.hi * K || std::max(-os.lo, os.hi) > INT32_MAX)
        fail(fmt::format("{}: output tensor does not hold the window sum of its input", what));
      written[size_t(s.out)] = true;
      continue;
    }
    if (long(s.bias.size()) != os.shape.c) fail(fmt::format("{}: bias count", what));
    if (!std::isfinite(s.theta) || !(s.theta > 0)) fail(fmt::format("{}: threshold {}", what, s.theta));
    // The readout's F may be negative (its weights are scaled down to fit the ROM).
    const int Fmin = s.kind == QStage::Readout ? -30 : 0;
    if (s.F < Fmin || s.F > 30) fail(fmt::format("{}: F = {} outside {}..30", what, s.F, Fmin));
    std::vector<__int128> bound(size_t(os.shape.c), 0);
    for (size_t c = 0; c < bound.size(); ++c) {
      if (s.bias[c] < -kMaxRange || s.bias[c] > kMaxRange)
        fail(fmt::format("{}: bias {} is wider than 2^40", what, s.bias[c]));
      bound[c] = s.bias[c] < 0 ? -__int128(s.bias[c]) : s.bias[c];
    }
    bool all_static = true;
    for (const QTerm& t : s.terms) {
      const QTensor is = read(s, t.src);
      all_static = all_static && !is.per_step;
      const __int128 xmax = std::max(-is.lo, is.hi);
      if (t.kind == QTerm::Conv) {
        check_window(is.shape, os.shape, t.kernel, t.stride, t.pad_lo, t.pad_hi, what);
        const long row = long(t.weight.size()) / os.shape.c;
        for (size_t o = 0; o < bound.size(); ++o)
          for (long j = 0; j < row; ++j) bound[o] += std::llabs(t.weight[o * size_t(row) + size_t(j)]) * xmax;
      } else {
        if (is.shape.plane() != os.shape.plane() || is.shape.f != os.shape.f || is.shape.h != os.shape.h)
          fail(fmt::format("{}: identity term from {} into {}", what, is.shape.str(), os.shape.str()));
        for (size_t c = 0; c < t.scale.size(); ++c)
          bound[c + size_t(t.out_offset)] += std::llabs(t.scale[c]) * xmax;
      }
    }
    if (s.static_input != all_static) fail(fmt::format("{}: static_input flag contradicts its sources", what));
    __int128 m = 0;
    for (__int128 b : bound) m = std::max(m, b);
    if (m > kMaxRange || s.acc_bits < bits_for_magnitude(m) || s.acc_bits > 40)
      fail(fmt::format("{}: accumulator width {} cannot hold its largest current", what, s.acc_bits));
    if (s.kind == QStage::Neuron) {
      const IntRule& r = s.rule;
      if (r.F != s.F || r.beta < 1 || r.beta > 65535 || os.lo != (r.dual ? -1 : 0) ||
          os.hi != r.beta || !os.per_step)
        fail(fmt::format("{}: spike tensor range [{}, {}] does not match its rule (beta {}, dual {})",
                         what, os.lo, os.hi, r.beta, r.dual));
    } else if (os.shape != Shape{g.num_classes(), 1, 1, 1}) {
      fail(fmt::format("{}: readout {} for a model of {} classes", what, os.shape.str(), g.num_classes()));
    }
    written[size_t(s.out)] = true;
  }
}
OpKind op_from(const std::string& s) {
  for (OpKind k : {OpKind::Input, OpKind::Conv, OpKind::AvgPool, OpKind::GlobalAvgPool,
                   OpKind::Add, OpKind::Concat, OpKind::Clip, OpKind::Linear})
    if (s == op_name(k)) return k;
  throw Error(fmt::format("unknown op '{}'", s));
}

}  // namespace

std::string serialize_artifact(const Artifact& a) {
  BlobWriter blob;
  json g;
  g["name"] = a.graph.name;
  g["input_scale"] = a.graph.input_scale;
  g["input_bias"] = a.graph.input_bias;
  g["output"] = a.graph.output;
  g["nodes"] = json::array();
  for (const Node& n : a.graph.nodes) {
    json jn = {{"name", n.name}, {"op", op_name(n.kind)}, {"inputs", n.inputs},
               {"out", shape_json(n.out)}, {"kernel", n.kernel}, {"stride", n.stride},
               {"pad_lo", n.pad_lo}, {"pad_hi", n.pad_hi}, {"lambda", n.lambda}};
    // Written only when not the default, so artifacts of earlier versions read the same.
    if (n.clip_lo != 0.0f) jn["clip_lo"] = n.clip_lo;
    if (n.exclude_pad) jn["exclude_pad"] = true;
    if (n.ceil_pad != std::array<int, 3>{}) jn["ceil_pad"] = n.ceil_pad;
    if (!n.weight.empty() || n.kind == OpKind::Conv || n.kind == OpKind::Linear) {
      jn["weight"] = blob.put(n.weight);
      jn["bias"] = blob.put(n.bias);
    }
    g["nodes"].push_back(jn);
  }
  json m;
  m["format"] = "sdmforge-snn";
  m["version"] = kArtifactVersion;
  m["config"] = a.cfg;
  m["graph"] = g;
  if (a.has_qnet) {
    json q;
    q["tensors"] = json::array();
    for (const QTensor& t : a.qnet.tensors)
      q["tensors"].push_back({{"name", t.name}, {"shape", shape_json(t.shape)},
                              {"per_step", t.per_step}, {"lo", t.lo}, {"hi", t.hi},
                              {"unit", t.unit}});
    q["stages"] = json::array();
    for (const QStage& s : a.qnet.stages) {
      json js = {{"kind", s.kind == QStage::Neuron ? "neuron" : s.kind == QStage::SumPool ? "sumpool" : "readout"},
                 {"name", s.name}, {"out", s.out}, {"acc_bits", s.acc_bits},
                 {"static_input", s.static_input}, {"theta", s.theta}, {"F", s.F},
                 {"src", s.src}, {"kernel", s.kernel}, {"stride", s.stride},
                 {"pad_lo", s.pad_lo}, {"pad_hi", s.pad_hi}, {"bias", blob.put64(s.bias)}};
      js["rule"] = {{"F", s.rule.F}, {"beta", s.rule.beta}, {"dual", s.rule.dual},
                    {"init_half", s.rule.init_half}, {"pbits", s.rule.pbits}};
      js["terms"] = json::array();
      for (const QTerm& t : s.terms)
        js["terms"].push_back({{"kind", t.kind == QTerm::Conv ? "conv" : "identity"},
                               {"src", t.src}, {"kernel", t.kernel}, {"stride", t.stride},
                               {"pad_lo", t.pad_lo}, {"pad_hi", t.pad_hi},
                               {"out_offset", t.out_offset}, {"weight", blob.put(t.weight)},
                               {"scale", blob.put(t.scale)}});
      q["stages"].push_back(js);
    }
    m["qnet"] = q;
  } else {
    m["qnet"] = nullptr;
  }
  const std::string manifest = m.dump();
  std::string out(kMagic, 8);
  auto put_u64 = [&](uint64_t v) {
    for (int i = 0; i < 8; ++i) out.push_back(char((v >> (8 * i)) & 0xff));
  };
  auto put_u32 = [&](uint32_t v) {
    for (int i = 0; i < 4; ++i) out.push_back(char((v >> (8 * i)) & 0xff));
  };
  put_u32(kArtifactVersion);
  put_u64(manifest.size());
  out += manifest;
  put_u64(blob.bytes().size());
  out += blob.bytes();
  put_u32(uint32_t(crc32(0L, reinterpret_cast<const Bytef*>(out.data()), uInt(out.size()))));
  return out;
}

Artifact parse_artifact(const std::string& bytes, const std::string& label) {
  auto bad = [&](const std::string& why) { return Error(fmt::format("'{}': {}", label, why)); };
  if (bytes.size() < 8 || std::memcmp(bytes.data(), kMagic, 8) != 0)
    throw bad("not an sdmforge SNN artifact (bad magic)");
  if (bytes.size() < 8 + 4 + 8 + 8 + 4) throw bad("truncated artifact");
  auto u32 = [&](size_t at) {
    uint32_t v = 0;
    for (int i = 0; i < 4; ++i) v |= uint32_t(uint8_t(bytes[at + i])) << (8 * i);
    return v;
  };
  auto u64 = [&](size_t at) {
    uint64_t v = 0;
    for (int i = 0; i < 8; ++i) v |= uint64_t(uint8_t(bytes[at + i])) << (8 * i);
    return v;
  };
  const uint32_t version = u32(8);
  if (version != kArtifactVersion)
    throw bad(fmt::format("artifact version {} is not supported (this sdmforge reads {})", version,
                          kArtifactVersion));
  const uint64_t mlen = u64(12);
  if (mlen > bytes.size() - 20 - 12) throw bad("truncated artifact (manifest)");
  const size_t blob_at = 20 + mlen + 8;
  const uint64_t blen = u64(20 + mlen);
  if (blen > bytes.size() || bytes.size() != blob_at + blen + 4)
    throw bad(fmt::format("truncated or padded artifact ({} bytes, expected {})", bytes.size(),
                          blob_at + blen + 4));
  const uint32_t crc = uint32_t(crc32(0L, reinterpret_cast<const Bytef*>(bytes.data()), uInt(blob_at + blen)));
  if (crc != u32(blob_at + blen)) throw bad("checksum mismatch: the file is corrupt");

  Artifact a;
  try {
    const json m = json::parse(bytes.begin() + 20, bytes.begin() + 20 + long(mlen));
    if (m.at("format") != "sdmforge-snn") throw bad("manifest is not an sdmforge-snn manifest");
    BlobReader blob(bytes.data() + blob_at, blen, label);
    a.cfg = m.at("config").get<Config>();
    a.cfg.validate();
    const json& g = m.at("graph");
    a.graph.name = g.at("name");
    a.graph.input_scale = g.at("input_scale");
    a.graph.input_bias = g.at("input_bias");
    a.graph.output = g.at("output");
    for (const json& jn : g.at("nodes")) {
      Node n;
      n.name = jn.at("name");
      n.kind = op_from(jn.at("op"));
      n.inputs = jn.at("inputs").get<std::vector<int>>();
      n.out = shape_from(jn.at("out"));
      n.kernel = jn.at("kernel");
      n.stride = jn.at("stride");
      n.pad_lo = jn.at("pad_lo");
      n.pad_hi = jn.at("pad_hi");
      n.lambda = jn.at("lambda");
      n.clip_lo = jn.value("clip_lo", 0.0f);
      n.exclude_pad = jn.value("exclude_pad", false);
      if (jn.contains("ceil_pad")) n.ceil_pad = jn.at("ceil_pad");
      if (jn.contains("weight")) {
        n.weight = blob.get<float>(jn.at("weight"));
        n.bias = blob.get<float>(jn.at("bias"));
      }
      a.graph.nodes.push_back(std::move(n));
    }
    a.graph.validate();
    a.has_qnet = !m.at("qnet").is_null();
    if (a.has_qnet) {
      const json& q = m.at("qnet");
      a.qnet.cfg = a.cfg;
      for (const json& jt : q.at("tensors")) {
        QTensor t;
        t.name = jt.at("name");
        t.shape = shape_from(jt.at("shape"));
        t.per_step = jt.at("per_step");
        t.lo = jt.at("lo");
        t.hi = jt.at("hi");
        t.unit = jt.at("unit").get<std::vector<double>>();
        if (long(t.unit.size()) != t.shape.c) throw bad(fmt::format("tensor '{}': unit count", t.name));
        a.qnet.tensors.push_back(std::move(t));
      }
      const int nt = int(a.qnet.tensors.size());
      auto tensor_id = [&](const json& j) {
        int id = j.get<int>();
        if (id < 0 || id >= nt) throw bad(fmt::format("tensor id {} out of range", id));
        return id;
      };
      for (const json& js : q.at("stages")) {
        QStage s;
        const std::string kind = js.at("kind");
        s.kind = kind == "neuron" ? QStage::Neuron : kind == "sumpool" ? QStage::SumPool : QStage::Readout;
        s.name = js.at("name");
        s.out = tensor_id(js.at("out"));
        s.acc_bits = js.at("acc_bits");
        s.static_input = js.at("static_input");
        s.theta = js.at("theta");
        s.F = js.at("F");
        s.src = tensor_id(js.at("src"));
        s.kernel = js.at("kernel");
        s.stride = js.at("stride");
        s.pad_lo = js.at("pad_lo");
        s.pad_hi = js.at("pad_hi");
        s.bias = blob.get<int64_t>(js.at("bias"), 8);
        const json& r = js.at("rule");
        s.rule = IntRule{r.at("F"), r.at("beta"), r.at("dual"), r.at("init_half"), r.at("pbits")};
        if (s.kind == QStage::Neuron && (s.rule.F < 0 || s.rule.pbits < s.rule.F + 2 || s.rule.pbits > 48))
          throw bad(fmt::format("stage '{}': bad widths F={} pbits={}", s.name, s.rule.F, s.rule.pbits));
        const Shape& os = a.qnet.tensors[s.out].shape;
        if (s.kind != QStage::SumPool && long(s.bias.size()) != os.c)
          throw bad(fmt::format("stage '{}': bias count", s.name));
        for (const json& jt : js.at("terms")) {
          QTerm t;
          t.kind = jt.at("kind") == "conv" ? QTerm::Conv : QTerm::Identity;
          t.src = tensor_id(jt.at("src"));
          t.kernel = jt.at("kernel");
          t.stride = jt.at("stride");
          t.pad_lo = jt.at("pad_lo");
          t.pad_hi = jt.at("pad_hi");
          t.out_offset = jt.at("out_offset");
          t.weight = blob.get<int32_t>(jt.at("weight"));
          t.scale = blob.get<int32_t>(jt.at("scale"));
          const Shape& is = a.qnet.tensors[t.src].shape;
          // Geometry first: the weight count below multiplies the kernel sizes.
          if (t.kind == QTerm::Conv)
            check_window(is, os, t.kernel, t.stride, t.pad_lo, t.pad_hi, "stage '" + s.name + "'");
          const long expect = t.kind == QTerm::Conv
                                  ? long(os.c) * is.c * t.kernel[0] * t.kernel[1] * t.kernel[2]
                                  : is.c;
          const long got = long(t.kind == QTerm::Conv ? t.weight.size() : t.scale.size());
          if (got != expect) throw bad(fmt::format("stage '{}': {} weights, expected {}", s.name, got, expect));
          if (t.kind == QTerm::Identity && (t.out_offset < 0 || t.out_offset + is.c > os.c))
            throw bad(fmt::format("stage '{}': identity channels out of range", s.name));
          s.terms.push_back(std::move(t));
        }
        a.qnet.stages.push_back(std::move(s));
      }
      if (a.qnet.stages.empty() || a.qnet.stages.back().kind != QStage::Readout)
        throw bad("quantized network has no readout stage");
      validate_qnet(a.qnet, a.graph);
      try {
        check_stored_widths(a.qnet);
      } catch (const Error& e) {
        throw bad(e.what());
      }
    }
  } catch (const nlohmann::json::exception& e) {
    throw bad(fmt::format("malformed manifest: {}", e.what()));
  } catch (const Error& e) {
    const std::string msg = e.what();
    if (msg.rfind("'" + label + "'", 0) == 0) throw;
    throw bad(msg);
  }
  return a;
}

void save_artifact(const Artifact& a, const std::string& path) {
  write_file_atomic(path, serialize_artifact(a));
}

Artifact load_artifact(const std::string& path) {
  // Magic first, then exactly the file's size (`eval /dev/zero` must not read forever).
  return parse_artifact(read_file_checked(path, std::string(kMagic, 8), "sdmforge SNN artifact"), path);
}

Artifact make_artifact(const Graph& g, const Config& cfg) {
  cfg.validate();
  Artifact a;
  a.graph = g;
  a.cfg = cfg;
  a.has_qnet = cfg.neuron.has_integer_mode();
  if (a.has_qnet) a.qnet = quantize(g, cfg);
  return a;
}

}  // namespace sdm
