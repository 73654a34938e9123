// run: the main job on the embedded default (SPEC §1, §10): data -> convert -> eval sweep
// (Table I, Table II, Fig. 6, Fig. 1) -> RTL -> co-simulation -> synthesis -> energy ->
// report (DIR/index.html, DIR/summary.json, DIR/plots/*.png). Every stage's outputs are
// cached under a key (hash of its inputs and options) in DIR/cache/, so a rerun only redoes
// what changed. See docs/user-guide.md.
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <thread>

#include <fmt/core.h>
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <nlohmann/json.hpp>

#include "apps/board_pick.h"
#include "apps/cli_util.h"
#include "apps/commands.h"
#include "apps/config_flags.h"
#include "data/dataset.h"
#include "data/synth.h"
#include "fpga/boards.h"
#include "fpga/flow.h"
#include "golden/artifact.h"
#include "golden/energy.h"
#include "golden/error.h"
#include "golden/eval.h"
#include "golden/fileio.h"
#include "golden/version.h"
#include "golden/onnx_import.h"
#include "golden/paths.h"
#include "rtl_gen/accel_gen.h"
#include "rtl_gen/core_file.h"
#include "testbench/cosim.h"

namespace fs = std::filesystem;

namespace sdm::cli {
namespace {

struct RunOpts {
  std::string out = "sdmforge-run", model, data, boards, python = "/usr/bin/python3", json;
  double alpha = 0.2;    // these four are set from `flags` (one validated configuration)
  int beta = 5, T = 4, threads = 1;
  int clips = -1;        // cosim clips (-1: default for the mode)
  long eval_clips = -1;  // eval clips (-1: default for the mode)
  bool skip_synth = false, quick = false, force = false, no_report = false;
  std::shared_ptr<ConfigFlags> flags;
};

// ---- small helpers -------------------------------------------------------------------

std::string read_file(const std::string& path) { return read_file_bytes(path); }
void write_file(const std::string& path, const std::string& text) { write_file_atomic(path, text); }
std::string file_key(const std::string& path) { return content_hash(read_file(path)); }

// The bundled models and report scripts: an install's share/sdmforge or the source tree
// (golden/paths.h; SDMFORGE_ROOT overrides).
std::string project_root() { return data_paths().root; }

bool on_path(const std::string& exe) {
  if (exe.find('/') != std::string::npos) return ::access(exe.c_str(), X_OK) == 0;
  const char* p = std::getenv("PATH");
  if (!p) return false;
  std::stringstream ss(p);
  std::string d;
  while (std::getline(ss, d, ':'))
    if (!d.empty() && ::access((d + "/" + exe).c_str(), X_OK) == 0) return true;
  return false;
}

double now_s() {
  using namespace std::chrono;
  return duration<double>(steady_clock::now().time_since_epoch()).count();
}

std::string human(double s) {
  if (s < 60) return fmt::format("{:.0f} s", s);
  return fmt::format("{:.0f} min {:02.0f} s", std::floor(s / 60), std::fmod(s, 60));
}

// One stage's cache: DIR/cache/<name>.key holds the key of the outputs now on disk.
class Cache {
 public:
  Cache(std::string dir, bool force) : dir_(std::move(dir)), force_(force) { fs::create_directories(dir_); }
  bool hit(const std::string& name, const std::string& key, const std::vector<std::string>& outputs) const {
    if (force_) return false;
    std::ifstream f(dir_ + "/" + name + ".key");
    std::string k;
    if (!f || !std::getline(f, k) || k != key) return false;
    for (const auto& o : outputs)
      if (!fs::exists(o)) return false;
    return true;
  }
  void store(const std::string& name, const std::string& key) const { write_file(dir_ + "/" + name + ".key", key + "\n"); }
  void drop(const std::string& name) const { fs::remove(dir_ + "/" + name + ".key"); }

