// Energy model (golden/energy.h, docs/energy.md): hand-computed small cases.
#include <cmath>
#include <fstream>
#include <map>
#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "golden/energy.h"
#include "golden/error.h"
#include "golden/onnx_import.h"

using namespace sdm;

namespace {

QTensor tensor(const char* name, Shape s, bool per_step = true) {
  QTensor t;
  t.name = name;
  t.shape = s;
  t.per_step = per_step;
  t.lo = per_step ? -1 : 0;
  t.hi = per_step ? 5 : 255;
  return t;
}

// pixels (1x1x1x4, constant) -> conv k=3 (2 ch)  -> L0 (2x1x1x4)
// L0 -> 1x1 conv + identity shortcut            -> L1 (2x1x1x4)
// L1 -> SumPool k=2 s=2                         -> P  (2x1x1x2)
// P  -> linear (3 classes)                      -> logits
QNet tiny() {
  QNet q;
  q.tensors = {tensor("px", {1, 1, 1, 4}, false), tensor("L0", {2, 1, 1, 4}), tensor("L1", {2, 1, 1, 4}),
               tensor("P", {2, 1, 1, 2}), tensor("logits", {3, 1, 1, 1})};
  QStage s0;
  s0.kind = QStage::Neuron;
  s0.name = "L0";
  s0.out = 1;
  s0.static_input = true;
  QTerm c0;
  c0.src = 0;
  c0.kernel = {1, 1, 3};
  c0.pad_lo = {0, 0, 1};
  c0.pad_hi = {0, 0, 1};
  c0.weight.assign(2 * 1 * 3, 1);  // connections 6 * 4 = 24
  s0.terms = {c0};
  QStage s1;
  s1.kind = QStage::Neuron;
  s1.name = "L1";
  s1.out = 2;
  QTerm c1;
  c1.src = 1;
  c1.weight.assign(2 * 2, 1);  // 1x1x1: connections 4 * 4 = 16
  QTerm id;
  id.kind = QTerm::Identity;
  id.src = 1;
  id.scale = {1, 1};  // connections 2 * 4 = 8
  s1.terms = {c1, id};
  QStage p;
  p.kind = QStage::SumPool;
  p.name = "pool";
  p.src = 2;
  p.out = 3;
  p.kernel = {1, 1, 2};
  p.stride = {1, 1, 2};
  QStage r;
  r.kind = QStage::Readout;
  r.name = "fc";
  r.out = 4;
  QTerm c3;
  c3.src = 3;
  c3.kernel = {1, 1, 2};
  c3.weight.assign(3 * 2 * 2, 1);  // connections 12 * 1 = 12
  r.terms = {c3};
  q.stages = {s0, s1, p, r};
  return q;
}

}  // namespace

TEST(Energy, CountOpsTiny) {
  NetOps ops = count_ops(tiny());
  EXPECT_DOUBLE_EQ(ops.ann_macs, 24 + 16 + 12);
  EXPECT_DOUBLE_EQ(ops.first_layer_macs, 24);
  ASSERT_EQ(ops.layers.size(), 2u);
  EXPECT_EQ(ops.layers[0].name, "L0");
  EXPECT_EQ(ops.layers[0].neurons, 8);
  EXPECT_DOUBLE_EQ(ops.layers[0].fanout, 16.0 / 8);       // 1x1 conv into L1
  EXPECT_DOUBLE_EQ(ops.layers[0].other_fanout, 8.0 / 8);  // identity shortcut
  // L1 -> pool: every element enters one window (4 outputs * 2 taps / 8) -> linear: 12 / 4
  EXPECT_DOUBLE_EQ(ops.layers[1].fanout, 1.0 * 3.0);
  EXPECT_DOUBLE_EQ(ops.layers[1].other_fanout, 1.0);  // the pool's own addition
}

