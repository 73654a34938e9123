// Neuron rules of SPEC §2 (float) and §3 (integer). The golden model's one source of
// truth for spike generation: the float simulator, the integer simulator, the `neuron`
// CLI and the RTL unit benches all call these functions.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <string>

namespace sdm {

enum class Method { IF, OPT, RTS, BURST, SNM, SDM };

Method parse_method(const std::string& name);  // throws sdm::Error naming the value
const char* method_name(Method m);

// Everything that selects a neuron rule. Baselines ignore alpha/dual; beta is used by
// `burst` and `sdm` only. `dual` and alpha/beta are the SDM ablation switches (Table II).
struct NeuronSpec {
  Method method = Method::SDM;
  double alpha = 1.0;  // threshold scale, (0, 1]
  int beta = 1;        // max burst spikes per step, >= 1
  bool dual = true;    // SDM negative branch with input memory M

  // Throws sdm::Error with a one-line message naming the bad value.
  void validate() const;
  // Threshold as a fraction of lambda: alpha for sdm, 1 otherwise.
  double theta_scale() const { return method == Method::SDM ? alpha : 1.0; }
  bool init_half() const { return method == Method::OPT || method == Method::SDM; }
  int max_burst() const {
    return (method == Method::BURST || method == Method::SDM) ? beta : 1;
  }
  bool has_integer_mode() const {
    return method == Method::IF || method == Method::OPT || method == Method::BURST ||
           method == Method::SDM;
  }
  std::string label() const;  // e.g. "sdm(a=0.2,b=5,dual)"
};

// Float state of one neuron. `mem` is the SDM input memory M or the SNM output memory.
struct FloatNeuron {
  double v = 0, mem = 0;
};

// Rule constants resolved once per layer.
struct FloatRule {
  Method method;
  double theta;
  int beta;        // burst cap (1 for non-burst methods)
  bool dual;       // sdm negative branch
  double shift;    // rts: theta / (2T) added to the input every step
  double v0;

  static FloatRule make(const NeuronSpec& s, double lambda, int T) {
    FloatRule r;
    r.method = s.method;
    r.theta = lambda * s.theta_scale();
    r.beta = s.max_burst();
    r.dual = s.method == Method::SDM && s.dual;
    r.shift = s.method == Method::RTS ? r.theta / (2.0 * T) : 0.0;
    r.v0 = s.init_half() ? r.theta / 2 : 0.0;
    return r;
  }
  FloatNeuron init() const { return FloatNeuron{v0, 0.0}; }

  // One time-step: integrate current I, return signed spike count n (output = n*theta).
  int step(FloatNeuron& s, double I) const {
    s.v += I + shift;
    if (method == Method::SDM) s.mem += I;  // M is the sum of inputs, not outputs
    int n = 0;
    if (s.v >= theta) {
      double q = std::floor(s.v / theta);
      n = q >= beta ? beta : static_cast<int>(q);
    } else if (s.v <= -theta) {
      if (method == Method::SDM && dual && s.mem > 0) n = -1;
      if (method == Method::SNM && s.mem > 0) n = -1;
    }
    if (method == Method::SNM) s.mem += n;  // SNM: memory of emitted spikes
    s.v -= n * theta;
    return n;
  }
};

// Integer neuron of docs/number-format.md: threshold 2^F, potential and memory are
// signed integers of `pbits` bits that saturate.
struct IntRule {
  int F;           // threshold = 2^F
  int beta;        // burst cap
  bool dual;       // negative branch with input memory
  bool init_half;  // v(0) = 2^(F-1)
  int pbits;       // width of v and M (two's complement)

  int64_t vmax() const { return (int64_t{1} << (pbits - 1)) - 1; }
  int64_t vmin() const { return -(int64_t{1} << (pbits - 1)); }
  int64_t v0() const { return init_half && F > 0 ? (int64_t{1} << (F - 1)) : 0; }

  // Saturating add; `sat` counts events.
  int64_t sat_add(int64_t a, int64_t b, uint64_t& sat) const {
    int64_t r = a + b;
    if (r > vmax()) { ++sat; return vmax(); }
    if (r < vmin()) { ++sat; return vmin(); }
    return r;
  }
  // One time-step. I is the integer input current in units of 2^-F thresholds.
  int step(int64_t& v, int64_t& m, int64_t I, uint64_t& sat) const {
    v = sat_add(v, I, sat);
    m = sat_add(m, I, sat);
    const int64_t th = int64_t{1} << F;
    int n = 0;
    if (v >= th) {
      int64_t q = v >> F;
      n = q >= beta ? beta : static_cast<int>(q);
    } else if (dual && v <= -th && m > 0) {
      n = -1;
    }
    v -= static_cast<int64_t>(n) * th;  // cannot overflow: |n*th| <= |v| side
    return n;
  }
};

}  // namespace sdm