 private:
  std::string dir_;
  bool force_;
};

// Progress: "[k/N] stage ... (estimate)" then "done in X".
struct Progress {
  int total = 0, k = 0;
  double t0 = now_s(), stage_t0 = 0;
  nlohmann::json timings = nlohmann::json::object();
  std::string cur;
  void begin(const std::string& name, const std::string& what, double estimate_s) {
    ++k;
    cur = name;
    stage_t0 = now_s();
    std::string est = estimate_s > 0 ? fmt::format(" (estimate ~{})", human(estimate_s)) : "";
    std::fprintf(stderr, "[%d/%d] %s%s  [%s elapsed]\n", k, total, what.c_str(), est.c_str(),
                 human(stage_t0 - t0).c_str());
  }
  void cached(const std::string& name, const std::string& what) {
    ++k;
    std::fprintf(stderr, "[%d/%d] %s: cached, skipped\n", k, total, what.c_str());
    timings[name] = {{"seconds", 0.0}, {"cached", true}};
  }
  void end() {
    const double s = now_s() - stage_t0;
    std::fprintf(stderr, "      done in %s\n", human(s).c_str());
    timings[cur] = {{"seconds", s}, {"cached", false}};
  }
};

// ---- the eval sweep ------------------------------------------------------------------

NeuronSpec spec(Method m, double alpha = 1.0, int beta = 1, bool dual = true) {
  NeuronSpec s;
  s.method = m;
  s.alpha = alpha;
  s.beta = beta;
  s.dual = dual;
  return s;
}

struct Sweep {
  std::string name, title;
  EvalRequest req;
};

// Step-units per clip of a request (simulated time-steps summed over its jobs), for estimates.
double step_units(const EvalRequest& r) {
  int tmax = 0, tsum = 0;
  for (int T : r.Ts) tmax = std::max(tmax, T), tsum += T;
  double u = 0;
  for (const auto& s : r.specs) {
    const int steps = s.method == Method::RTS ? tsum : tmax;
    if (r.float_mode) u += steps;
    if (r.int_mode && s.has_integer_mode()) u += steps;
  }
  return u;
}

std::vector<Sweep> make_sweeps(const RunOpts& o) {
  const int tcap = o.quick ? 16 : 64;
  std::vector<int> Ts;
  for (int T : {1, 2, 4, 8, 16, 32, 64})
    if (T <= tcap) Ts.push_back(T);
  if (std::find(Ts.begin(), Ts.end(), o.T) == Ts.end()) {
    Ts.push_back(o.T);
    std::sort(Ts.begin(), Ts.end());
  }
  std::vector<Sweep> v;
  {  // Table I: every method; sdm at both of the paper's settings and at the run's own
    Sweep s{"table1", "Table I: accuracy vs T per method (float + int)", {}};
    s.req.specs = {spec(Method::IF), spec(Method::OPT), spec(Method::RTS), spec(Method::BURST, 1.0, 2),
                   spec(Method::SNM), spec(Method::SDM, 0.5, 2), spec(Method::SDM, 0.2, 5)};
    if (!((o.alpha == 0.5 && o.beta == 2) || (o.alpha == 0.2 && o.beta == 5)))
      s.req.specs.push_back(spec(Method::SDM, o.alpha, o.beta));
    s.req.Ts = Ts;
    s.req.layer_error = true;  // Fig. 1 from the float rows
    v.push_back(s);
  }
  {  // Table II: M always; D = dual, B = beta 2, S = alpha 0.5
    Sweep s{"ablation", "Table II: ablation M/D/B/S (beta=2, alpha=0.5; float)", {}};
    for (int d = 0; d < 2; ++d)
      for (int b = 0; b < 2; ++b)
        for (int sc = 0; sc < 2; ++sc) s.req.specs.push_back(spec(Method::SDM, sc ? 0.5 : 1.0, b ? 2 : 1, d != 0));
    for (int T : {4, 8, 16, 32})
      if (T <= tcap) s.req.Ts.push_back(T);
    s.req.int_mode = false;
    v.push_back(s);
  }
  {  // Fig. 6: alpha sensitivity for beta 2 and 5
    Sweep s{"alpha", "Fig. 6: alpha sensitivity 0.2..1.0 for beta = 2 and 5 (float, T <= 16)", {}};
    for (int b : {2, 5})
      for (int a = 2; a <= 10; ++a) s.req.specs.push_back(spec(Method::SDM, a / 10.0, b));
    for (int T : {1, 2, 4, 8, 16})
      if (T <= tcap) s.req.Ts.push_back(T);
    s.req.int_mode = false;
    v.push_back(s);
  }
  return v;
}

// Eq. 13 for every row of an eval result (rows of float-only methods included).
nlohmann::json energy_rows(const NetOps& ops, const EvalResult& r) {
  nlohmann::json a = nlohmann::json::array();
  for (const EvalRow& row : r.rows) {
    std::vector<double> spikes;
    for (const auto& l : row.layers) spikes.push_back(l.spikes_per_clip);
    if (spikes.size() != ops.layers.size()) continue;
    Eq13 e = eq13(ops, spikes, row.T);
    a.push_back({{"method", method_name(row.spec.method)}, {"label", row.spec.label()},
                 {"alpha", row.spec.theta_scale()}, {"beta", row.spec.max_burst()}, {"T", row.T},
                 {"mode", row.mode}, {"top1", row.top1}, {"snn_macs", e.snn_macs}, {"snn_adds", e.snn_adds},
                 {"snn_pj", e.snn_pj}, {"ratio", e.ratio}, {"ratio_xT", e.ratio_xT}});
  }
  return a;
}

void run_main(RunOpts o) {
  const double t_start = now_s();
  const std::string root = project_root();
  if (o.model.empty()) o.model = root + "/models/default/model.onnx";
  if (!fs::exists(o.model)) throw Error(fmt::format("model '{}' not found", o.model));
  const long eval_clips = o.eval_clips >= 0 ? o.eval_clips : (o.quick ? 100 : 200);
  const int cosim_clips = o.clips >= 0 ? o.clips : (o.quick ? 3 : 5);
  if (eval_clips == 0) throw Error("--eval-clips 0: nothing to evaluate");
  // The one configuration: neuron, T and the hardware options (lanes, batch sums, shared
  // neuron; --board B sizes them for B as `rtl --board` does).
  const Config cfg = o.flags->resolve();
  const ConfigFlags::HwPins pins = o.flags->hw_pins();
  o.alpha = cfg.neuron.alpha;
  o.beta = cfg.neuron.beta;
  o.T = cfg.T;
  const int threads = o.threads = o.flags->threads();
  const std::string out = fs::absolute(o.out).lexically_normal().string();
  check_outputs_not_inputs(o.data.empty() ? std::vector<std::string>{o.model} : [&] {
    std::vector<std::string> in = data_inputs(o.data);
    in.push_back(o.model);
    return in;
  }(), {o.json, out + "/net.sdm", out + "/summary.json", out + "/energy.json", out + "/cosim.json"});

  // ---- preflight: fail in the first second, not after ten minutes ----
  const std::string report_py = root + "/report/make_report.py";
  if (!o.no_report) {
    if (!fs::exists(report_py)) throw Error(fmt::format("report script '{}' not found (set SDMFORGE_ROOT)", report_py));
    if (!on_path(o.python)) throw Error(fmt::format("'{}' not found; install with: bash scripts/setup.sh", o.python));
    if (std::system(fmt::format("'{}' -c 'import matplotlib' >/dev/null 2>&1", o.python).c_str()) != 0)
      throw Error(fmt::format("matplotlib is missing for {}; install with: bash scripts/setup.sh "
                              "(Debian package python3-matplotlib)", o.python));
  }
  if (cosim_clips > 0 && !on_path("verilator"))
    throw Error("'verilator' not found on PATH; install with: bash scripts/setup.sh");
  std::vector<std::string> boards;
  nlohmann::json skipped_boards = nlohmann::json::array();
  if (!o.skip_synth) {
    std::vector<std::string> want;
    const bool explicit_boards = !o.boards.empty();
    if (explicit_boards) {
      std::stringstream ss(o.boards);
      for (std::string b; std::getline(ss, b, ',');)
        if (!b.empty()) want.push_back(b);
    } else if (!cfg.hw.board.empty()) {
      want = {cfg.hw.board};  // the board the design is sized for
    } else {
      want = {"icebreaker"};
      if (!o.quick) want.push_back("ulx3s");
    }
    for (const auto& b : want) {
      const auto& board = fpga::find_board(b);
      try {
        fpga::find_tools(fpga::Tools::yowasp, board.family);
        boards.push_back(b);
      } catch (const Error& e) {
        if (explicit_boards || !cfg.hw.board.empty() || board.family == fpga::Family::ice40) throw;
        skipped_boards.push_back({{"board", b}, {"reason", e.what()}});
        std::fprintf(stderr, "run: skipping %s: %s\n", b.c_str(), e.what());
      }
    }
  }

  // A run that fails before its first stage has produced anything leaves no folder behind.
  struct NewFolder {
    std::string dir;
    bool remove_on_error;
    ~NewFolder() {
      std::error_code ec;
      if (remove_on_error) fs::remove_all(dir, ec);
    }
  } new_folder{out, !fs::exists(out)};
  fs::create_directories(out);
  Cache cache(out + "/cache", o.force);
  std::vector<Sweep> sweeps = make_sweeps(o);
  Progress pg;
  pg.total = 3 + int(sweeps.size()) + (cosim_clips > 0) + int(boards.size()) + 1 + !o.no_report;
  const std::string hw_text =
      cfg.hw.board.empty()
          ? fmt::format("{} lane{}{}{}{}", cfg.hw.lanes, cfg.hw.lanes == 1 ? "" : "s",
                        cfg.hw.batch_sums ? ", batch sums" : "", cfg.hw.shared_neuron ? ", shared neuron" : "",
                        cfg.hw.overlap ? "" : ", no output overlap")
          : "hardware sized for " + cfg.hw.board;
  std::fprintf(stderr,
               "sdmforge run: model %s, sdm alpha=%g beta=%d T=%d, %s; eval on %ld clips, co-sim on %d clips, "
               "synthesis: %s -> %s\n",
               o.model.c_str(), o.alpha, o.beta, o.T, hw_text.c_str(), eval_clips, cosim_clips,
               boards.empty() ? "skipped" : fmt::format("{}", fmt::join(boards, ", ")).c_str(), out.c_str());

  // ---- 1. data ----
  std::string data_dir, data_key;
  nlohmann::json data_info;
  if (o.data.empty()) {
    synth::Options so;  // the default model's data (models/default/card.md), test split only:
    so.train = 0;       // the test clips do not depend on the train count
    data_dir = out + "/data";
    data_key = cache_key({"data", "synth", so.preset, std::to_string(so.size), std::to_string(so.frames), std::to_string(so.test), std::to_string(so.seed)});
    data_info = {{"source", "synthetic"}, {"command", fmt::format("sdmforge data synth --out DATA --preset {} --size {} --frames {} --train 4000 --test {} --seed {}", so.preset, so.size, so.frames, so.test, so.seed)}};
    if (cache.hit("data", data_key, {data_dir + "/test/clips.npy", data_dir + "/test/labels.npy"})) {
      pg.cached("data", "data: synthetic action clips");
    } else {
      pg.begin("data", fmt::format("data: generating {} synthetic test clips ({}, {}x{}x{})", so.test, so.preset, so.frames, so.size, so.size), 5);
      synth::write_dataset(data_dir, so);
      cache.store("data", data_key);
      pg.end();
    }
  } else {
    data_dir = fs::absolute(o.data).string();
    const std::string split = resolve_split_dir(data_dir);
    data_key = cache_key({"data", file_key(split + "/clips.npy"), file_key(split + "/labels.npy")});
    data_info = {{"source", data_dir}};
    pg.cached("data", "data: " + data_dir);
  }
  Dataset ds = load_dataset(data_dir, size_t(eval_clips));
  new_folder.remove_on_error = false;  // the data stage is done: keep what follows for the report
  data_info["split_dir"] = ds.dir;
  data_info["eval_clips"] = ds.size();
  data_info["clip_shape"] = ds.clip_shape;
  data_info["classes"] = ds.class_names;
  ClipSet cs = clip_set(ds);

  // ---- 2. convert ----
  const std::string model_key = file_key(o.model);
  // The artifact holds no hardware options (as `convert` writes it); the RTL stage's key does.
  Config conv_cfg = cfg;
  conv_cfg.hw = HwOptions{};
  const std::string net = out + "/net.sdm";
  const std::string net_key = cache_key({"convert", model_key, nlohmann::json(conv_cfg).dump()});
  Graph g = import_onnx(o.model);
  Artifact art;
  if (cache.hit("convert", net_key, {net})) {
    pg.cached("convert", "convert");
    art = load_artifact(net);
  } else {
    pg.begin("convert", fmt::format("convert: {} -> {}", cfg.neuron.label(), net), 1);
    art = make_artifact(g, conv_cfg);
    save_artifact(art, net);
    cache.store("convert", net_key);
    pg.end();
  }
  if (!art.has_qnet) throw Error("the artifact has no integer network");

  // ---- 3. eval sweeps ----
  double rate = 2.0e-3;  // s per clip and simulated step on one core (refined after the first sweep)
  nlohmann::json evals = nlohmann::json::object();
  std::map<std::string, EvalResult> results;
  for (auto& sw : sweeps) {
    sw.req.threads = threads;
    sw.req.progress = true;
    nlohmann::json rq = {{"Ts", sw.req.Ts}, {"float", sw.req.float_mode}, {"int", sw.req.int_mode},
                         {"wb", sw.req.weight_bits}, {"le", sw.req.layer_error}};
    for (const auto& s : sw.req.specs) rq["specs"].push_back(s.label());
    const std::string key = cache_key({"eval", model_key, data_key, std::to_string(eval_clips), rq.dump()});
    const std::string file = out + "/eval/" + sw.name + ".json";
    if (cache.hit("eval_" + sw.name, key, {file})) {
      pg.cached("eval_" + sw.name, sw.title);
      evals[sw.name] = nlohmann::json::parse(read_file(file));
      continue;
    }
    const double units = step_units(sw.req) * double(cs.n);
    pg.begin("eval_" + sw.name, fmt::format("{}: {} settings x T <= {}, {} clips", sw.title, sw.req.specs.size(),
                                            *std::max_element(sw.req.Ts.begin(), sw.req.Ts.end()), cs.n),
             units * rate / threads);
    EvalResult r = evaluate(g, cs, sw.req);
    if (r.seconds > 1 && units > 0) rate = r.seconds * threads / units;
    fs::create_directories(out + "/eval");
    nlohmann::json j = to_json(r);
    j["title"] = sw.title;
    j["Ts"] = sw.req.Ts;
    if (sw.name == "table1") j["energy_rows"] = energy_rows(count_ops(art.qnet), r);
    write_file(file, j.dump(1) + "\n");
    evals[sw.name] = j;
    cache.store("eval_" + sw.name, key);
    pg.end();
  }

  // ---- 4. rtl ----
  const std::string rtl_dir = out + "/rtl";
  // Everything that changes the design: the hardware options and, with --board, which of
  // them a flag fixed (the others are searched).
  const std::string hw_key = to_json(cfg.hw).dump() +
                             (cfg.hw.board.empty() ? "" : fmt::format(" pins {}{}{}", int(pins.lanes),
                                                                      int(pins.batch_sums), int(pins.shared_neuron)));
  const std::string rtl_key = cache_key({"rtl", net_key, hw_key});
  nlohmann::json signature;
  if (cache.hit("rtl", rtl_key, {rtl_dir + "/signature.json", rtl_dir + "/net.sdm", rtl_dir + "/sdm_accel.core"})) {
    pg.cached("rtl", "rtl");
  } else {
    pg.begin("rtl", fmt::format("rtl: generating the accelerator ({}) in {}", hw_text, rtl_dir), 1);
    cache.drop("cosim");
    GeneratedDesign d = design_for(art, cfg, pins);
    if (d.signature.contains("board_choice"))
      std::fprintf(stderr, "      %s\n", board_choice_line(d.signature).c_str());
    fs::create_directories(rtl_dir);
    write_design(d, rtl_dir);
    write_fusesoc_core(rtl_dir);
    sdm::copy_file_atomic(net, rtl_dir + "/net.sdm");
    cache.store("rtl", rtl_key);
    pg.end();
  }
  signature = nlohmann::json::parse(read_file(rtl_dir + "/signature.json"));
  const HwOptions design_hw = hw_options_of_signature(signature);  // what was generated

  // ---- 5. cosim ----
  nlohmann::json cosim = nullptr;
  bool cosim_failed = false;
  if (cosim_clips > 0) {
    const std::string key = cache_key({"cosim", rtl_key, data_key, std::to_string(cosim_clips)});
    const std::string file = out + "/cosim.json";
    if (cache.hit("cosim", key, {file})) {
      pg.cached("cosim", "co-simulation");
      cosim = nlohmann::json::parse(read_file(file));
    } else {
      const double cyc = signature["predicted_cycles"]["per_clip"].get<double>();
      const bool built = fs::exists(rtl_dir + "/obj_dir");
      pg.begin("cosim", fmt::format("co-simulation: Verilator vs the integer golden model on {} clips ({:.3g} cycles each)",
                                    cosim_clips, cyc),
               (built ? 0 : 90) + cosim_clips * cyc / 1.5e6);
      CosimOptions co;
      co.design_dir = rtl_dir;
      co.data = data_dir;
      co.clips = cosim_clips;
      try {
        CosimResult cr = run_cosim(co);
        cosim = to_json(cr);
        long maxdev = 0;
        for (long c : cr.cycles_per_clip) maxdev = std::max(maxdev, std::labs(c - cr.predicted_cycles));
        cosim["max_cycle_deviation_percent"] = cr.predicted_cycles ? 100.0 * double(maxdev) / double(cr.predicted_cycles) : 0.0;
        cosim["dense_bound"] = signature["predicted_cycles"]["dense_bound"];
        if (cr.mismatches == 0) cache.store("cosim", key);
      } catch (const Error& e) {  // reported; synthesis and the report still run
        cosim = {{"error", e.what()}, {"clips", 0}, {"mismatches", 0}};
        std::fprintf(stderr, "      co-simulation failed: %s\n", e.what());
      }
      write_file(file, cosim.dump(1) + "\n");
      pg.end();
    }
    cosim_failed = cosim.contains("error") || cosim["mismatches"].get<long>() != 0;
  }

  // ---- 6. synthesis ----
  nlohmann::json synth = nlohmann::json::array();
  for (const auto& b : boards) {
    // "clock": results before the auto clock (clock_mhz, attempts) are not reused.
    const std::string key = cache_key({"synth", rtl_key, b, "clock"});
    const std::string file = out + "/synth-" + b + ".json";
    if (cache.hit("synth_" + b, key, {file})) {
      pg.cached("synth_" + b, "synthesis " + b);
      synth.push_back(nlohmann::json::parse(read_file(file)));
      continue;
    }
    pg.begin("synth_" + b, fmt::format("synthesis for {}: Yosys + nextpnr", b),
             fpga::find_board(b).family == fpga::Family::ice40 ? 180 : 300);
    fpga::SynthOptions so;
    so.board = b;
    so.progress = [](const std::string& s) { std::fprintf(stderr, "      %s\n", s.c_str()); };
    nlohmann::json j;
    try {
      fpga::SynthResult sr = fpga::synthesize(rtl_dir, so);
      j = sr.to_json();
      cache.store("synth_" + b, key);
    } catch (const Error& e) {  // a tool failure is reported, the run goes on
      j = {{"board", b}, {"error", e.what()}};
      std::fprintf(stderr, "      synthesis for %s failed: %s\n", b.c_str(), e.what());
    }
    write_file(file, j.dump(1) + "\n");
    synth.push_back(j);
    pg.end();
  }
  for (const auto& s : skipped_boards) synth.push_back(s);

  // ---- 7. energy ----
  pg.begin("energy", "energy: Eq. 13 and the accelerator's 45 nm estimate", 1);
  nlohmann::json energy;
  {
    const nlohmann::json& t1 = evals["table1"];
    const nlohmann::json* row = nullptr;
    for (const auto& r : t1["results"])
      if (r["method"] == "sdm" && r["T"] == o.T && std::fabs(r["alpha"].get<double>() - o.alpha) < 1e-9 &&
          r["beta"] == o.beta && r["mode"] == "int")
        row = &r;
    if (!row) throw Error("energy: the Table I sweep has no row for the run's setting");
    std::vector<double> spikes;
    for (const auto& l : (*row)["layers"]) spikes.push_back(l["spikes_per_clip"].get<double>());
    const NetOps ops = count_ops(art.qnet);
    Eq13 e = eq13(ops, spikes, o.T);
    HwEnergy h = hardware_energy(art.qnet, signature);
    energy["eq13"] = to_json(e);
    energy["eq13"]["snn_top1"] = (*row)["top1"];
    energy["eq13"]["mode"] = "int";
    energy["hardware"] = to_json(h);
    // The paper's Table III rows: the report reads them from report/paper_tables.json.
    write_file(out + "/energy.json", energy.dump(1) + "\n");
  }
  pg.end();

  // ---- 8. report ----
  nlohmann::json summary;
  summary["format"] = "sdmforge-run-summary";
  summary["version"] = 1;
  Config run_cfg = cfg;  // the configuration run: the design's hardware options (a --board pick)
  run_cfg.hw = design_hw;
  summary["settings"] = {{"model", o.model}, {"config", run_cfg}, {"alpha", o.alpha}, {"beta", o.beta}, {"T", o.T},
                         {"lanes", design_hw.lanes}, {"hw_options", to_json(design_hw)}, {"eval_clips", cs.n}, {"cosim_clips", cosim_clips},
                         {"boards", boards}, {"quick", o.quick}, {"threads", threads}, {"data", data_info},
                         {"sdmforge_version", kVersion}};
  summary["ann_top1"] = evals["table1"]["ann_top1"];
  summary["eval"] = evals;
  summary["rtl"] = {{"dir", "rtl"}, {"lanes", signature["lanes"]}, {"predicted_cycles", signature["predicted_cycles"]},
                    {"memory_bits", signature["memory_bits"]}, {"widths", signature["widths"]},
                    {"counters", signature["counters"]}};
  summary["cosim"] = cosim;
  summary["synth"] = synth;
  summary["energy"] = energy;
  summary["timings"] = pg.timings;
  summary["seconds"] = now_s() - t_start;
  write_file(out + "/summary.json", summary.dump(1) + "\n");
  if (!o.no_report) {
    pg.begin("report", "report: plots (matplotlib) and index.html", 20);
    const std::string cmd = fmt::format("'{}' '{}' '{}' '{}'", o.python, report_py, out + "/summary.json", out);
    if (std::system(cmd.c_str()) != 0) throw Error(fmt::format("report script failed: {}", cmd));
    pg.end();
  }
  summary["seconds"] = now_s() - t_start;
  write_file(out + "/summary.json", summary.dump(1) + "\n");
  const auto& e13 = energy["eq13"];
  std::fprintf(stderr,
               "sdmforge run: done in %s. ANN top-1 %.2f%%, SNN (sdm a=%g b=%d T=%d, int) %.2f%%; energy ratio "
               "SNN/ANN %.3f (first layer x T: %.3f); co-sim %s\n  report: %s/index.html\n",
               human(now_s() - t_start).c_str(), summary["ann_top1"].get<double>(), o.alpha, o.beta, o.T,
               e13["snn_top1"].get<double>(), e13["ratio"].get<double>(), e13["ratio_xT"].get<double>(),
               cosim.is_null() ? "skipped"
               : cosim.contains("error") ? "FAILED"
                               : fmt::format("{} clips, {} mismatches", cosim["clips"].get<int>(),
                                             cosim["mismatches"].get<long>()).c_str(),
               out.c_str());
  if (!o.json.empty()) write_output(o.json, summary.dump(2) + "\n");
  if (cosim_failed)
    throw Error(cosim.contains("error")
                    ? fmt::format("co-simulation failed: {} (report written)", cosim["error"].get<std::string>())
                    : fmt::format("co-simulation mismatch: {} (report written)", cosim["first_mismatch"].dump()));
}

void reg(CLI::App& app) {
  auto o = std::make_shared<RunOpts>();
  auto* c = app.add_subcommand("run", "The main job: convert, evaluate (Tables I-II, Fig. 1, 6), RTL, co-sim, "
                                      "synthesis, energy, HTML report");
  c->add_option("--out", o->out, "output folder (report, caches, RTL, bitstreams)")->capture_default_str();
  c->add_option("--model", o->model, "ONNX model (default: the bundled models/default/model.onnx)");
  c->add_option("--data", o->data, "data folder (default: the synthetic test clips, generated into OUT/data)");
  o->flags = std::make_shared<ConfigFlags>(
      c, ConfigFlags::kAlphaBeta | ConfigFlags::kT | ConfigFlags::kHardware | ConfigFlags::kThreads, 0, 2);
  c->add_option("--clips", o->clips, "co-simulation clips (default 5; --quick 3; 0 skips co-simulation)");
  c->add_option("--eval-clips", o->eval_clips, "evaluation clips (default 200; --quick 100)");
  c->add_option("--boards", o->boards, "comma list of boards to synthesize (default icebreaker,ulx3s, or the "
                                       "--board; ulx3s only if its tools are installed)");
  c->add_flag("--skip-synth", o->skip_synth, "no synthesis");
  c->add_flag("--quick", o->quick, "CI setting: 100 eval clips, T <= 16, 3 co-sim clips, iCEBreaker only");
  c->add_flag("--force", o->force, "ignore the caches and redo every stage");
  c->add_flag("--no-report", o->no_report, "write summary.json only (no plots, no HTML)");
  c->add_option("--python", o->python, "Python with matplotlib for the report")->capture_default_str();
  c->add_option("--json", o->json, "also write summary.json here ('-' = stdout)");
  c->callback([o] { run_main(*o); });
}

}  // namespace
}  // namespace sdm::cli

SDM_REGISTER_COMMAND(80, sdm::cli::reg);
