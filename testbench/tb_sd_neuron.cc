// Unit co-simulation of rtl/sd_neuron.v (and rtl/sd_neuron_array.v) against the
// golden rule sdm::IntRule::step (golden/neuron.h), constrained-random, one
// Verilator model per named configuration (testbench/CMakeLists.txt is the single
// list of configurations: it parameterizes the RTL and builds the table below).
//
//   tb_sd_neuron --config NAME [--seed S] [--vectors N] [--wave FILE.fst]
//   tb_sd_neuron --list
//
// A vector is one time-step of one neuron (one lane-step for the array). Each
// neuron runs t = 1..T (T in 1..64) back to back with first_i on t = 1; random
// bubbles (valid_i low) separate steps and neurons; with STEP_GAP = 2 a bubble always
// follows a step that the same neuron continues (the contract of that mode). Every output is checked for
// value and for latency (exactly 2 cycles). The first mismatch is printed with the
// configuration, vector index, time-step, cycle, inputs, DUT and expected values,
// and the command that reproduces it; the run then stops with exit status 1.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <functional>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "golden/neuron.h"
#include "sd_neuron_models.h"  // generated: one #include per Verilated model
#include "verilated.h"
#include "verilated_fst_c.h"

namespace {

struct Config {
  const char* name;
  const char* top;  // sd_neuron or sd_neuron_array
  int lanes, acc_w, pw, f, beta, dual, init_half, n_w;
  int gap;  // STEP_GAP: 2 = steps of one neuron are never fed on consecutive cycles
};

int64_t SignExtend(uint64_t raw, int width) {
  const uint64_t mask = width >= 64 ? ~uint64_t{0} : (uint64_t{1} << width) - 1;
  raw &= mask;
  if (width < 64 && (raw >> (width - 1)) & 1) raw |= ~mask;
  return static_cast<int64_t>(raw);
}

uint64_t Field(uint64_t bus, int lane, int width) {
  const uint64_t mask = width >= 64 ? ~uint64_t{0} : (uint64_t{1} << width) - 1;
  return (bus >> (lane * width)) & mask;
}

// Constrained-random currents: several regimes chosen per neuron.
class Stimulus {
 public:
  Stimulus(const Config& c, uint64_t seed) : c_(c), rng_(seed) {
    imax_ = (int64_t{1} << (c.acc_w - 1)) - 1;
    imin_ = -(int64_t{1} << (c.acc_w - 1));
  }
  int Uniform(int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng_); }
  int64_t Uniform64(int64_t lo, int64_t hi) {
    return std::uniform_int_distribution<int64_t>(lo, hi)(rng_);
  }
  int64_t Clamp(int64_t x) const { return x < imin_ ? imin_ : x > imax_ ? imax_ : x; }

  void NewNeuron() {
    regime_ = Uniform(0, 5);
    drift_ = Uniform(0, 1) ? 1 : -1;
  }
  int64_t Next(int t, int T) {
    const int64_t th = int64_t{1} << c_.f;
    int regime = regime_ == 5 ? Uniform(0, 4) : regime_;
    switch (regime) {
      case 0:  // anything representable
        return Uniform64(imin_, imax_);
      case 1:  // around multiples of the threshold
        return Clamp(Uniform(-c_.beta - 2, c_.beta + 2) * th + Uniform(-2, 2));
      case 2: {  // the edges of the current range and of the threshold
        const int64_t edges[] = {imin_, imin_ + 1, imax_, imax_ - 1, 0, 1, -1,
                                 th, th - 1, -th, -th + 1, 2 * th, -2 * th};
        return Clamp(edges[Uniform(0, 12)]);
      }
      case 3:  // drive v and M into saturation, then reverse (dual branch, M > 0)
        return Clamp((t <= T / 2 ? drift_ : -drift_) * Uniform64(imax_ / 2, imax_));
      default:  // small currents, long integration
        return Clamp(Uniform(-3, 3) * th / 4 + Uniform(-1, 1));
    }
  }

 private:
  const Config& c_;
  std::mt19937_64 rng_;
  int64_t imax_, imin_;
  int regime_ = 0, drift_ = 1;
};

struct Pending {
  long vector;   // index of the first lane's vector
  long neuron;
  int t, T;
  long cycle;    // input cycle
  bool first;
  std::vector<int64_t> cur, v_before, m_before, n, v, m;  // per lane
};