TEST(Energy, Eq13Tiny) {
  NetOps ops = count_ops(tiny());
  // Round prices, so every figure below is a hand-computed literal; the default prices are
  // checked against the paper in PaperTableIII.
  Eq13Prices p;
  p.gamma_pj = 2;
  p.zeta_pj = 1;
  Eq13 e = eq13(ops, {10, 4}, 2, p);
  EXPECT_DOUBLE_EQ(e.snn_adds, 10 * 2 + 4 * 3);
  EXPECT_DOUBLE_EQ(e.snn_other_adds, 10 * 1 + 4 * 1);
  EXPECT_DOUBLE_EQ(e.ann_pj, 104);     // b = 52 MACs
  EXPECT_DOUBLE_EQ(e.snn_pj, 80);      // c = 24 MACs + d = 32 adds
  EXPECT_DOUBLE_EQ(e.snn_pj_xT, 128);  // c·T = 48 MACs + 32 adds
  EXPECT_DOUBLE_EQ(e.ratio, 80.0 / 104);
  EXPECT_DOUBLE_EQ(e.ratio_xT, 128.0 / 104);
  EXPECT_DOUBLE_EQ(e.layers[0].firing_rate, 10.0 / (8 * 2));
  nlohmann::json j = to_json(e);
  EXPECT_DOUBLE_EQ(j["ratio"].get<double>(), e.ratio);
  EXPECT_EQ(j["layers"].size(), 2u);
  EXPECT_THROW(eq13(ops, {1.0}, 2), Error);
  EXPECT_THROW(eq13(ops, {1.0, 2.0}, 0), Error);
}

TEST(Energy, PaperTableIII) {
  // Every "w SDM" row of the paper's Table III (report/paper_tables.json): b = its ANN row's
  // #OP_ANN, c = its own #OP_ANN, d = its #OP_SNN. The default prices (gamma, zeta) must give
  // both energies the paper prints (3 decimals, so within 0.5 mJ).
  std::ifstream f(std::string(SDM_SOURCE_DIR) + "/report/paper_tables.json");
  ASSERT_TRUE(f) << "report/paper_tables.json";
  const nlohmann::json t3 = nlohmann::json::parse(f)["table_III"];
  std::map<std::string, nlohmann::json> ann;
  for (const auto& r : t3["rows"])
    if (!r.contains("ann")) ann[r["method"].get<std::string>()] = r;
  int checked = 0;
  for (const auto& r : t3["rows"]) {
    if (!r.contains("ann")) continue;
    const nlohmann::json& a = ann.at(r["ann"].get<std::string>());
    NetOps ops;
    ops.ann_macs = a["op_ann"].get<double>();
    ops.first_layer_macs = r["op_ann"].get<double>();
    LayerOps l;
    l.fanout = 1;
    ops.layers = {l};
    Eq13 e = eq13(ops, {r["op_snn"].get<double>()}, t3["T"].get<int>());
    const std::string what = r["method"].get<std::string>();
    EXPECT_NEAR(e.ann_pj * 1e-12, a["energy_j"].get<double>(), 5e-4) << what;
    EXPECT_NEAR(e.snn_pj * 1e-12, r["energy_j"].get<double>(), 5e-4) << what;
    ++checked;
  }
  EXPECT_EQ(checked, 2);
}

TEST(Energy, Prices) {
  HwPrices p;
  EXPECT_DOUBLE_EQ(p.add_pj(8), 0.03);
  EXPECT_DOUBLE_EQ(p.add_pj(16), 0.05);
  EXPECT_DOUBLE_EQ(p.add_pj(32), 0.1);
  EXPECT_NEAR(p.add_pj(12), 0.04, 1e-12);
  EXPECT_NEAR(p.add_pj(24), 0.075, 1e-12);
  EXPECT_NEAR(p.add_pj(4), 0.015, 1e-12);
  EXPECT_NEAR(p.add_pj(64), 0.2, 1e-12);
  EXPECT_DOUBLE_EQ(p.mult_pj(8, 8), 0.2);
  EXPECT_NEAR(p.mult_pj(8, 4), 0.1, 1e-12);
  EXPECT_NEAR(p.mult_pj(32, 32), 3.2, 1e-12);  // Horowitz: 3.1 pJ
  EXPECT_NEAR(p.sram_pj(8192, 64), 10, 1e-9);
  EXPECT_NEAR(p.sram_pj(32768, 64), 20, 1e-9);
  EXPECT_NEAR(p.sram_pj(8192, 32), 5, 1e-9);
  EXPECT_NEAR(p.sram_pj(2048, 64), 5, 1e-9);
  EXPECT_NEAR(p.sram_pj(1 << 20, 64), 113.1, 0.1);  // Horowitz: 100 pJ at 1 MB
}

