// energy: Eq. 13 of the paper (ANN MACs vs SNN additions) measured on data, plus the
// hardware-aware estimate of the generated accelerator (docs/energy.md).
#include <memory>
#include <string>

#include <fmt/core.h>
#include <nlohmann/json.hpp>

#include "apps/cli_util.h"
#include "apps/commands.h"
#include "apps/config_flags.h"
#include "data/dataset.h"
#include "golden/artifact.h"
#include "golden/energy.h"
#include "golden/error.h"
#include "golden/onnx_import.h"
#include "rtl_gen/accel_gen.h"

namespace sdm::cli {
namespace {

struct EnergyOpts {
  std::string model, data, json;
  long clips = 200;
  bool no_hw = false, quiet = false;
  std::shared_ptr<ConfigFlags> flags;
};

void run_energy(const EnergyOpts& o) {
  check_model_data_outputs(o.model, o.data, {o.json});
  Graph g;
  Config cfg;
  if (ends_with(o.model, ".onnx")) {
    cfg = o.flags->resolve();
    g = import_onnx(o.model);
  } else {
    Artifact a = load_artifact(o.model);
    g = std::move(a.graph);
    cfg = o.flags->resolve(&a.cfg);  // the artifact's settings unless a flag is given
  }
  const int lanes = cfg.hw.lanes, threads = o.flags->threads();
  if (o.clips < 0) throw Error(fmt::format("clips = {} must be >= 0", o.clips));
  Dataset d = load_dataset(o.data, size_t(o.clips));
  ClipSet cs = clip_set(d);
  MeasuredEnergy m = measure_energy(g, cs, cfg, threads);
  nlohmann::json j;
  j["model"] = o.model;
  j["data"] = d.dir;
  j["config"] = cfg;
  j["clips"] = m.clips;
  j["mode"] = m.mode;
  j["ann_top1"] = m.ann_top1;
  j["snn_top1"] = m.top1;
  j["eq13"] = to_json(m.eq13);
  if (!o.no_hw && cfg.neuron.has_integer_mode()) {
    Config hc = cfg;
    hc.pot_bits = 0;
    Artifact a = make_artifact(g, hc);
    GeneratedDesign gd = generate_accelerator(a, cfg.hw);
    HwEnergy h = hardware_energy(a.qnet, gd.signature);
    j["hardware"] = to_json(h);
    j["hardware"]["pj_per_ann_mac_equivalent"] = m.eq13.ann_macs > 0 ? h.total_pj / m.eq13.ann_macs : 0.0;
  }
  if (!o.quiet) {
    const Eq13& e = m.eq13;
    std::fprintf(stderr,
                 "energy (Eq. 13, %s, T=%d, %ld clips, SNN %s top-1 %.2f%%, ANN %.2f%%):\n"
                 "  ANN  %.4g MACs                      -> %.4g uJ per clip\n"
                 "  SNN  %.4g MACs (first layer, once) + %.4g adds -> %.4g uJ per clip  ratio %.3f\n"
                 "       first layer x T: %.4g MACs            -> %.4g uJ per clip  ratio %.3f\n",
                 cfg.neuron.label().c_str(), cfg.T, m.clips, m.mode.c_str(), m.top1, m.ann_top1,
                 e.ann_macs, e.ann_pj * 1e-6, e.snn_macs, e.snn_adds, e.snn_pj * 1e-6, e.ratio,
                 e.snn_macs_xT, e.snn_pj_xT * 1e-6, e.ratio_xT);
    if (j.contains("hardware"))
      std::fprintf(stderr, "  accelerator (%d lanes, dense schedule, 45 nm estimate): %.4g uJ per clip\n",
                   lanes, j["hardware"]["total_pj"].get<double>() * 1e-6);
  }
  write_output(o.json.empty() ? "-" : o.json, j.dump(2) + "\n");
}

void reg(CLI::App& app) {
  auto o = std::make_shared<EnergyOpts>();
  auto* c = app.add_subcommand("energy", "Energy per clip: Eq. 13 (ANN vs SNN) and the accelerator's 45 nm estimate");
  c->add_option("model", o->model, "MODEL.onnx or NET.sdm")->required()->check(CLI::ExistingFile);
  c->add_option("--data", o->data, "split folder or dataset root (its test split)")->required();
  // An artifact's own method, alpha, beta, dual, T and weight bits unless given.
  o->flags = std::make_shared<ConfigFlags>(c, ConfigFlags::kNeuron | ConfigFlags::kT | ConfigFlags::kWeightBits |
                                                  ConfigFlags::kLanes | ConfigFlags::kHwOptions |
                                                  ConfigFlags::kThreads);
  c->add_option("--clips", o->clips, "clips whose spikes are counted (0 = all)")->capture_default_str();
  c->add_flag("--no-hw", o->no_hw, "skip the hardware-aware estimate");
  c->add_flag("-q,--quiet", o->quiet, "no summary on stderr");
  c->add_option("--json", o->json, "write the JSON here (default stdout)");
  c->callback([o] { run_energy(*o); });
}

}  // namespace
}  // namespace sdm::cli

SDM_REGISTER_COMMAND(65, sdm::cli::reg);
