#include "golden/energy.h"

#include <algorithm>
#include <cmath>
#include <map>

#include <fmt/core.h>

#include "golden/error.h"
#include "golden/eval.h"

namespace sdm {
namespace {

long kvol(const std::array<int, 3>& k) { return long(k[0]) * k[1] * k[2]; }

}  // namespace

NetOps count_ops(const QNet& q) {
  const size_t NT = q.tensors.size();
  // Per tensor: additions one unit event at one of its elements causes downstream.
  std::vector<double> syn(NT, 0.0), other(NT, 0.0);
  NetOps ops;
  // Reverse stage order: a stage's consumers come after it.
  for (size_t si = q.stages.size(); si-- > 0;) {
    const QStage& s = q.stages[si];
    const QTensor& out = q.tensors.at(size_t(s.out));
    if (s.kind == QStage::SumPool) {
      const QTensor& src = q.tensors.at(size_t(s.src));
      // windows each source element enters, on average (dense, padding taps included)
      const double per_src = double(out.shape.size()) * double(kvol(s.kernel)) / double(src.shape.size());
      syn[size_t(s.src)] += per_src * syn[size_t(s.out)];
      other[size_t(s.src)] += per_src * (1.0 + other[size_t(s.out)]);
      continue;
    }
    for (const QTerm& t : s.terms) {
      const double conn = double(t.connections(out.shape));
      const double n_src = double(q.tensors.at(size_t(t.src)).shape.size());
      if (t.kind == QTerm::Conv) {
        ops.ann_macs += conn;
        if (!q.tensors[size_t(t.src)].per_step) ops.first_layer_macs += conn;
        syn[size_t(t.src)] += conn / n_src;
      } else {
        other[size_t(t.src)] += conn / n_src;
      }
    }
  }
  for (size_t si = 0; si < q.stages.size(); ++si) {
    const QStage& s = q.stages[si];
    if (s.kind != QStage::Neuron) continue;
    LayerOps l;
    l.name = s.name;
    l.stage = int(si);
    l.neurons = q.tensors[size_t(s.out)].shape.size();
    l.fanout = syn[size_t(s.out)];
    l.other_fanout = other[size_t(s.out)];
    ops.layers.push_back(l);
  }
  return ops;
}

Eq13 eq13(const NetOps& ops, const std::vector<double>& spikes, int T, const Eq13Prices& p) {
  if (spikes.size() != ops.layers.size())
    throw Error(fmt::format("energy: {} spike counts for {} spiking layers", spikes.size(),
                            ops.layers.size()));
  if (T < 1) throw Error(fmt::format("energy: T = {} must be >= 1", T));
  Eq13 e;
  e.T = T;
  e.prices = p;
  e.ann_macs = ops.ann_macs;
  e.snn_macs = ops.first_layer_macs;
  e.snn_macs_xT = ops.first_layer_macs * T;
  for (size_t l = 0; l < spikes.size(); ++l) {
    const LayerOps& lo = ops.layers[l];
    LayerEnergy le;
    le.name = lo.name;
    le.neurons = lo.neurons;
    le.spikes_per_clip = spikes[l];
    le.firing_rate = lo.neurons ? spikes[l] / (double(lo.neurons) * T) : 0.0;
    le.fanout = lo.fanout;
    le.other_fanout = lo.other_fanout;
    le.adds = spikes[l] * lo.fanout;
    le.other_adds = spikes[l] * lo.other_fanout;
    e.snn_adds += le.adds;
    e.snn_other_adds += le.other_adds;
    e.layers.push_back(le);
  }
  e.ann_pj = e.ann_macs * p.gamma_pj;
  e.snn_pj = e.snn_macs * p.gamma_pj + e.snn_adds * p.zeta_pj;
  e.snn_pj_xT = e.snn_macs_xT * p.gamma_pj + e.snn_adds * p.zeta_pj;
  e.ratio = e.ann_pj > 0 ? e.snn_pj / e.ann_pj : 0.0;
  e.ratio_xT = e.ann_pj > 0 ? e.snn_pj_xT / e.ann_pj : 0.0;
  return e;
}

double HwPrices::add_pj(int bits) const {
  const double b = double(std::max(bits, 1));
  if (b <= 8) return add8 * b / 8.0;
  if (b <= 16) return add8 + (add16 - add8) * (b - 8) / 8.0;
  if (b <= 32) return add16 + (add32 - add16) * (b - 16) / 16.0;
  return add32 * b / 32.0;
}

double HwPrices::mult_pj(int a, int b) const { return mult8 * double(a) * double(b) / 64.0; }

double HwPrices::sram_pj(double bytes, int bits) const {
  // E64(S) = sram64_8k * (S / 8 KB)^k with k fitted through the 32 KB point (k = 0.5 for the
  // default 10 / 20 pJ).
  const double k = std::log(sram64_32k / sram64_8k) / std::log(4.0);
  const double e64 = sram64_8k * std::pow(std::max(bytes, 1.0) / 8192.0, k);
  return e64 * double(bits) / 64.0;
}

HwEnergy hardware_energy(const QNet& q, const nlohmann::json& sig, const HwPrices& pr) {
  auto need = [&](const nlohmann::json& j, const char* key) -> const nlohmann::json& {
    if (!j.contains(key)) throw Error(fmt::format("signature: missing field '{}'", key));
    return j.at(key);
  };
  HwEnergy h;
  h.prices = pr;
  try {
    h.lanes = need(sig, "lanes").get<int>();
    h.T = need(need(sig, "config"), "T").get<int>();
    const auto& st = need(sig, "stages");
    const auto& mems = need(sig, "memories");
    const auto& w = need(sig, "widths");
    const int WB = need(w, "weight").get<int>();
    const int ACC = need(w, "acc").get<int>();
    const int NPW = need(w, "neuron_potential").get<int>();
    const int LW = need(w, "logit").get<int>();
    const auto& wr = need(sig, "weight_rom");
    const auto& br = need(sig, "bias_rom");
    const int wbits = need(wr, "word_bits").get<int>();
    const double wbytes = need(wr, "words").get<double>() * wbits / 8.0;
    const int bbits = need(br, "word_bits").get<int>();
    const double bbytes = need(br, "words").get<double>() * bbits / 8.0;
    h.cycles = need(need(sig, "predicted_cycles"), "per_clip").get<double>();
    if (st.size() != q.stages.size())
      throw Error(fmt::format("signature has {} stages, the network {}", st.size(), q.stages.size()));
    // Memory map: one entry per tensor ({tensor, depth, word_bits, value_bits}) or banks
    // holding several tensors ({depth, word_bits, tensors: [{tensor, value_bits}]}).
    const size_t NT = q.tensors.size();
    std::vector<int> word_bits(NT, 0), value_bits(NT, 0);
    std::vector<double> mem_bytes(NT, 0.0);
    std::vector<std::string> mem_name(NT);
    for (size_t i = 0; i < mems.size(); ++i) {
      const auto& m = mems[i];
      const int wb = need(m, "word_bits").get<int>();
      const double bytes = need(m, "depth").get<double>() * wb / 8.0;
      auto bind = [&](const nlohmann::json& t, int wbits) {
        const long id = t.contains("tensor") ? t.at("tensor").get<long>() : long(i);
        if (id < 0 || size_t(id) >= NT) throw Error(fmt::format("signature: memory tensor {} out of range", id));
        word_bits[size_t(id)] = wbits;
        value_bits[size_t(id)] = need(t, "value_bits").get<int>();
        mem_bytes[size_t(id)] = bytes;
        mem_name[size_t(id)] = m.value("memory", std::string());
      };
      if (m.contains("tensors")) {
        for (const auto& t : m.at("tensors")) bind(t, wb);
      } else {
        bind(m, wb);
      }
    }
    auto mem_of = [&](int t) {
      if (word_bits[size_t(t)] == 0)
        throw Error(fmt::format("signature: no memory holds tensor {} ('{}')", t, q.tensors[size_t(t)].name));
      return t;
    };
    std::vector<double> reads(q.tensors.size(), 0.0), writes(q.tensors.size(), 0.0);
    double mults = 0, mult_bits_prod = 0, acc_adds = 0, bias_reads = 0, neuron_adds = 0, logit_adds = 0;
    for (size_t si = 0; si < q.stages.size(); ++si) {
      const QStage& qs = q.stages[si];
      const auto& s = st[si];
      const Shape& os = q.tensors[size_t(qs.out)].shape;
      const double P = double(os.plane());
      const double G = need(s, "groups").get<double>();
      const bool stat = need(s, "static_input").get<bool>();
      const double steps = stat ? 1.0 : double(h.T);
      auto syn = [&](int src, long synapses) {
        const double cyc = P * G * steps * double(synapses);
        h.synapse_cycles += cyc;
        reads[size_t(mem_of(src))] += cyc;
        mults += cyc * h.lanes;
        mult_bits_prod += cyc * h.lanes * pr.mult_pj(WB, value_bits[size_t(src)]);
        acc_adds += cyc * h.lanes;
      };
      if (qs.kind == QStage::SumPool) {
        syn(qs.src, long(os.c) * kvol(qs.kernel));
      } else {
        for (const QTerm& t : qs.terms) {
          const long ci = q.tensors[size_t(t.src)].shape.c;
          syn(t.src, t.kind == QTerm::Conv ? ci * kvol(t.kernel) : ci);
        }
      }
      bias_reads += P * G * steps;
      acc_adds += P * G * steps * h.lanes;  // + bias
      if (qs.kind == QStage::Neuron) neuron_adds += P * G * double(h.T) * h.lanes * 3;  // v+=I, M+=I, v-=n*theta
      if (qs.kind == QStage::Readout) logit_adds += P * G * steps * h.lanes;
      else {
        writes[size_t(mem_of(qs.out))] += P * os.c;
        h.tensor_writes += P * os.c;
      }
    }
    auto item = [&](const std::string& what, double count, int bits, double bytes, double each) {
      HwItem it{what, count, bits, bytes, each, count * each};
      h.total_pj += it.pj;
      h.items.push_back(it);
    };
    item("weight ROM reads", h.synapse_cycles, wbits, wbytes, pr.sram_pj(wbytes, wbits));
    item("bias ROM reads", bias_reads, bbits, bbytes, pr.sram_pj(bbytes, bbits));
    for (size_t i = 0; i < q.tensors.size(); ++i) {
      if (reads[i] > 0)
        item(fmt::format("tensor '{}' reads", q.tensors[i].name.empty() ? "pixels" : q.tensors[i].name),
             reads[i], word_bits[i], mem_bytes[i], pr.sram_pj(mem_bytes[i], word_bits[i]));
      if (writes[i] > 0)
        item(fmt::format("tensor '{}' writes", q.tensors[i].name), writes[i], word_bits[i], mem_bytes[i],
             pr.sram_pj(mem_bytes[i], word_bits[i]));
    }
    item(fmt::format("synapse multiplies ({}b weight x spike)", WB), mults, WB, 0,
         mults > 0 ? mult_bits_prod / mults : 0.0);
    item("accumulator adds", acc_adds, ACC, 0, pr.add_pj(ACC));
    item("neuron adds (v, M, reset)", neuron_adds, NPW, 0, pr.add_pj(NPW));
    item("logit adds", logit_adds, LW, 0, pr.add_pj(LW));
  } catch (const nlohmann::json::exception& e) {
    throw Error(fmt::format("signature: {}", e.what()));
  }
  return h;
}

MeasuredEnergy measure_energy(const Graph& g, const ClipSet& data, const Config& cfg, int threads,
                              const Eq13Prices& prices) {
  cfg.validate();
  EvalRequest req;
  req.specs = {cfg.neuron};
  req.Ts = {cfg.T};
  req.int_mode = cfg.neuron.has_integer_mode();
  req.float_mode = !req.int_mode;
  req.weight_bits = cfg.weight_bits;
  req.threads = threads;
  EvalResult r = evaluate(g, data, req);
  if (r.rows.empty())
    throw Error(r.notes.empty() ? std::string("energy: the evaluation returned no rows") : "energy: " + r.notes.front());
  const EvalRow& row = r.rows.front();
  Config qc = cfg;
  if (!qc.neuron.has_integer_mode()) {  // structure only: any integer method has the same terms
    qc.neuron = NeuronSpec{};
  }
  const NetOps ops = count_ops(quantize(g, qc));
  std::vector<double> spikes;
  for (const LayerStat& l : row.layers) spikes.push_back(l.spikes_per_clip);
  MeasuredEnergy m;
  m.eq13 = eq13(ops, spikes, cfg.T, prices);
  m.mode = row.mode;
  m.clips = r.n;
  m.top1 = row.top1;
  m.ann_top1 = r.ann_top1;
  return m;
}

nlohmann::json to_json(const Eq13& e) {
  nlohmann::json j = {{"T", e.T},
                      {"gamma_pj_per_mac", e.prices.gamma_pj},
                      {"zeta_pj_per_add", e.prices.zeta_pj},
                      {"ann_macs", e.ann_macs},
                      {"snn_macs", e.snn_macs},
                      {"snn_macs_xT", e.snn_macs_xT},
                      {"snn_adds", e.snn_adds},
                      {"snn_other_adds", e.snn_other_adds},
                      {"ann_pj", e.ann_pj},
                      {"snn_pj", e.snn_pj},
                      {"snn_pj_xT", e.snn_pj_xT},
                      {"ratio", e.ratio},
                      {"ratio_xT", e.ratio_xT}};
  j["layers"] = nlohmann::json::array();
  for (const auto& l : e.layers)
    j["layers"].push_back({{"name", l.name}, {"neurons", l.neurons}, {"spikes_per_clip", l.spikes_per_clip},
                           {"firing_rate", l.firing_rate}, {"fanout", l.fanout},
                           {"other_fanout", l.other_fanout}, {"adds", l.adds}, {"other_adds", l.other_adds}});
  return j;
}

nlohmann::json to_json(const HwEnergy& h) {
  nlohmann::json j = {{"lanes", h.lanes}, {"T", h.T}, {"cycles", h.cycles},
                      {"synapse_cycles", h.synapse_cycles}, {"tensor_writes", h.tensor_writes},
                      {"total_pj", h.total_pj}};
  const HwPrices& p = h.prices;
  j["prices_pj"] = {{"add8", p.add8}, {"add16", p.add16}, {"add32", p.add32}, {"mult8", p.mult8},
                    {"sram64_8k", p.sram64_8k}, {"sram64_32k", p.sram64_32k}};
  j["items"] = nlohmann::json::array();
  for (const auto& i : h.items)
    j["items"].push_back({{"what", i.what}, {"count", i.count}, {"bits", i.bits}, {"bytes", i.bytes},
                          {"pj_each", i.pj_each}, {"pj", i.pj}});
  return j;
}

}  // namespace sdm
