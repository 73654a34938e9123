// sdmforge: one executable, subcommands registered by the cmd_*.cc files (SPEC §11).
#include <algorithm>
#include <cstdio>
#include <iostream>

#include <fmt/core.h>

#include "apps/commands.h"
#include "golden/error.h"
#include "golden/fileio.h"
#include "golden/version.h"

namespace sdm::cli {

std::vector<CommandEntry>& registry() {
  static std::vector<CommandEntry> r;
  return r;
}

void write_output(const std::string& path, const std::string& text) {
  if (path.empty() || path == "-") {
    std::cout << text << std::flush;
    return;
  }
  write_file_atomic(path, text);
}

}  // namespace sdm::cli

int main(int argc, char** argv) {
  CLI::App app{"sdmforge: trained ANN -> SDM spiking network -> verified FPGA accelerator"};
  app.require_subcommand(1);
  app.set_version_flag("--version", std::string("sdmforge ") + sdm::kVersion);
  auto& reg = sdm::cli::registry();
  std::stable_sort(reg.begin(), reg.end(),
                   [](const auto& a, const auto& b) { return a.order < b.order; });
  for (auto& e : reg) e.fn(app);
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {  // one line and status 2, like every other error (docs/cli.md)
    std::fprintf(stderr, "sdmforge: error: %s\n", e.what());
    return 2;
  } catch (const sdm::Error& e) {
    std::fprintf(stderr, "sdmforge: error: %s\n", e.what());
    return 2;
  } catch (const std::bad_alloc&) {
    std::fprintf(stderr, "sdmforge: error: out of memory\n");
    return 2;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "sdmforge: error: %s\n", e.what());
    return 2;
  }
  return 0;
}
