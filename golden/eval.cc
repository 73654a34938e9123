#include "golden/eval.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <mutex>
#include <system_error>
#include <thread>

#include <unistd.h>

#include <memory>

#include <fmt/core.h>

#include "golden/error.h"
#include "golden/ops.h"
#include "golden/qnet.h"
#include "golden/snn_float.h"
#include "golden/snn_int.h"

namespace sdm {
namespace {

// Per-thread accumulators of one row.
struct RowAcc {
  long correct = 0;
  uint64_t sat = 0;
  std::vector<double> spikes, neg, err;
  void resize(size_t L) {
    spikes.assign(L, 0);
    neg.assign(L, 0);
    err.assign(L, 0);
  }
  void add(const RowAcc& o) {
    correct += o.correct;
    sat += o.sat;
    for (size_t i = 0; i < spikes.size(); ++i)
      spikes[i] += o.spikes[i], neg[i] += o.neg[i], err[i] += o.err[i];
  }
};

// One simulation job: a spec in a mode run to some Tmax, reporting rows at Ts.
struct Job {
  NeuronSpec spec;
  bool int_mode;
  int Tmax;
  std::vector<int> Ts;     // rows this job fills (sorted, all <= Tmax)
  std::vector<int> rows;   // row index per T
  QNet qnet;               // int mode
};

// Runs work(0) here and work(1..n-1) on threads; a thread that cannot be started is a
// one-line error after the started ones have finished (never std::terminate).
template <class W>
void run_pool(int n, W&& work) {
  std::vector<std::thread> pool;
  std::string failed;
  for (int t = 1; t < n && failed.empty(); ++t) {
    try {
      pool.emplace_back(work, t);
    } catch (const std::system_error& e) {
      failed = fmt::format("cannot start thread {} of {}: {}", t + 1, n, e.what());
    }
  }
  if (failed.empty()) work(0);
  for (auto& t : pool) t.join();
  if (!failed.empty()) throw Error(failed);
}

}  // namespace

std::vector<std::vector<float>> ann_logits(const Graph& g, const ClipSet& data, int threads) {
  std::vector<std::vector<float>> out(size_t(data.n));
  std::atomic<long> next{0};
  auto work = [&](int) {
    for (long i; (i = next++) < data.n;) out[size_t(i)] = ann_forward(g, data.clip(i));
  };
  run_pool(int(std::min<long>(std::max(1, threads), std::max(1L, data.n))), work);
  return out;
}

EvalResult evaluate(const Graph& g, const ClipSet& data, const EvalRequest& req) {
  const auto t0 = std::chrono::steady_clock::now();
  if (data.n <= 0) throw Error("the data set holds no clips");
  if (!data.shape.empty()) check_clip_shape(data.shape, g.input().out);
  if (data.clip_size != g.input().out.size())
    throw Error(fmt::format("clips hold {} values but the model's input {} needs {}", data.clip_size,
                            g.input().out.str(), g.input().out.size()));
  // docs/data.md: a label outside the model's classes is an error, not a miss.
  if (long(data.labels.size()) < data.n)
    throw Error(fmt::format("the data set has {} labels for {} clips", data.labels.size(), data.n));
  for (long i = 0; i < data.n; ++i)
    if (data.labels[size_t(i)] < 0 || data.labels[size_t(i)] >= g.num_classes())
      throw Error(fmt::format("label {} of clip {} is outside the model's {} classes (0..{})",
                              data.labels[size_t(i)], i, g.num_classes(), g.num_classes() - 1));
  if (req.Ts.empty()) throw Error("no time-steps requested");
  for (int T : req.Ts) check_T(T);
  const int Tmax = *std::max_element(req.Ts.begin(), req.Ts.end());
  std::vector<int> Ts = req.Ts;
  std::sort(Ts.begin(), Ts.end());
  Ts.erase(std::unique(Ts.begin(), Ts.end()), Ts.end());

  EvalResult res;
  res.n = data.n;
  const std::vector<int> clips = g.clip_nodes();
  const size_t L = clips.size();

  // Build jobs and their rows.
  std::vector<Job> jobs;
  auto add_rows = [&](Job& j, const std::string& mode) {
    for (int T : j.Ts) {
      EvalRow r;
      r.spec = j.spec;
      r.T = T;
      r.weight_bits = req.weight_bits;
      r.mode = mode;
      r.n = data.n;
      j.rows.push_back(int(res.rows.size()));
      res.rows.push_back(r);
    }
  };
  for (const NeuronSpec& s : req.specs) {
    s.validate();
    std::vector<std::vector<int>> groups;
    if (s.method == Method::RTS) {
      for (int T : Ts) groups.push_back({T});
    } else {
      groups.push_back(Ts);
    }
    if (req.float_mode)
      for (auto& gT : groups) {
        Job j{s, false, gT.back(), gT, {}, {}};
        add_rows(j, "float");
        jobs.push_back(std::move(j));
      }
    if (req.int_mode) {
      if (!s.has_integer_mode()) {
        res.notes.push_back(fmt::format("{}: float only (no integer mode)", method_name(s.method)));
        continue;
      }
      Config cfg;
      cfg.neuron = s;
      cfg.T = Tmax;
      cfg.weight_bits = req.weight_bits;
      // A network integer mode cannot represent still has its float rows: a note, not an
      // abort of the whole evaluation (as for the float-only methods above).
      QNet qnet;
      try {
        qnet = quantize(g, cfg);
      } catch (const Error& e) {
        res.notes.push_back(fmt::format("{}: no integer mode: {}", s.label(), e.what()));
        continue;
      }
      Job j{s, true, Tmax, Ts, {}, std::move(qnet)};
      add_rows(j, "int");
      jobs.push_back(std::move(j));
    }
  }

  // Per-thread work over clips.
  const int nthreads = int(std::min<long>(std::max(1, req.threads), data.n));  // no idle threads
  std::vector<std::vector<RowAcc>> acc(size_t(nthreads), std::vector<RowAcc>(res.rows.size()));
  for (auto& a : acc)
    for (auto& r : a) r.resize(L);
  std::vector<long> ann_correct(size_t(nthreads), 0);
  std::vector<long long> events(size_t(nthreads), 0);
  std::vector<double> int_seconds(size_t(nthreads), 0);
  std::atomic<long> next{0}, done{0};
  double last_report = -1e9;
  std::mutex err_mu;
  std::string first_error;

  auto work = [&](int tid) {
    try {
      std::vector<std::unique_ptr<FloatSnn>> fsims(jobs.size());
      std::vector<std::unique_ptr<IntSnn>> isims(jobs.size());
      for (size_t j = 0; j < jobs.size(); ++j) {
        if (jobs[j].int_mode) isims[j] = std::make_unique<IntSnn>(jobs[j].qnet);
        else fsims[j] = std::make_unique<FloatSnn>(g, jobs[j].spec, jobs[j].Tmax);
      }
      std::vector<std::vector<float>> acts;
      for (long i; (i = next++) < data.n;) {
        const uint8_t* px = data.clip(i);
        const long label = data.labels[size_t(i)];
        std::vector<float> logits = ann_forward(g, px, req.layer_error ? &acts : nullptr);
        ann_correct[tid] += argmax(logits.data(), int(logits.size())) == label;
        for (size_t j = 0; j < jobs.size(); ++j) {
          Job& job = jobs[j];
          size_t k = 0;
          if (!job.int_mode) {
            FloatSnn& sim = *fsims[j];
            sim.run(px, job.Tmax, [&](int t) {
              if (k >= job.Ts.size() || job.Ts[k] != t) return;
              RowAcc& ra = acc[tid][job.rows[k]];
              ra.correct += argmax(sim.logit_sum().data(), int(sim.logit_sum().size())) == label;
              for (size_t l = 0; l < L; ++l) {
                ra.spikes[l] += double(sim.spike_abs(int(l)));
                ra.neg[l] += double(sim.spike_neg(int(l)));
                if (req.layer_error) {
                  const auto& a = acts[clips[l]];
                  const auto& o = sim.out_sum(int(l));
                  double e = 0;
                  for (size_t q = 0; q < a.size(); ++q) e += std::fabs(a[q] - o[q] / t);
                  ra.err[l] += e / double(a.size());
                }
              }
              ++k;
            });
          } else {
            IntSnn& sim = *isims[j];
            const auto s0 = std::chrono::steady_clock::now();
            // Neuron stages in order match the graph's clip nodes in order.
            std::vector<int> neuron_stages;
            for (size_t s = 0; s < job.qnet.stages.size(); ++s)
              if (job.qnet.stages[s].kind == QStage::Neuron) neuron_stages.push_back(int(s));
            sim.run(px, [&](int t) {
              if (k >= job.Ts.size() || job.Ts[k] != t) return;
              RowAcc& ra = acc[tid][job.rows[k]];
              const auto& lg = sim.logit_acc();
              int best = 0;
              for (size_t c = 1; c < lg.size(); ++c)
                if (lg[c] > lg[best]) best = int(c);
              ra.correct += best == label;
              ra.sat += sim.total_saturations();
              for (size_t l = 0; l < L && l < neuron_stages.size(); ++l) {
                ra.spikes[l] += double(sim.spike_abs(neuron_stages[l]));
                ra.neg[l] += double(sim.spike_neg(neuron_stages[l]));
              }
              ++k;
            }, job.Tmax);
            events[tid] += sim.events();
            int_seconds[tid] +=
                std::chrono::duration<double>(std::chrono::steady_clock::now() - s0).count();
          }
        }
        const long d = ++done;
        if (req.progress && tid == 0) {
          const double el = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
          if (el - last_report < (isatty(2) ? 0.5 : 30.0) && d < data.n) continue;
          last_report = el;
          std::fprintf(stderr, isatty(2) ? "\r  eval %ld/%ld clips  %.0fs elapsed, ~%.0fs left   "
                                         : "  eval %ld/%ld clips  %.0fs elapsed, ~%.0fs left\n",
                       d, data.n, el, el / double(d) * double(data.n - d));
        }
      }
    } catch (const std::exception& e) {
      std::lock_guard<std::mutex> lk(err_mu);
      if (first_error.empty()) first_error = e.what();
      next = data.n;
    }
  };
  run_pool(nthreads, work);
  if (req.progress && isatty(2)) std::fprintf(stderr, "\n");
  if (!first_error.empty()) throw Error(first_error);

  long ann = 0;
  for (long c : ann_correct) ann += c;
  res.ann_top1 = 100.0 * double(ann) / double(data.n);
  for (size_t r = 0; r < res.rows.size(); ++r) {
    RowAcc tot;
    tot.resize(L);
    for (auto& a : acc) tot.add(a[r]);
    EvalRow& row = res.rows[r];
    row.correct = tot.correct;
    row.top1 = 100.0 * double(tot.correct) / double(data.n);
    row.saturations = tot.sat;
    for (size_t l = 0; l < L; ++l) {
      LayerStat ls;
      ls.name = g.nodes[clips[l]].name;
      ls.neurons = g.nodes[clips[l]].out.size();
      ls.spikes_per_clip = tot.spikes[l] / double(data.n);
      ls.neg_spikes_per_clip = tot.neg[l] / double(data.n);
      ls.firing_rate = ls.spikes_per_clip / (double(ls.neurons) * row.T);
      if (req.layer_error && row.mode == "float") ls.conversion_error = tot.err[l] / double(data.n);
      row.layers.push_back(ls);
    }
  }
  long long ev = 0;
  double secs = 0;
  for (size_t t = 0; t < events.size(); ++t) ev += events[t], secs += int_seconds[t];
  res.events_per_s = secs > 0 ? double(ev) / secs : 0;
  res.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return res;
}

nlohmann::json to_json(const EvalResult& r) {
  nlohmann::json j;
  j["ann_top1"] = r.ann_top1;
  j["clips"] = r.n;
  j["seconds"] = r.seconds;
  j["int_events_per_s_per_thread"] = r.events_per_s;
  j["notes"] = r.notes;
  j["results"] = nlohmann::json::array();
  for (const EvalRow& row : r.rows) {
    nlohmann::json jr = {{"method", method_name(row.spec.method)},
                         {"T", row.T},
                         {"alpha", row.spec.theta_scale()},
                         {"beta", row.spec.max_burst()},
                         {"dual", row.spec.method == Method::SDM && row.spec.dual},
                         {"weight_bits", row.weight_bits},
                         {"mode", row.mode},
                         {"top1", row.top1},
                         {"correct", row.correct},
                         {"n", row.n}};
    if (row.mode == "int") jr["saturations"] = row.saturations;
    jr["layers"] = nlohmann::json::array();
    for (const LayerStat& l : row.layers) {
      nlohmann::json jl = {{"name", l.name}, {"neurons", l.neurons},
                           {"spikes_per_clip", l.spikes_per_clip},
                           {"neg_spikes_per_clip", l.neg_spikes_per_clip},
                           {"firing_rate", l.firing_rate}};
      if (l.conversion_error >= 0) jl["conversion_error"] = l.conversion_error;
      jr["layers"].push_back(jl);
    }
    j["results"].push_back(jr);
  }
  return j;
}

}  // namespace sdm