TEST(Energy, HardwareTiny) {
  QNet q = tiny();
  nlohmann::json sig;
  sig["lanes"] = 2;
  sig["config"] = {{"T", 2}};
  sig["widths"] = {{"weight", 8}, {"acc", 16}, {"neuron_potential", 12}, {"logit", 20}};
  sig["weight_rom"] = {{"words", 100}, {"word_bits", 16}};
  sig["bias_rom"] = {{"words", 4}, {"word_bits", 32}};
  sig["predicted_cycles"] = {{"per_clip", 1000}};
  sig["stages"] = nlohmann::json::array();
  const int groups[] = {1, 1, 1, 2};
  const bool stat[] = {true, false, false, false};
  for (int i = 0; i < 4; ++i) sig["stages"].push_back({{"groups", groups[i]}, {"static_input", stat[i]}});
  sig["memories"] = nlohmann::json::array();
  for (const QTensor& t : q.tensors)
    sig["memories"].push_back({{"depth", t.shape.size()}, {"word_bits", t.per_step ? 8 : 8},
                               {"value_bits", t.per_step ? 4 : 9}});
  HwEnergy h = hardware_energy(q, sig);
  // synapse cycles: L0 4 pos * 3 (once) + L1 4 * 2 steps * (2 + 2) + pool 2 * 2 * 4 + fc 2 groups * 2 * 4
  EXPECT_DOUBLE_EQ(h.synapse_cycles, 12 + 32 + 16 + 16);
  EXPECT_DOUBLE_EQ(h.tensor_writes, 8 + 8 + 4);
  EXPECT_DOUBLE_EQ(h.cycles, 1000);
  auto find = [&](const std::string& what) -> const HwItem& {
    for (const auto& i : h.items)
      if (i.what.rfind(what, 0) == 0) return i;
    ADD_FAILURE() << "no item " << what;
    return h.items.front();
  };
  EXPECT_DOUBLE_EQ(find("weight ROM reads").count, 76);
  EXPECT_NEAR(find("weight ROM reads").pj_each, 10 * std::sqrt(200.0 / 8192) * 16 / 64, 1e-12);
  EXPECT_DOUBLE_EQ(find("bias ROM reads").count, 4 + 8 + 4 + 4);
  EXPECT_DOUBLE_EQ(find("synapse multiplies").count, 152);
  EXPECT_DOUBLE_EQ(find("accumulator adds").count, 152 + 40);
  EXPECT_DOUBLE_EQ(find("neuron adds").count, 96);
  EXPECT_DOUBLE_EQ(find("logit adds").count, 8);
  EXPECT_DOUBLE_EQ(find("tensor 'px' reads").count, 12);
  EXPECT_DOUBLE_EQ(find("tensor 'L0' reads").count, 32);
  EXPECT_DOUBLE_EQ(find("tensor 'L1' writes").count, 8);
  double sum = 0;
  for (const auto& i : h.items) sum += i.pj;
  EXPECT_NEAR(h.total_pj, sum, 1e-9);
  // the banked memory map (several tensors per memory) gives the same counts
  nlohmann::json banked = sig;
  banked["memories"] = nlohmann::json::array();
  nlohmann::json bank = {{"depth", 64}, {"word_bits", 8}, {"tensors", nlohmann::json::array()}};
  for (size_t t = 0; t < q.tensors.size(); ++t)
    bank["tensors"].push_back({{"tensor", t}, {"value_bits", q.tensors[t].per_step ? 4 : 9}});
  banked["memories"].push_back(bank);
  HwEnergy hb = hardware_energy(q, banked);
  EXPECT_DOUBLE_EQ(hb.synapse_cycles, h.synapse_cycles);
  ASSERT_EQ(hb.items.size(), h.items.size());
  for (size_t i = 0; i < hb.items.size(); ++i) EXPECT_DOUBLE_EQ(hb.items[i].count, h.items[i].count);
  nlohmann::json bad = sig;
  bad["stages"].erase(0);
  EXPECT_THROW(hardware_energy(q, bad), Error);
  bad = sig;
  bad.erase("widths");
  EXPECT_THROW(hardware_energy(q, bad), Error);
}

TEST(Energy, DefaultModelDenseMacs) {
  // models/default/card.md: 8349856 dense synaptic ops per time-step.
  Graph g = import_onnx(std::string(SDM_SOURCE_DIR) + "/models/default/model.onnx");
  Config cfg;
  cfg.neuron.method = Method::SDM;
  cfg.neuron.alpha = 0.2;
  cfg.neuron.beta = 5;
  cfg.T = 4;
  NetOps ops = count_ops(quantize(g, cfg));
  EXPECT_DOUBLE_EQ(ops.ann_macs, 8349856);
  EXPECT_EQ(ops.layers.size(), g.clip_nodes().size());
  EXPECT_DOUBLE_EQ(ops.first_layer_macs, 8.0 * 27 * 8 * 16 * 16);  // stem: 1 -> 8 ch, 3x3x3, 8x16x16
  // last spiking layer -> global pool -> linear(16 -> 10): each spike adds into 10 logits
  EXPECT_DOUBLE_EQ(ops.layers.back().fanout, 10.0);
}
