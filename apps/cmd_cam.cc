// cam: class activation maps of the last spiking layer (the paper's Fig. 7), for the ANN
// and for the float SNN at several T, on chosen test clips. CAM_k(f,h,w) =
// sum_c W[k][c] * A[c][f,h,w] with W the final Linear and A the ANN activation or the SNN's
// mean output over T steps; k is the ANN's predicted class, so all maps of a clip explain
// the same decision. Rendering (overlay on the frames) is scripts/results.py's job.
#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include <fmt/core.h>
#include <nlohmann/json.hpp>

#include "apps/cli_util.h"
#include "apps/commands.h"
#include "apps/config_flags.h"
#include "data/dataset.h"
#include "golden/error.h"
#include "golden/onnx_import.h"
#include "golden/ops.h"
#include "golden/snn_float.h"

namespace sdm::cli {
namespace {

struct CamOpts {
  std::string model, data, json, clips = "0,1,2,3";
  std::shared_ptr<ConfigFlags> flags;
};

// The final Linear must read the last spiking layer, through a GlobalAvgPool (weight row k
// holds one CAM weight per channel) or flattened (one weight per channel and position).
const Node& readout_linear(const Graph& g, int last_clip) {
  const Node& lin = g.nodes.at(g.output);
  if (lin.kind != OpKind::Linear || lin.inputs.size() != 1)
    throw Error("cam: the network output is not a Linear layer");
  int src = lin.inputs[0];
  if (g.nodes[src].kind == OpKind::GlobalAvgPool) src = g.nodes[src].inputs.at(0);
  if (src != last_clip)
    throw Error(fmt::format("cam: the final Linear does not read the last spiking layer '{}' (through a "
                            "global average or flattened; CAMs need that head)", g.nodes[last_clip].name));
  return lin;
}

// CAM_k over the positions p of layer shape s from activations a[c][p], scaled so that
// mean_p CAM_k(p) + bias[k] = logit k for both heads: GAP (W[k][c]) and flatten
// (W[k][c][p], times P because the flattened Linear sums over positions).
std::vector<double> cam(const Node& lin, int k, const Shape& s, const std::vector<double>& a) {
  const long P = s.plane();
  const size_t row = lin.weight.size() / size_t(lin.out.c);
  const bool flat = row == size_t(s.c) * size_t(P) && P > 1;
  std::vector<double> m(size_t(P), 0.0);
  for (int c = 0; c < s.c; ++c)
    for (long p = 0; p < P; ++p) {
      const double w = flat ? double(P) * lin.weight[size_t(k) * row + size_t(c * P + p)]
                            : double(lin.weight[size_t(k) * row + size_t(c)]);
      m[size_t(p)] += w * a[size_t(c * P + p)];
    }
  return m;
}

void run_cam(const CamOpts& o) {
  check_model_data_outputs(o.model, o.data, {o.json});
  Graph g = import_onnx(o.model);
  const NeuronSpec spec = o.flags->resolve().neuron;  // the shared limits
  const std::vector<int> Ts = o.flags->Ts(nullptr);
  std::vector<long> idx = split_num<long>(o.clips, "clip index");
  if (idx.empty()) throw Error("--clips names no clip");
  Dataset d = load_dataset(o.data, 0);
  check_clip_shape(d.clip_shape, g.input().out);  // the clip buffer must be the model's input
  for (long i : idx)
    if (i < 0 || i >= long(d.size()))
      throw Error(fmt::format("clip index {} is outside 0..{}", i, long(d.size()) - 1));
  const std::vector<int> clips = g.clip_nodes();
  if (clips.empty()) throw Error("cam: the network has no spiking layer");
  const int last = clips.back();
  const Node& lin = readout_linear(g, last);
  const Shape s = g.nodes[last].out;
  {
    const size_t row = lin.weight.size() / size_t(lin.out.c);
    if (row != size_t(s.c) && row != size_t(s.size()))
      throw Error(fmt::format("cam: the final Linear has {} inputs per class, not {} channels or {} values",
                              row, s.c, s.size()));
  }

  nlohmann::json out;
  out["model"] = o.model;
  out["data"] = d.dir;
  out["layer"] = g.nodes[last].name;
  out["layer_shape"] = {s.c, s.f, s.h, s.w};
  out["clip_shape"] = d.clip_shape;
  out["class_names"] = d.class_names;
  out["spec"] = spec.label();
  out["Ts"] = Ts;
  out["bias"] = lin.bias;  // mean(CAM_k) + bias[k] = ANN logit k (a check on the maps)
  for (long i : idx) {
    const unsigned char* px = d.clip(size_t(i));
    std::vector<std::vector<float>> acts;
    std::vector<float> logits = ann_forward(g, px, &acts);
    const int k = argmax(logits.data(), int(logits.size()));
    std::vector<double> a(acts[size_t(last)].begin(), acts[size_t(last)].end());
    nlohmann::json c;
    c["index"] = i;
    c["label"] = d.labels[size_t(i)];
    c["pixels"] = std::vector<int>(px, px + d.clip_size());
    c["class"] = k;
    c["ann"] = {{"pred", k}, {"logit", logits[size_t(k)]}, {"cam", cam(lin, k, s, a)}};
    nlohmann::json snn_maps = nlohmann::json::array();
    // One simulation per T: a neuron rule may depend on T (rts shifts its threshold by
    // theta / 2T), so the first t steps of a longer run are not a run of T = t.
    for (int T : Ts) {
      FloatSnn snn(g, spec, T);
      const int L = snn.num_layers();
      snn.run(px, T, [&](int t) {
        if (t != T) return;
        std::vector<double> mean(snn.out_sum(L - 1));
        for (double& v : mean) v /= t;
        const std::vector<double>& ls = snn.logit_sum();
        snn_maps.push_back({{"T", t}, {"pred", argmax(ls.data(), int(ls.size()))}, {"cam", cam(lin, k, s, mean)}});
      });
    }
    c["snn"] = snn_maps;
    out["clips"].push_back(c);
  }
  write_output(o.json.empty() ? "-" : o.json, out.dump() + "\n");
}

void reg(CLI::App& app) {
  auto o = std::make_shared<CamOpts>();
  auto* c = app.add_subcommand("cam", "Class activation maps of the last spiking layer: ANN vs SNN (Fig. 7)");
  c->add_option("model", o->model, "ONNX model exported by PyTorch")->required()->check(CLI::ExistingFile);
  c->add_option("--data", o->data, "split folder or dataset root (its test split)")->required();
  c->add_option("--clips", o->clips, "comma list of clip indices")->capture_default_str();
  o->flags = std::make_shared<ConfigFlags>(c, ConfigFlags::kNeuron | ConfigFlags::kT, ConfigFlags::kT, 8, "4,8,16");
  c->add_option("--json", o->json, "write the JSON here (default stdout)");
  c->callback([o] { run_cam(*o); });
}

}  // namespace
}  // namespace sdm::cli

SDM_REGISTER_COMMAND(45, sdm::cli::reg);
