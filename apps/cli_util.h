// Small helpers shared by the subcommands.
#pragma once

#include <string>

#include "data/dataset.h"
#include "golden/eval.h"

namespace sdm::cli {

inline bool ends_with(const std::string& s, const std::string& suf) {
  return s.size() >= suf.size() && s.compare(s.size() - suf.size(), suf.size(), suf) == 0;
}

// The golden model's view of a loaded data split (no copy of the clips).
inline ClipSet clip_set(const Dataset& d) {
  ClipSet cs;
  cs.data = d.clips.data();
  cs.n = long(d.size());
  cs.clip_size = long(d.clip_size());
  cs.labels = d.labels;
  return cs;
}

}  // namespace sdm::cli