template <typename Model>
int Run(const Config& c, uint64_t seed, long vectors, const char* wave, const char* argv0) {
  auto ctx = std::make_unique<VerilatedContext>();
  auto dut = std::make_unique<Model>(ctx.get());
  std::unique_ptr<VerilatedFstC> trace;
  if (wave) {
    ctx->traceEverOn(true);
    trace = std::make_unique<VerilatedFstC>();
    dut->trace(trace.get(), 99);
    trace->open(wave);
  }
  const sdm::IntRule rule{c.f, c.beta, c.dual != 0, c.init_half != 0, c.pw};
  Stimulus stim(c, seed);
  std::vector<int64_t> v(c.lanes, 0), m(c.lanes, 0);
  std::deque<Pending> queue;
  long cycle = 0, issued = 0, checked = 0, neuron = -1;
  int t = 0, T = 0;
  uint64_t sat = 0;
  long n_neg = 0, n_cap = 0, n_burst = 0;  // coverage: -1, BETA, 2..BETA-1 spikes

  auto tick = [&]() {
    dut->clk_i = 1;
    dut->eval();
    if (trace) trace->dump(ctx->time());
    ctx->timeInc(1);
    dut->clk_i = 0;
    dut->eval();
    if (trace) trace->dump(ctx->time());
    ctx->timeInc(1);
    ++cycle;
  };
  auto fail_header = [&]() {
    std::printf("MISMATCH config %s (%s LANES=%d ACC_W=%d PW=%d F=%d BETA=%d DUAL=%d "
                "INIT_HALF=%d N_W=%d) seed=%llu\n",
                c.name, c.top, c.lanes, c.acc_w, c.pw, c.f, c.beta, c.dual, c.init_half,
                c.n_w, static_cast<unsigned long long>(seed));
  };
  auto finish = [&](int rc, long upto) {
    if (trace) trace->close();
    dut->final();
    if (rc) {
      std::printf("  reproduce: %s --config %s --seed %llu --vectors %ld --wave %s.fst\n",
                  argv0, c.name, static_cast<unsigned long long>(seed), upto, c.name);
    }
    return rc;
  };
  // Checks the outputs visible after the edge that just happened.
  auto check = [&]() -> bool {
    const bool due = !queue.empty() && queue.front().cycle + 2 == cycle;
    if (!dut->valid_o && !due) return true;
    if (dut->valid_o != due) {
      fail_header();
      std::printf("  cycle %ld: valid_o=%d but %s\n", cycle, dut->valid_o,
                  due ? "a step issued 2 cycles ago is due" : "no step is due");
      return false;
    }
    const Pending& p = queue.front();
    for (int l = 0; l < c.lanes; ++l) {
      const int64_t n = SignExtend(Field(dut->n_o, l, c.n_w), c.n_w);
      const int64_t vv = SignExtend(Field(dut->v_o, l, c.pw), c.pw);
      const int64_t mm = SignExtend(Field(dut->m_o, l, c.pw), c.pw);
      if (n != p.n[l] || vv != p.v[l] || mm != p.m[l]) {
        fail_header();
        std::printf("  vector %ld (neuron %ld, lane %d, time-step t=%d of T=%d), "
                    "input cycle %ld, output cycle %ld\n",
                    p.vector + l, p.neuron, l, p.t, p.T, p.cycle, cycle);
        std::printf("  inputs: cur=%lld first=%d; state before: v=%lld m=%lld\n",
                    static_cast<long long>(p.cur[l]), p.first,
                    static_cast<long long>(p.v_before[l]),
                    static_cast<long long>(p.m_before[l]));
        std::printf("  DUT: n=%lld v=%lld m=%lld\n", static_cast<long long>(n),
                    static_cast<long long>(vv), static_cast<long long>(mm));
        std::printf("  expected: n=%lld v=%lld m=%lld\n",
                    static_cast<long long>(p.n[l]), static_cast<long long>(p.v[l]),
                    static_cast<long long>(p.m[l]));
        return false;
      }
    }
    checked += c.lanes;
    queue.pop_front();
    return true;
  };

  // Reset: two cycles, valid_o must stay low.
  dut->clk_i = 0;
  dut->rst_ni = 0;
  dut->valid_i = 0;
  dut->first_i = 0;
  dut->cur_i = 0;
  dut->eval();
  for (int i = 0; i < 2; ++i) {
    tick();
    if (dut->valid_o) {
      fail_header();
      std::printf("  valid_o high during reset (cycle %ld)\n", cycle);
      return finish(1, vectors);
    }
  }
  dut->rst_ni = 1;

  bool prev_valid = false;
  while (issued < vectors || !queue.empty()) {
    const bool more = issued < vectors;
    bool valid = false;
    // STEP_GAP = 2: the step after a valid one may follow at once only for a new neuron.
    const bool gap_bubble = c.gap == 2 && prev_valid && t < T;
    if (more && !gap_bubble && stim.Uniform(0, 7) != 0) {  // 1 in 8 cycles is a bubble
      valid = true;
      if (t == T) {  // next neuron
        ++neuron;
        T = stim.Uniform(0, 3) == 0 ? stim.Uniform(1, 8) : stim.Uniform(1, 64);
        if (stim.Uniform(0, 3) == 0) T = 64;
        t = 0;
        stim.NewNeuron();
      }
      ++t;
      Pending p;
      p.vector = issued;
      p.neuron = neuron;
      p.t = t;
      p.T = T;
      p.cycle = cycle;
      p.first = t == 1;
      uint64_t bus = 0;
      for (int l = 0; l < c.lanes; ++l) {
        if (p.first) {
          v[l] = rule.v0();
          m[l] = 0;
        }
        const int64_t I = stim.Next(t, T);
        p.cur.push_back(I);
        p.v_before.push_back(v[l]);
        p.m_before.push_back(m[l]);
        p.n.push_back(rule.step(v[l], m[l], I, sat));
        n_neg += p.n.back() < 0;
        n_cap += p.n.back() == c.beta;
        n_burst += p.n.back() > 1 && p.n.back() < c.beta;
        p.v.push_back(v[l]);
        p.m.push_back(m[l]);
        const uint64_t mask = (uint64_t{1} << c.acc_w) - 1;
        bus |= (static_cast<uint64_t>(I) & mask) << (l * c.acc_w);
      }
      dut->cur_i = bus;
      dut->first_i = p.first;
      queue.push_back(std::move(p));
      issued += c.lanes;
    } else {
      dut->cur_i = stim.Uniform64(0, (int64_t{1} << c.acc_w) - 1);  // junk in bubbles
      dut->first_i = stim.Uniform(0, 1);
    }
    dut->valid_i = valid;
    prev_valid = valid;
    tick();
    if (!check()) return finish(1, queue.front().vector + 1);
    if (cycle > 4 * vectors + 100) {
      fail_header();
      std::printf("  timeout at cycle %ld\n", cycle);
      return finish(1, vectors);
    }
  }
  std::printf("PASS config %s: %ld vectors (%ld neurons, %ld cycles, %llu saturations, "
              "n=-1: %ld, n=BETA: %ld, 1<n<BETA: %ld), seed=%llu\n",
              c.name, checked, neuron + 1, cycle, static_cast<unsigned long long>(sat),
              n_neg, n_cap, n_burst, static_cast<unsigned long long>(seed));
  return finish(0, vectors);
}

