// Golden-model throughput (docs/performance.md). One benchmark iteration = one clip run
// for T steps on the default model (models/default/model.onnx, a small 3D ResNet),
// converted with alpha = 0.2, beta = 5, T = 4. Single thread. Counters:
//   events_per_s  synaptic events (nonzero input x output-channel row) per second
//   clips_per_s   clips per second
// Benchmarks, each in the same process so ratios are meaningful on a shared machine:
//   BM_IntSnn           integer (bit-accurate) golden model, as shipped
//   BM_IntSnnReference  the pre-optimization integer model (bench/reference_snn.h)
//   BM_FloatSnnSparse   float SNN, sparse scatter (default)
//   BM_FloatSnnDense    float SNN, dense Eigen im2col + GEMM every step (the old path)
//   BM_AnnFloat         the float ANN forward pass, for scale
// Environment: SDM_BENCH_MODEL (ONNX path), SDM_BENCH_DATA (a split folder or dataset root
// for sdm::load_dataset; default: 64 clips synthesized in-process, the same generator as
// `sdmforge data synth --test 64 --seed 1`), SDM_BENCH_T (default 4).
#include <cstdlib>
#include <memory>
#include <string>

#include <benchmark/benchmark.h>

#include "bench/reference_snn.h"
#include "data/dataset.h"
#include "data/synth.h"
#include "golden/onnx_import.h"
#include "golden/ops.h"
#include "golden/qnet.h"
#include "golden/snn_float.h"
#include "golden/snn_int.h"

namespace {

using namespace sdm;

std::string env(const char* k, const std::string& dflt) {
  const char* v = std::getenv(k);
  return v && *v ? v : dflt;
}

struct Setup {
  Graph g;
  Config cfg;
  QNet q;
  std::vector<uint8_t> clips;
  long clip_size = 0, n = 0;
  const uint8_t* clip(long i) const { return clips.data() + (i % n) * clip_size; }

  Setup() {
    g = import_onnx(env("SDM_BENCH_MODEL", std::string(SDM_SOURCE_DIR) + "/models/default/model.onnx"));
    cfg.neuron.method = Method::SDM;
    cfg.neuron.alpha = 0.2;
    cfg.neuron.beta = 5;
    cfg.T = std::atoi(env("SDM_BENCH_T", "4").c_str());
    q = quantize(g, cfg);
    clip_size = g.input().out.size();
    const std::string data = env("SDM_BENCH_DATA", "");
    if (!data.empty()) {
      Dataset d = load_dataset(data);
      clips = d.clips;
      n = long(d.size());
    } else {
      synth::Options o;
      o.size = g.input().out.h;
      o.frames = g.input().out.f;
      o.seed = 1;
      clips = synth::generate_split(o, "test", 64).clips;
      n = 64;
    }
  }
};

const Setup& setup() {
  static Setup s;
  return s;
}

template <class Sim>
void int_bench(benchmark::State& state) {
  const Setup& s = setup();
  Sim sim(s.q);
  long i = 0;
  double events = 0;
  for (auto _ : state) {
    sim.run(s.clip(i++));
    events += double(sim.events());
    benchmark::DoNotOptimize(sim.logit_acc().data());
  }
  state.counters["events_per_s"] = benchmark::Counter(events, benchmark::Counter::kIsRate);
  state.counters["clips_per_s"] = benchmark::Counter(double(i), benchmark::Counter::kIsRate);
  state.counters["events_per_clip"] = events / double(i);
}

void BM_IntSnn(benchmark::State& state) { int_bench<IntSnn>(state); }
void BM_IntSnnReference(benchmark::State& state) { int_bench<ref::RefIntSnn>(state); }

void float_bench(benchmark::State& state, bool dense) {
  const Setup& s = setup();
  FloatSnn sim(s.g, s.cfg.neuron, s.cfg.T, dense);
  // Events are counted by the sparse path; the dense path does the same synaptic work.
  FloatSnn counter(s.g, s.cfg.neuron, s.cfg.T);
  long i = 0;
  double events = 0;
  for (auto _ : state) {
    sim.run(s.clip(i), s.cfg.T, {});
    benchmark::DoNotOptimize(sim.logit_sum().data());
    if (dense) {
      state.PauseTiming();
      counter.run(s.clip(i), s.cfg.T, {});
      events += double(counter.events());
      state.ResumeTiming();
    } else {
      events += double(sim.events());
    }
    ++i;
  }
  state.counters["events_per_s"] = benchmark::Counter(events, benchmark::Counter::kIsRate);
  state.counters["clips_per_s"] = benchmark::Counter(double(i), benchmark::Counter::kIsRate);
  state.counters["events_per_clip"] = events / double(i);
}

void BM_FloatSnnSparse(benchmark::State& state) { float_bench(state, false); }
void BM_FloatSnnDense(benchmark::State& state) { float_bench(state, true); }

void BM_AnnFloat(benchmark::State& state) {
  const Setup& s = setup();
  long i = 0;
  for (auto _ : state) benchmark::DoNotOptimize(ann_forward(s.g, s.clip(i++)));
  state.counters["clips_per_s"] = benchmark::Counter(double(i), benchmark::Counter::kIsRate);
}

}  // namespace

BENCHMARK(BM_IntSnn)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_IntSnnReference)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_FloatSnnSparse)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_FloatSnnDense)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_AnnFloat)->Unit(benchmark::kMillisecond);
BENCHMARK_MAIN();
