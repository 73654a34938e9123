// Subcommand registry: each cmd_*.cc adds its subcommands to the CLI11 app through a
// static SDM_REGISTER_COMMAND, so main.cc never lists them and files stay independent.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

namespace sdm::cli {

using Registrar = std::function<void(CLI::App&)>;

struct CommandEntry {
  int order;  // position in --help: the flow order data, convert, eval, rtl, cosim, ...
  Registrar fn;
};

std::vector<CommandEntry>& registry();

struct RegisterCommand {
  RegisterCommand(int order, Registrar fn) { registry().push_back({order, std::move(fn)}); }
};

// Writes `text` to `path`, or to stdout when path is "-" or empty; throws sdm::Error.
void write_output(const std::string& path, const std::string& text);

}  // namespace sdm::cli

#define SDM_CAT2(a, b) a##b
#define SDM_CAT(a, b) SDM_CAT2(a, b)
#define SDM_REGISTER_COMMAND(order, fn) \
  static ::sdm::cli::RegisterCommand SDM_CAT(sdm_register_, __LINE__)(order, fn)