struct Entry {
  Config config;
  std::function<int(uint64_t, long, const char*, const char*)> run;
};

std::vector<Entry> Table() {
  std::vector<Entry> t;
#define SDM_NEURON_CONFIG(NAME, TOP, LANES, ACC_W, PW, F, BETA, DUAL, INIT_HALF, N_W, GAP) \
  t.push_back(Entry{Config{#NAME, #TOP, LANES, ACC_W, PW, F, BETA, DUAL, INIT_HALF, N_W, GAP}, \
                    nullptr});                                                         \
  t.back().run = [cfg = t.back().config](uint64_t s, long n, const char* w,           \
                                         const char* a) {                              \
    return Run<V##TOP##_##NAME>(cfg, s, n, w, a);                                      \
  };
#include "sd_neuron_configs.def"
#undef SDM_NEURON_CONFIG
  return t;
}

}  // namespace

int main(int argc, char** argv) {
  std::string config;
  uint64_t seed = 0;
  bool have_seed = false;
  long vectors = 1000000;
  const char* wave = nullptr;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto value = [&]() -> const char* {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "tb_sd_neuron: error: %s needs a value\n", a.c_str());
        std::exit(2);
      }
      return argv[++i];
    };
    if (a == "--config") config = value();
    else if (a == "--seed") seed = std::strtoull(value(), nullptr, 0), have_seed = true;
    else if (a == "--vectors") vectors = std::strtol(value(), nullptr, 0);
    else if (a == "--wave") wave = value();
    else if (a == "--list") {
      for (const auto& e : Table()) std::printf("%s\n", e.config.name);
      return 0;
    } else if (a.rfind("+", 0) == 0) {
      continue;  // Verilator plusargs
    } else {
      std::fprintf(stderr,
                   "usage: %s --config NAME [--seed S] [--vectors N] [--wave F.fst] | "
                   "--list\n",
                   argv[0]);
      return 2;
    }
  }
  if (!have_seed) seed = std::random_device{}() | (uint64_t{std::random_device{}()} << 32);
  Verilated::commandArgs(argc, argv);
  for (const auto& e : Table())
    if (config == e.config.name) return e.run(seed, vectors, wave, argv[0]);
  std::fprintf(stderr, "tb_sd_neuron: error: unknown --config '%s' (see --list)\n",
               config.c_str());
  return 2;
}
