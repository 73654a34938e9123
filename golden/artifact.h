// Converted-SNN artifact NET.sdm (docs/artifact-format.md). Round-trips exactly; a
// corrupt, truncated, wrong-magic or wrong-version file throws a one-line sdm::Error.
#pragma once

#include <string>

#include "golden/config.h"
#include "golden/ir.h"
#include "golden/qnet.h"

namespace sdm {

constexpr unsigned kArtifactVersion = 1;

struct Artifact {
  Config cfg;
  Graph graph;        // float weights and lambda: eval re-quantizes from these
  bool has_qnet = false;  // false for float-only methods (rts, snm)
  QNet qnet;          // the one quantized configuration of cfg
};

Artifact make_artifact(const Graph& g, const Config& cfg);
std::string serialize_artifact(const Artifact& a);
Artifact parse_artifact(const std::string& bytes, const std::string& label);
void save_artifact(const Artifact& a, const std::string& path);
Artifact load_artifact(const std::string& path);

}  // namespace sdm
