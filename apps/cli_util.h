// Small helpers shared by the subcommands.
#pragma once

#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <vector>

#include <fmt/core.h>

#include "data/dataset.h"
#include "golden/error.h"
#include "golden/eval.h"
#include "golden/fileio.h"

namespace sdm::cli {

inline bool ends_with(const std::string& s, const std::string& suf) {
  return s.size() >= suf.size() && s.compare(s.size() - suf.size(), suf.size(), suf) == 0;
}

// "a,b,,c" -> {"a", "b", "c"} (empty items are skipped).
inline std::vector<std::string> split(const std::string& s) {
  std::vector<std::string> r;
  size_t a = 0;
  while (a <= s.size()) {
    size_t b = s.find(',', a);
    if (b == std::string::npos) b = s.size();
    if (b > a) r.push_back(s.substr(a, b - a));
    a = b + 1;
  }
  return r;
}

// A comma list of numbers; a bad item is a one-line sdm::Error naming `what` and the item.
template <class T>
std::vector<T> split_num(const std::string& s, const char* what) {
  std::vector<T> r;
  for (const auto& p : split(s)) {
    double v = 0;
    bool ok = true;
    try {
      size_t used = 0;
      v = std::stod(p, &used);
      ok = used == p.size();
    } catch (const std::exception&) {
      ok = false;
    }
    if (ok && std::is_integral<T>::value && v != std::floor(v)) ok = false;
    if (!ok) {
      if (std::is_integral<T>::value) throw Error(fmt::format("{} '{}' is not an integer", what, p));
      throw Error(fmt::format("{} value '{}' is not a number", what, p));
    }
    // the cast of a value T cannot hold is undefined: "1e20" must not become INT_MIN
    if (!std::isfinite(v) || v < double(std::numeric_limits<T>::lowest()) ||
        v > double(std::numeric_limits<T>::max()))
      throw Error(fmt::format("{} = {} is out of range", what, p));
    r.push_back(T(v));
  }
  return r;
}

// The files a --data folder is read from (clips, labels, classes.json): inputs that no
// output path may name (check_outputs_not_inputs). A folder that is not a data folder
// yields just itself; loading it reports the problem.
inline std::vector<std::string> data_inputs(const std::string& dir) {
  try {
    const std::string s = resolve_split_dir(dir);
    return {s + "/clips.npy", s + "/labels.npy", s + "/classes.json", s + "/../classes.json"};
  } catch (const Error&) {
    return {dir};
  }
}

// A command reading a model and a --data folder: no output may name one of its inputs.
inline void check_model_data_outputs(const std::string& model, const std::string& data,
                                     const std::vector<std::string>& outputs) {
  std::vector<std::string> inputs = data_inputs(data);
  inputs.push_back(model);
  check_outputs_not_inputs(inputs, outputs);
}

// --freq: "auto" -> 0, else a positive number of MHz; anything else is a one-line error.
inline double parse_freq(const std::string& s) {
  if (s == "auto") return 0;
  try {
    size_t used = 0;
    double v = std::stod(s, &used);
    if (used == s.size() && v > 0 && std::isfinite(v)) return v;
  } catch (const std::exception&) {
  }
  throw Error(fmt::format("--freq '{}' is neither auto nor a positive number of MHz", s));
}

// The golden model's view of a loaded data split (no copy of the clips).
inline ClipSet clip_set(const Dataset& d) {
  ClipSet cs;
  cs.data = d.clips.data();
  cs.n = long(d.size());
  cs.clip_size = long(d.clip_size());
  cs.shape = d.clip_shape;
  cs.labels = d.labels;
  return cs;
}

}  // namespace sdm::cli
