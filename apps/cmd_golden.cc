// convert, eval, neuron: the golden-model subcommands (SPEC §11).
#include <cmath>
#include <memory>
#include <string>
#include <thread>

#include <fmt/core.h>
#include <nlohmann/json.hpp>

#include "apps/cli_util.h"
#include "apps/commands.h"
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
  std::string model, out, method = "sdm";
  double alpha = 0.2;
  int beta = 5, T = 4, weight_bits = 8, pot_bits = 0;
  bool no_dual = false;
  std::string json;
};

void run_convert(const ConvertOpts& o) {
  Config cfg;
  cfg.neuron.method = parse_method(o.method);
  cfg.neuron.alpha = o.alpha;
  cfg.neuron.beta = o.beta;
  cfg.neuron.dual = !o.no_dual;
  cfg.T = o.T;
  cfg.weight_bits = o.weight_bits;
  cfg.pot_bits = o.pot_bits;
  cfg.validate();  // before the import: bad flags fail fast, naming the value
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
  std::string model, data, json, methods, Ts, alphas = "0.2", betas = "5", modes = "float,int";
  bool no_dual = false, layer_error = false, quiet = false;
  int weight_bits = 8, threads = 0;
  long limit = 0;
};

void run_eval(const EvalOpts& o, const CLI::App* cmd) {
  if (cmd->count("--limit") && o.limit < 1)
    throw Error(fmt::format("--limit {} must be >= 1 (leave it out to evaluate every clip)", o.limit));
  check_model_data_outputs(o.model, o.data, {o.json});
  LoadedModel m = load_model(o.model);
  EvalRequest req;
  req.weight_bits = o.weight_bits;
  req.layer_error = o.layer_error;
  req.threads = o.threads > 0 ? o.threads : int(std::max(1u, std::thread::hardware_concurrency()));
  req.progress = !o.quiet;
  std::vector<std::string> methods = split(o.methods.empty() ? (m.from_artifact ? method_name(m.cfg.neuron.method) : "sdm") : o.methods);
  req.Ts = split_num<int>(o.Ts.empty() ? (m.from_artifact ? std::to_string(m.cfg.T) : "1,2,4,8,16,32,64") : o.Ts, "T");
  std::vector<double> alphas = split_num<double>(o.alphas, "alpha");
  std::vector<int> betas = split_num<int>(o.betas, "beta");
  if (m.from_artifact && o.alphas == "0.2" && o.betas == "5") {
    alphas = {m.cfg.neuron.alpha};
    betas = {m.cfg.neuron.beta};
  }
  for (int T : req.Ts)
    if (T < 1) throw Error(fmt::format("T = {} must be >= 1", T));
  for (double a : alphas)
    if (!(a > 0 && a <= 1)) throw Error(fmt::format("alpha = {} is outside (0, 1]", a));
  for (int b : betas)
    if (b < 1) throw Error(fmt::format("beta = {} must be >= 1", b));
  for (const auto& name : methods) {
    NeuronSpec s;
    s.method = parse_method(name);
    s.dual = !o.no_dual;
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
    c->add_option("--method", o->method, "neuron method: sdm, opt, burst, if, rts, snm")->capture_default_str();
    c->add_option("--alpha", o->alpha, "threshold scale alpha in (0, 1]")->capture_default_str();
    c->add_option("--beta", o->beta, "max burst spikes per step (>= 1)")->capture_default_str();
    c->add_option("--T", o->T, "time-steps")->capture_default_str();
    c->add_flag("--no-dual", o->no_dual, "drop the negative threshold (ablation)");
    c->add_option("--weight-bits", o->weight_bits, "signed weight width")->capture_default_str();
    c->add_option("--pot-bits", o->pot_bits, "potential width (0 = sized from the overflow bound)")->capture_default_str();
    c->add_option("--json", o->json, "write a JSON summary");
    c->callback([o] { run_convert(*o); });
  }
  {
    auto o = std::make_shared<EvalOpts>();
    auto* c = app.add_subcommand("eval", "Accuracy of the ANN and of each SNN setting x T (float and integer)");
    c->add_option("model", o->model, "MODEL.onnx or NET.sdm")->required()->check(CLI::ExistingFile);
    c->add_option("--data", o->data, "split folder or dataset root (its test split)")->required();
    c->add_option("--methods", o->methods, "comma list of if,opt,rts,burst,snm,sdm");
    c->add_option("--T", o->Ts, "comma list of time-steps (default 1,2,4,8,16,32,64)");
    c->add_option("--alpha", o->alphas, "comma list of alpha (sdm)")->capture_default_str();
    c->add_option("--beta", o->betas, "comma list of beta (sdm, burst)")->capture_default_str();
    c->add_flag("--no-dual", o->no_dual, "sdm without the negative threshold");
    c->add_option("--weight-bits", o->weight_bits, "integer-mode weight width")->capture_default_str();
    c->add_option("--mode", o->modes, "float,int")->capture_default_str();
    c->add_flag("--layer-error", o->layer_error, "per-layer conversion error (Fig. 1)");
    c->add_option("--limit", o->limit, "evaluate only the first N clips (N >= 1; default: all)");
    c->add_option("--threads", o->threads, "worker threads (default: all cores)");
    c->add_flag("-q,--quiet", o->quiet, "no progress or table on stderr");
    c->add_option("--json", o->json, "write the JSON here (default stdout)");
    c->callback([o, c] { run_eval(*o, c); });
  }
  {
    auto o = std::make_shared<NeuronOpts>();
    auto* c = app.add_subcommand("neuron", "One neuron, float semantics of SPEC §2");
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
