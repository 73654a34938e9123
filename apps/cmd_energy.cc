// energy: Eq. 13 of the paper (ANN MACs vs SNN additions) measured on data, plus the
// hardware-aware estimate of the generated accelerator (docs/energy.md).
#include <memory>
#include <string>
#include <thread>

#include <fmt/core.h>
#include <nlohmann/json.hpp>

#include "apps/cli_util.h"
#include "apps/commands.h"
#include "data/dataset.h"
#include "golden/artifact.h"
#include "golden/energy.h"
#include "golden/error.h"
#include "golden/onnx_import.h"
#include "rtl_gen/accel_gen.h"

namespace sdm::cli {
namespace {

struct EnergyOpts {
  std::string model, data, json, method = "sdm";
  double alpha = 0.2;
  int beta = 5, T = 4, lanes = 8, threads = 0, weight_bits = 8;
  long clips = 200;
  bool no_dual = false, no_hw = false, quiet = false;
};

void run_energy(const EnergyOpts& o, CLI::App* cmd) {
  check_model_data_outputs(o.model, o.data, {o.json});
  Graph g;
  Config cfg;
  if (ends_with(o.model, ".onnx")) {
    cfg.neuron.method = parse_method(o.method);
    cfg.neuron.alpha = o.alpha;
    cfg.neuron.beta = o.beta;
    cfg.neuron.dual = !o.no_dual;
    cfg.T = o.T;
    cfg.weight_bits = o.weight_bits;
    cfg.validate();
    g = import_onnx(o.model);
  } else {
    Artifact a = load_artifact(o.model);
    g = std::move(a.graph);
    cfg = a.cfg;
    // explicit flags override the artifact's setting
    if (cmd->count("--alpha")) cfg.neuron.alpha = o.alpha;
    if (cmd->count("--beta")) cfg.neuron.beta = o.beta;
    if (cmd->count("--T")) cfg.T = o.T;
    if (cmd->count("--method")) cfg.neuron.method = parse_method(o.method);
    if (cmd->count("--no-dual")) cfg.neuron.dual = false;
    cfg.validate();
  }
  if (o.lanes < 1 || o.lanes > 64) throw Error(fmt::format("lanes = {} outside [1, 64]", o.lanes));
  if (o.clips < 0) throw Error(fmt::format("clips = {} must be >= 0", o.clips));
  Dataset d = load_dataset(o.data, size_t(o.clips));
  ClipSet cs = clip_set(d);
  const int threads = o.threads > 0 ? o.threads : int(std::max(1u, std::thread::hardware_concurrency()));
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
    GeneratedDesign gd = generate_accelerator(a, o.lanes);
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
                   o.lanes, j["hardware"]["total_pj"].get<double>() * 1e-6);
  }
  write_output(o.json.empty() ? "-" : o.json, j.dump(2) + "\n");
}

void reg(CLI::App& app) {
  auto o = std::make_shared<EnergyOpts>();
  auto* c = app.add_subcommand("energy", "Energy per clip: Eq. 13 (ANN vs SNN) and the accelerator's 45 nm estimate");
  c->add_option("model", o->model, "MODEL.onnx or NET.sdm")->required()->check(CLI::ExistingFile);
  c->add_option("--data", o->data, "split folder or dataset root (its test split)")->required();
  c->add_option("--method", o->method, "neuron method (default sdm; an artifact's own)")->capture_default_str();
  c->add_option("--alpha", o->alpha, "threshold scale (default 0.2; an artifact's own)")->capture_default_str();
  c->add_option("--beta", o->beta, "max burst (default 5; an artifact's own)")->capture_default_str();
  c->add_option("--T", o->T, "time-steps (default 4; an artifact's own)")->capture_default_str();
  c->add_flag("--no-dual", o->no_dual, "sdm without the negative threshold");
  c->add_option("--weight-bits", o->weight_bits, "integer weight width (ONNX input)")->capture_default_str();
  c->add_option("--clips", o->clips, "clips whose spikes are counted (0 = all)")->capture_default_str();
  c->add_option("--lanes", o->lanes, "accelerator lanes for the hardware estimate")->capture_default_str();
  c->add_flag("--no-hw", o->no_hw, "skip the hardware-aware estimate");
  c->add_option("--threads", o->threads, "worker threads (default: all cores)");
  c->add_flag("-q,--quiet", o->quiet, "no summary on stderr");
  c->add_option("--json", o->json, "write the JSON here (default stdout)");
  c->callback([o, c] { run_energy(*o, c); });
}

}  // namespace
}  // namespace sdm::cli

SDM_REGISTER_COMMAND(65, sdm::cli::reg);
