// The one exception type of sdmforge: its message is a single line naming the bad value,
// file or node. The CLI prints it as "sdmforge: error: <message>" and exits 2.
#pragma once

#include <stdexcept>
#include <string>

namespace sdm {

struct Error : std::runtime_error {
  explicit Error(const std::string& msg) : std::runtime_error(msg) {}
};

}  // namespace sdm
