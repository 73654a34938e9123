// signature.json: what a consumer of the generated design needs without parsing Verilog
// (ports, widths, memory map, counters, ROM files, per-stage and per-clip cycle prediction).
#include "rtl_gen/accel_blocks.h"

namespace sdm::accel {

using namespace vast;

nlohmann::json accel_signature(const BuildCtx& c, const Artifact& a, const CyclePrediction& pred,
                               const TensorMemPorts& tm, const CounterPorts& cnt,
                               const std::map<std::string, std::string>& files) {
  const AccelWidths& w = c.w;
  const HwPlan& p = c.p;
  const int Ln = w.Ln;
  nlohmann::json sig;
  sig["format"] = "sdmforge-signature";
  sig["version"] = 1;
  sig["top"] = "sdm_accel";
  sig["model"] = a.graph.name;
  sig["config"] = p.cfg;
  sig["lanes"] = Ln;
  sig["hw_options"] = to_json(p.opt);
  sig["neurons"] = p.neurons();
  sig["num_classes"] = w.K;
  sig["class_width"] = w.CLW;
  sig["logit_width"] = w.LW;
  sig["clip_bytes"] = w.clip;
  // the result beat on m_axis_tdata_o (one per clip, tlast set)
  sig["result_beat"] = {{"tdata_bits", w.RDW}, {"class_lo", 0}, {"class_bits", w.CLW}, {"logit_lo", w.RCB},
                        {"logit_bits", w.LW}, {"num_logits", w.K}};
  {
    const Shape& s = c.q.tensors[0].shape;
    sig["clip_shape"] = {s.c, s.f, s.h, s.w};
  }
  sig["files"] = {"sdm_accel.v", "sd_neuron.v", "weights.hex", "bias.hex"};
  sig["ports"] = nlohmann::json::array();
  for (const Def* d : c.m->ports())
    sig["ports"].push_back({{"name", d->name}, {"dir", d->kind == DefKind::kInput ? "input" : "output"},
                            {"width", d->type.width}});
  // products per cycle: per lane and simd slice T products, step 0 on a wide multiplier (x
  // bits) in the wide slices (AccelWidths::wide), the others shift-add units (x_step bits),
  // all feeding the lane's T accumulators
  const int S = p.simd;
  sig["mac_units"] = {{"wide", Ln * w.wide_slices},
                      {"shift_add", w.XSW > 0 ? Ln * (S * w.T - w.wide_slices) : 0},
                      {"accumulators", Ln * w.T},
                      {"simd", S},
                      {"products_per_cycle", long(Ln) * S * w.T}};
  sig["widths"] = {{"weight", w.WB}, {"x", w.XW}, {"x_step", w.XSW}, {"product", w.PRW},
                   {"step_product", w.XSW > 0 ? w.WB + w.XSW : 0}, {"acc", w.ACC}, {"neuron_current", w.NACC},
                   {"neuron_potential", w.NPW}, {"neuron_F", w.NF}, {"spike", w.NW}, {"logit", w.LW}};
  sig["counters"] = nlohmann::json::array();
  for (size_t i = 0; i < cnt.counters.size(); ++i)
    sig["counters"].push_back({{"index", i}, {"name", cnt.counters[i].first}});
  sig["memories"] = tm.memmap;
  long tensor_bits = 0;
  for (const auto& mm : tm.memmap) tensor_bits += mm["bits"].get<long>();
  sig["memory_bits"] = {{"weights", long(w.WDEPTH) * Ln * S * w.WB}, {"bias", long(w.BDEPTH) * Ln * w.ACC},
                        {"tensors", tensor_bits}};
  sig["weight_rom"] = {{"words", w.WDEPTH}, {"word_bits", Ln * S * w.WB}, {"file", "weights.hex"}};
  sig["bias_rom"] = {{"words", w.BDEPTH}, {"word_bits", Ln * w.ACC}, {"file", "bias.hex"}};
  nlohmann::json st = nlohmann::json::array();
  for (size_t si = 0; si < p.stages.size(); ++si) {
    const HwStage& s = p.stages[si];
    st.push_back({{"index", si}, {"name", s.name},
                  {"mode", s.mode == HwStage::Neuron ? "neuron" : s.mode == HwStage::Sum ? "sum" : "readout"},
                  {"out_tensor", s.out}, {"out_shape", {s.out_shape.c, s.out_shape.f, s.out_shape.h, s.out_shape.w}},
                  {"groups", s.groups}, {"positions", s.fold ? 2 : 1}, {"synapses_per_group_step", s.synapses},
                  {"syn_cycles_per_group", s.syn_cycles}, {"synaptic_ops", pred.synaptic_ops[si]},
                  {"static_input", s.static_input}, {"overlap", p.overlaps(int(si))},
                  {"current_shift", s.shift}, {"predicted_cycles", pred.per_stage[si]},
                  {"spike_counter", s.spike_counter}});
  }
  sig["stages"] = st;
  sig["predicted_cycles"] = {
      {"per_clip", pred.per_clip}, {"dense_bound", pred.dense_bound}, {"load_cycles", pred.load_cycles},
      {"argmax_cycles", pred.argmax_cycles},
      {"per_stage", pred.per_stage},
      {"formula", cycle_formula(p.cfg.hw.overlap, p.any_fold())},
      // the FSM's fixed state lengths the formula uses (accel_gen.h), for tools that re-derive it
      {"constants", {{"drain", p.drain()}, {"neuron_latency", kNeuronLatency}, {"neuron_step_gap", kNeuronStepGap}}}};
  sig["weights_digest"] = std::hash<std::string>{}(files.at("weights.hex") + files.at("bias.hex"));
  return sig;
}

}  // namespace sdm::accel
