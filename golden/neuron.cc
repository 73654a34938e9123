#include "golden/neuron.h"

#include <fmt/core.h>

#include "golden/error.h"

namespace sdm {

Method parse_method(const std::string& name) {
  if (name == "if") return Method::IF;
  if (name == "opt") return Method::OPT;
  if (name == "rts") return Method::RTS;
  if (name == "burst") return Method::BURST;
  if (name == "snm") return Method::SNM;
  if (name == "sdm") return Method::SDM;
  throw Error(fmt::format("unknown method '{}' (expected if, opt, rts, burst, snm, sdm)", name));
}

const char* method_name(Method m) {
  switch (m) {
    case Method::IF: return "if";
    case Method::OPT: return "opt";
    case Method::RTS: return "rts";
    case Method::BURST: return "burst";
    case Method::SNM: return "snm";
    case Method::SDM: return "sdm";
  }
  return "?";
}

void NeuronSpec::validate() const {
  if (!(alpha > 0.0 && alpha <= 1.0))
    throw Error(fmt::format("alpha = {} is outside (0, 1]", alpha));
  if (beta < 1) throw Error(fmt::format("beta = {} must be >= 1", beta));
  if (beta > 64) throw Error(fmt::format("beta = {} is larger than the supported 64", beta));
}

std::string NeuronSpec::label() const {
  switch (method) {
    case Method::SDM:
      return fmt::format("sdm(a={},b={},{})", alpha, beta, dual ? "dual" : "nodual");
    case Method::BURST: return fmt::format("burst(b={})", beta);
    default: return method_name(method);
  }
}

}  // namespace sdm
