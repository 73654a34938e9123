#include "golden/fileio.h"

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <fmt/core.h>

#include "golden/error.h"

namespace fs = std::filesystem;

namespace sdm {

namespace {
bool same_file(const std::string& a, const std::string& b) {
  std::error_code ec;
  if (fs::exists(a, ec) && fs::exists(b, ec)) return fs::equivalent(a, b, ec);
  const fs::path ca = fs::weakly_canonical(a, ec), cb = fs::weakly_canonical(b, ec);
  return !ec && ca == cb;
}
}  // namespace

void check_outputs_not_inputs(const std::vector<std::string>& inputs,
                              const std::vector<std::string>& outputs) {
  for (size_t k = 0; k < outputs.size(); ++k) {
    const std::string& o = outputs[k];
    if (o.empty() || o == "-") continue;
    std::error_code ec;
    if (fs::is_directory(o, ec))  // found before anything is written, not when the file is renamed in
      throw Error(fmt::format("output '{}' is a folder; name a file", o));
    for (const std::string& i : inputs)
      if (!i.empty() && same_file(o, i))
        throw Error(fmt::format("output '{}' is the input '{}'; choose another output path", o, i));
    // two outputs on one path: the later write would replace the earlier (e.g. --json
    // naming one of the design's own files)
    for (size_t j = 0; j < k; ++j)
      if (!outputs[j].empty() && outputs[j] != "-" && same_file(o, outputs[j]))
        throw Error(fmt::format("output '{}' is named twice among the files this command writes; choose another output path", o));
  }
}

std::string read_file_bytes(const std::string& path) { return read_file_checked(path, "", "file"); }

}  // namespace sdm
