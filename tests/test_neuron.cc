// Neuron rules against SPEC §2: the worked Fig. 2 cases, a reference written from the
// spec text on random current sequences (library and CLI), integer == float where the
// integer format is exact, and convergence of the mean output to the ANN activation.
#include <cstdio>
#include <memory>
#include <random>
#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "golden/error.h"
#include "golden/neuron.h"

using namespace sdm;

namespace {

std::vector<int> run_float(const NeuronSpec& s, double lambda, const std::vector<double>& I) {
  FloatRule r = FloatRule::make(s, lambda, int(I.size()));
  FloatNeuron st = r.init();
  std::vector<int> out;
  for (double c : I) out.push_back(r.step(st, c));
  return out;
}

NeuronSpec spec(Method m, double alpha = 1, int beta = 1, bool dual = true) {
  NeuronSpec s;
  s.method = m;
  s.alpha = alpha;
  s.beta = beta;
  s.dual = dual;
  return s;
}

// Reference transcribed from the SPEC §2 tables, independent of FloatRule's structure.
std::vector<int> reference(Method m, double lambda, double alpha, int beta, bool dual,
                           const std::vector<double>& I) {
  const int T = int(I.size());
  const double theta = m == Method::SDM ? alpha * lambda : lambda;
  double v = (m == Method::OPT || m == Method::SDM) ? theta / 2 : 0.0;
  double M = 0;       // sdm: sum of inputs
  double emitted = 0; // snm: sum of emitted spikes
  std::vector<int> out;
  for (int t = 0; t < T; ++t) {
    double in = I[t] + (m == Method::RTS ? theta / (2.0 * T) : 0.0);
    v += in;
    M += I[t];
    int n = 0;
    switch (m) {
      case Method::IF: case Method::OPT: case Method::RTS:
        n = v >= theta ? 1 : 0;
        break;
      case Method::BURST:
        if (v >= theta) n = int(std::min<double>(beta, std::floor(v / theta)));
        break;
      case Method::SNM:
        if (v >= theta) n = 1;
        else if (v <= -theta && emitted > 0) n = -1;
        break;
      case Method::SDM:
        if (v >= theta) n = int(std::min<double>(beta, std::floor(v / theta)));
        else if (dual && v <= -theta && M > 0) n = -1;
        break;
    }
    emitted += n;
    v -= n * theta;
    out.push_back(n);
  }
  return out;
}

std::string run_cmd(const std::string& cmd, int* rc) {
  std::string out;
  FILE* p = popen(cmd.c_str(), "r");
  char buf[4096];
  size_t k;
  while ((k = fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, k);
  int st = pclose(p);
  *rc = WEXITSTATUS(st);
  return out;
}

}  // namespace

TEST(Neuron, WorkedCasesOfSpec) {
  const std::vector<double> pos{2, 2, 2, -2, -2}, neg{-2, -2, 2, 2, 2};
  using V = std::vector<int>;
  EXPECT_EQ(run_float(spec(Method::IF), 1, pos), (V{1, 1, 1, 1, 0}));
  EXPECT_EQ(run_float(spec(Method::IF), 1, neg), (V{0, 0, 0, 0, 1}));
  EXPECT_EQ(run_float(spec(Method::OPT), 1, pos), (V{1, 1, 1, 1, 0}));
  EXPECT_EQ(run_float(spec(Method::OPT), 1, neg), (V{0, 0, 0, 0, 1}));
  EXPECT_EQ(run_float(spec(Method::BURST, 1, 2), 1, pos), (V{2, 2, 2, 0, 0}));
  EXPECT_EQ(run_float(spec(Method::BURST, 1, 2), 1, neg), (V{0, 0, 0, 0, 2}));
  EXPECT_EQ(run_float(spec(Method::SNM), 1, pos), (V{1, 1, 1, 1, -1}));
  EXPECT_EQ(run_float(spec(Method::SNM), 1, neg), (V{0, 0, 0, 0, 1}));
  EXPECT_EQ(run_float(spec(Method::SDM, 1, 1), 1, pos), (V{1, 1, 1, 1, -1}));
  EXPECT_EQ(run_float(spec(Method::SDM, 1, 1), 1, neg), (V{0, 0, 0, 0, 1}));
  EXPECT_EQ(run_float(spec(Method::SDM, 1, 2), 1, pos), (V{2, 2, 2, -1, -1}));
  EXPECT_EQ(run_float(spec(Method::SDM, 1, 2), 1, neg), (V{0, 0, 0, 0, 2}));
}

TEST(Neuron, RandomSequencesMatchSpecReference) {
  std::mt19937_64 rng(7);
  auto u = [&](double a, double b) { return a + (b - a) * double(rng() >> 11) / double(1ull << 53); };
  for (Method m : {Method::IF, Method::OPT, Method::RTS, Method::BURST, Method::SNM, Method::SDM})
    for (int trial = 0; trial < 2000; ++trial) {
      const int T = 1 + int(rng() % 40);
      const double lambda = u(0.1, 3.0), alpha = u(0.05, 1.0);
      const int beta = 1 + int(rng() % 6);
      const bool dual = rng() & 1;
      std::vector<double> I(T);
      for (double& c : I) c = u(-1.5, 2.0) * lambda;
      NeuronSpec s = spec(m, alpha, beta, dual);
      ASSERT_EQ(run_float(s, lambda, I), reference(m, lambda, alpha, beta, dual, I))
          << method_name(m) << " trial " << trial;
    }
}

TEST(Neuron, CliMatchesSpecReference) {
  std::mt19937_64 rng(11);
  for (const char* m : {"if", "opt", "rts", "burst", "snm", "sdm"})
    for (int trial = 0; trial < 5; ++trial) {
      std::vector<double> I;
      std::string cs;
      for (int t = 0; t < 12; ++t) {
        double c = double(int(rng() % 41) - 15) / 10.0;
        I.push_back(c);
        cs += (t ? "," : "") + std::to_string(c);
      }
      int rc = 0;
      std::string out = run_cmd(std::string(SDM_CLI) + " neuron --method " + m +
                                    " --lambda 1.5 --alpha 0.5 --beta 3 --currents " + cs, &rc);
      ASSERT_EQ(rc, 0) << out;
      auto j = nlohmann::json::parse(out);
      Method mm = parse_method(m);
      EXPECT_EQ(j["spikes"].get<std::vector<int>>(), reference(mm, 1.5, 0.5, 3, true, I)) << m;
      ASSERT_EQ(j["output"].size(), I.size());
      ASSERT_EQ(j["v"].size(), I.size());
    }
}

TEST(Neuron, CliRejectsBadValues) {
  int rc = 0;
  for (std::string args : {"--alpha 0 --currents 1", "--beta 0 --currents 1", "--currents ''",
                           "--method foo --currents 1", "--lambda -1 --currents 1",
                           "--alpha 1.5 --currents 1", "--currents 1,x"}) {
    std::string out = run_cmd(std::string(SDM_CLI) + " neuron " + args + " 2>&1", &rc);
    EXPECT_NE(rc, 0) << args;
    EXPECT_EQ(std::count(out.begin(), out.end(), '\n'), 1) << args << ": " << out;
  }
}

// With theta = 2^F and integer currents the float rule is exact, so the integer rule
// (without saturation) must give identical spikes.
TEST(Neuron, IntegerEqualsFloatWhenExact) {
  std::mt19937_64 rng(3);
  for (Method m : {Method::IF, Method::OPT, Method::BURST, Method::SDM})
    for (int trial = 0; trial < 3000; ++trial) {
      const int F = 1 + int(rng() % 8), T = 1 + int(rng() % 32), beta = 1 + int(rng() % 5);
      const bool dual = rng() & 1;
      NeuronSpec s = spec(m, 1.0, beta, dual);
      IntRule r{F, s.max_burst(), m == Method::SDM && dual, s.init_half(), 40};
      FloatRule fr = FloatRule::make(s, std::ldexp(1.0, F), T);
      FloatNeuron fs = fr.init();
      int64_t v = r.v0(), M = 0;
      uint64_t sat = 0;
      for (int t = 0; t < T; ++t) {
        const int64_t I = int64_t(rng() % (8u << F)) - (3 << F);
        ASSERT_EQ(r.step(v, M, I, sat), fr.step(fs, double(I))) << method_name(m) << " t=" << t;
        ASSERT_EQ(double(v), fs.v);
      }
      ASSERT_EQ(sat, 0u);
    }
}

TEST(Neuron, IntegerSaturatesAndCounts) {
  IntRule r{2, 1, true, true, 8};  // v in [-128, 127]
  int64_t v = r.v0(), M = 0;
  uint64_t sat = 0;
  r.step(v, M, 1000, sat);
  EXPECT_GE(sat, 1u);
  EXPECT_EQ(M, 127);
  EXPECT_EQ(v, 127 - 4);  // saturated, then one spike of 2^2 removed
}

// Mean output converges to clip(mean current, 0, lambda) for every method as T grows.
TEST(Neuron, MeanOutputConvergesToAnnActivation) {
  std::mt19937_64 rng(5);
  auto u = [&](double a, double b) { return a + (b - a) * double(rng() >> 11) / double(1ull << 53); };
  for (Method m : {Method::IF, Method::OPT, Method::RTS, Method::BURST, Method::SNM, Method::SDM})
    for (int trial = 0; trial < 50; ++trial) {
      // Inputs up to lambda: above it a burst neuron with theta = lambda (beta = 2) passes
      // more than the ANN's clip, which is that baseline's known clipping behaviour.
      const double lambda = u(0.5, 2.0), a = u(-0.3, 1.0) * lambda;
      const int T = 4000;
      std::vector<double> I(T, a);
      NeuronSpec s = spec(m, m == Method::SDM ? 0.5 : 1.0, 2, true);
      FloatRule r = FloatRule::make(s, lambda, T);
      FloatNeuron st = r.init();
      double sum = 0;
      for (double c : I) sum += r.step(st, c) * r.theta;
      const double expect = std::min(std::max(a, 0.0), lambda);
      EXPECT_NEAR(sum / T, expect, 2.0 * lambda / T + 1e-9) << method_name(m) << " a=" << a;
    }
}
