// convert, eval, neuron: the golden-model subcommands (SPEC §11).
#include <cmath>
#include <memory>
#include <string>
#include <thread>

#include <fmt/core.h>
#include <nlohmann/json.hpp>

#include "apps/cli_util.h"
#include "apps/commands.h"
#include "apps/config_flags.h"
#include "data/dataset.h"
#include "golden/artifact.h"
#include "golden/error.h"
#include "golden/eval.h"
#include "golden/fileio.h"
#include "golden/neuron.h"
#include "golden/onnx_import.h"

namespace sdm::cli {
namespace {

// A model argument: an ONNX export or a converted artifact.
struct LoadedModel {
  Graph graph;
  bool from_artifact = false;
  Config cfg;
};

LoadedModel load_model(const std::string& path) {
  LoadedModel m;
  if (ends_with(path, ".onnx")) {
    m.graph = import_onnx(path);
  } else {
    Artifact a = load_artifact(path);
    m.graph = std::move(a.graph);
    m.cfg = a.cfg;
    m.from_artifact = true;
  }
  return m;
}

struct ConvertOpts {
  std::string model, out, json;
  std::shared_ptr<ConfigFlags> flags;
};

void run_convert(const ConvertOpts& o) {
  const Config cfg = o.flags->resolve();  // before the import: bad flags fail fast, naming the value
  check_outputs_not_inputs({o.model}, {o.out, o.json});
  Graph g = import_onnx(o.model);
  Artifact a = make_artifact(g, cfg);
  save_artifact(a, o.out);
  nlohmann::json j = {{"artifact", o.out}, {"config", cfg}, {"spiking_layers", g.clip_nodes().size()},
                      {"integer_mode", a.has_qnet}};
  if (a.has_qnet) {
    j["layers"] = nlohmann::json::array();
    for (const QStage& s : a.qnet.stages) {
      if (s.kind == QStage::SumPool) continue;
      j["layers"].push_back({{"name", s.name}, {"kind", s.kind == QStage::Neuron ? "neuron" : "readout"},
                             {"F", s.F}, {"acc_bits", s.acc_bits}, {"pot_bits", s.rule.pbits},
                             {"static_input", s.static_input}});
    }
  }
  std::fprintf(stderr, "sdmforge: wrote %s (%s, T=%d, %zu spiking layers%s)\n", o.out.c_str(),
               cfg.neuron.label().c_str(), cfg.T, g.clip_nodes().size(),
               a.has_qnet ? ", integer mode" : ", float only");
  if (!o.json.empty()) write_output(o.json, j.dump(2) + "\n");
}

struct EvalOpts {
  std::string model, data, json, modes = "float,int";
  bool layer_error = false, quiet = false;
  long limit = 0;
  std::shared_ptr<ConfigFlags> flags;
};

void run_eval(const EvalOpts& o, const CLI::App* cmd) {
  if (cmd->count("--limit") && o.limit < 1)
    throw Error(fmt::format("--limit {} must be >= 1 (leave it out to evaluate every clip)", o.limit));
  check_model_data_outputs(o.model, o.data, {o.json});
  LoadedModel m = load_model(o.model);
  // The artifact's settings unless a flag is given (docs/cli.md, precedence).
  const Config* art = m.from_artifact ? &m.cfg : nullptr;
  const Config base = o.flags->resolve(art);
  EvalRequest req;
  req.weight_bits = base.weight_bits;
  req.layer_error = o.layer_error;
  req.threads = o.flags->threads();
  req.progress = !o.quiet;
  req.Ts = o.flags->Ts(art);
  const std::vector<double> alphas = o.flags->alphas(base);
  const std::vector<int> betas = o.flags->betas(base);
  for (const auto& name : o.flags->methods(base)) {
    NeuronSpec s;
    s.method = parse_method(name);
    s.dual = base.neuron.dual;
    if (s.method == Method::SDM) {
      for (double a : alphas)
        for (int b : betas) {
          s.alpha = a;
          s.beta = b;
          req.specs.push_back(s);
        }
    } else if (s.method == Method::BURST) {
      for (int b : betas) {
        s.beta = b;
        req.specs.push_back(s);
      }
    } else {
      req.specs.push_back(s);
    }
  }
  req.float_mode = req.int_mode = false;
  for (const auto& md : split(o.modes)) {
    if (md == "float") req.float_mode = true;
    else if (md == "int") req.int_mode = true;
    else throw Error(fmt::format("mode '{}' is not float or int", md));
  }
  Dataset d = load_dataset(o.data, size_t(o.limit));
  ClipSet cs = clip_set(d);
  EvalResult r = evaluate(m.graph, cs, req);
  nlohmann::json j = to_json(r);
  j["model"] = o.model;
  j["data"] = d.dir;
  if (!o.quiet) {
    std::fprintf(stderr, "ANN top-1 %.2f%% on %ld clips (%.1fs)\n", r.ann_top1, r.n, r.seconds);
    for (const auto& row : r.rows)
      std::fprintf(stderr, "  %-24s T=%-3d %-5s top-1 %6.2f%%\n", row.spec.label().c_str(), row.T,
                   row.mode.c_str(), row.top1);
    for (const auto& n : r.notes) std::fprintf(stderr, "  note: %s\n", n.c_str());
  }
  write_output(o.json.empty() ? "-" : o.json, j.dump(2) + "\n");
}

struct NeuronOpts {
  std::string method = "sdm", currents;
  double lambda = 1.0, alpha = 1.0;
  int beta = 1;
  bool no_dual = false;
};

void run_neuron(const NeuronOpts& o) {
  NeuronSpec s;
  s.method = parse_method(o.method);
  s.alpha = o.alpha;
  s.beta = o.beta;
  s.dual = !o.no_dual;
  s.validate();
  if (!(o.lambda > 0) || !std::isfinite(o.lambda))
    throw Error(fmt::format("lambda = {} must be > 0", o.lambda));
  std::vector<double> I = split_num<double>(o.currents, "current");
  if (I.empty()) throw Error("--currents is empty: T = 0 time-steps");
  FloatRule rule = FloatRule::make(s, o.lambda, int(I.size()));
  FloatNeuron st = rule.init();
  nlohmann::json spikes = nlohmann::json::array(), v = nlohmann::json::array(),
                 out = nlohmann::json::array();
  for (double c : I) {
    int n = rule.step(st, c);
    spikes.push_back(n);
    v.push_back(st.v);
    out.push_back(n * rule.theta);
  }
  nlohmann::json j = {{"method", o.method}, {"theta", rule.theta}, {"T", I.size()},
                      {"spikes", spikes}, {"v", v}, {"output", out}};
  write_output("-", j.dump() + "\n");
}

void reg(CLI::App& app) {
  {
    auto o = std::make_shared<ConvertOpts>();
    auto* c = app.add_subcommand("convert", "Convert a trained ANN (ONNX) into an SNN artifact");
    c->add_option("model", o->model, "ONNX model exported by PyTorch")->required()->check(CLI::ExistingFile);
    c->add_option("-o,--out", o->out, "output artifact (NET.sdm)")->required();
    o->flags = std::make_shared<ConfigFlags>(c, ConfigFlags::kNeuron | ConfigFlags::kT |
                                                    ConfigFlags::kWeightBits | ConfigFlags::kPotBits);
    c->add_option("--json", o->json, "write a JSON summary");
    c->callback([o] { run_convert(*o); });
  }
  {
    auto o = std::make_shared<EvalOpts>();
    auto* c = app.add_subcommand("eval", "Accuracy of the ANN and of each SNN setting x T (float and integer)");
    c->add_option("model", o->model, "MODEL.onnx or NET.sdm")->required()->check(CLI::ExistingFile);
    c->add_option("--data", o->data, "split folder or dataset root (its test split)")->required();
    // An artifact's own method, alpha, beta, dual, T and weight bits unless given.
    o->flags = std::make_shared<ConfigFlags>(
        c, ConfigFlags::kNeuron | ConfigFlags::kT | ConfigFlags::kWeightBits | ConfigFlags::kThreads,
        ConfigFlags::kMethod | ConfigFlags::kAlphaBeta | ConfigFlags::kT, 8, "1,2,4,8,16,32,64");
    c->add_option("--mode", o->modes, "float,int")->capture_default_str();
    c->add_flag("--layer-error", o->layer_error, "per-layer conversion error (Fig. 1)");
    c->add_option("--limit", o->limit, "evaluate only the first N clips (N >= 1; default: all)");
    c->add_flag("-q,--quiet", o->quiet, "no progress or table on stderr");
    c->add_option("--json", o->json, "write the JSON here (default stdout)");
    c->callback([o, c] { run_eval(*o, c); });
  }
  {
    auto o = std::make_shared<NeuronOpts>();
    auto* c = app.add_subcommand("neuron", "One neuron, float semantics of docs/neurons.md");
    c->add_option("--method", o->method, "if, opt, rts, burst, snm, sdm")->capture_default_str();
    c->add_option("--lambda", o->lambda, "clip ceiling lambda")->capture_default_str();
    c->add_option("--alpha", o->alpha, "threshold scale (sdm)")->capture_default_str();
    c->add_option("--beta", o->beta, "max burst (burst, sdm)")->capture_default_str();
    c->add_flag("--no-dual", o->no_dual, "sdm without the negative threshold");
    c->add_option("--currents", o->currents, "comma list of input currents, one per step")->required();
    c->callback([o] { run_neuron(*o); });
  }
}

}  // namespace
}  // namespace sdm::cli

SDM_REGISTER_COMMAND(20, sdm::cli::reg);
