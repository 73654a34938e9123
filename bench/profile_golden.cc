// Fixed-work driver for instruction-count profiling (valgrind --tool=callgrind counts
// instructions repeatably, unlike timers on a shared machine). Runs one simulator on N
// clips of the default model (alpha 0.2, beta 5, T 4) and prints the events executed and
// the predicted class of every clip (bench/torch_ratio.py compares them with PyTorch).
//   profile_golden (int|ref|float|dense) [clips=16] [T=4]
//   profile_golden sweep [clips=4] [Tmax=64]: the simulator work of `sdmforge eval
//     --methods if,opt,rts,burst,snm,sdm --T 1,2,4,...,Tmax --mode float,int` (float runs
//     to Tmax for five methods, rts once per T, integer runs to Tmax for if/opt/burst/sdm),
//     timed per clip with the shipped simulators and with the pre-optimization ones
//     (dense float, reference integer) in the same process.
// Clips: SDM_BENCH_DATA (split folder or dataset root) or the synthetic test split, seed 1.
// e.g. valgrind --tool=callgrind --toggle-collect='sdm::*Snn::run*' ./profile_golden int 16
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "bench/reference_snn.h"
#include "data/dataset.h"
#include "data/synth.h"
#include "golden/onnx_import.h"
#include "golden/qnet.h"
#include "golden/snn_float.h"
#include "golden/snn_int.h"

int main(int argc, char** argv) {
  using namespace sdm;
  const std::string mode = argc > 1 ? argv[1] : "int";
  const int n = argc > 2 ? std::atoi(argv[2]) : 16;
  const char* menv = std::getenv("SDM_BENCH_MODEL");
  Graph g = import_onnx(menv && *menv ? menv : SDM_SOURCE_DIR "/models/default/model.onnx");
  Config cfg;
  cfg.neuron.alpha = 0.2;
  cfg.neuron.beta = 5;
  cfg.T = argc > 3 ? std::atoi(argv[3]) : 4;
  QNet q = quantize(g, cfg);
  std::vector<uint8_t> clips;
  const char* denv = std::getenv("SDM_BENCH_DATA");
  if (denv && *denv) {
    clips = load_dataset(denv, size_t(n)).clips;
  } else {
    synth::Options o;
    o.size = g.input().out.h;
    o.frames = g.input().out.f;
    clips = synth::generate_split(o, "test", n).clips;
  }
  if (long(clips.size()) < long(n) * g.input().out.size()) {
    std::fprintf(stderr, "profile_golden: fewer than %d clips\n", n);
    return 2;
  }
  std::string classes;
  auto note = [&](int c) { classes += (classes.empty() ? "" : ",") + std::to_string(c); };
  const long cs = g.input().out.size();
  long long ev = 0;
  if (mode == "sweep") {
    const int Tmax = cfg.T;
    std::vector<int> Ts;
    for (int t = 1; t <= Tmax; t *= 2) Ts.push_back(t);
    auto spec_of = [](Method m) {
      NeuronSpec sp;
      sp.method = m;
      sp.alpha = 0.2;
      sp.beta = 5;
      return sp;
    };
    std::vector<QNet> qnets;
    for (Method m : {Method::IF, Method::OPT, Method::BURST, Method::SDM}) {
      Config c = cfg;
      c.neuron = spec_of(m);
      qnets.push_back(quantize(g, c));
    }
    auto sweep = [&](bool old, double& fsec, double& isec) {
      fsec = isec = 0;
      for (int i = 0; i < n; ++i) {
        const uint8_t* px = clips.data() + i * cs;
        auto t0 = std::chrono::steady_clock::now();
        for (Method m : {Method::IF, Method::OPT, Method::BURST, Method::SNM, Method::SDM, Method::RTS}) {
          const std::vector<int> runs = m == Method::RTS ? Ts : std::vector<int>{Tmax};
          for (int T : runs) {
            FloatSnn f(g, spec_of(m), T, old);
            f.run(px, T, {});
            note(argmax(f.logit_sum().data(), int(f.logit_sum().size())));
          }
        }
        auto t1 = std::chrono::steady_clock::now();
        for (const QNet& qn : qnets) {
          if (old) {
            ref::RefIntSnn r(qn);
            r.run(px, {}, Tmax);
            ev += r.events();
          } else {
            IntSnn r(qn);
            r.run(px, {}, Tmax);
            ev += r.events();
          }
        }
        auto t2 = std::chrono::steady_clock::now();
        fsec += std::chrono::duration<double>(t1 - t0).count();
        isec += std::chrono::duration<double>(t2 - t1).count();
      }
    };
    double fo, io, fn, in_;
    sweep(true, fo, io);
    sweep(false, fn, in_);
    sweep(true, fo, io);  // old again: the machine's load drifts
    double fo2 = fo, io2 = io;
    sweep(false, fn, in_);
    std::printf("sweep per clip (s): float old %.3f new %.3f (%.1fx); int old %.3f new %.3f (%.1fx); "
                "total old %.3f new %.3f (%.1fx)\n", fo2 / n, fn / n, fo2 / fn, io2 / n, in_ / n, io2 / in_,
                (fo2 + io2) / n, (fn + in_) / n, (fo2 + io2) / (fn + in_));
    return 0;
  }
  if (mode == "int" || mode == "ref") {
    IntSnn a(q);
    ref::RefIntSnn b(q);
    for (int i = 0; i < n; ++i) {
      if (mode == "int") a.run(clips.data() + i * cs), ev += a.events(), note(a.predicted_class());
      else b.run(clips.data() + i * cs), ev += b.events(), note(b.predicted_class());
    }
  } else if (mode == "float" || mode == "dense") {
    FloatSnn s(g, cfg.neuron, cfg.T, mode == "dense");
    for (int i = 0; i < n; ++i) {
      s.run(clips.data() + i * cs, cfg.T, {});
      ev += s.events();
      note(argmax(s.logit_sum().data(), int(s.logit_sum().size())));
    }
  } else {
    std::fprintf(stderr, "profile_golden: unknown mode '%s' (int|ref|float|dense)\n", mode.c_str());
    return 2;
  }
  std::printf("%s: %d clips, %lld events\nclasses: %s\n", mode.c_str(), n, ev, classes.c_str());
  return 0;
}
