// Minimal host for the board link, same code path as `sdmforge board` (fpga/board_link.h);
// lets the pty co-simulation run while the CLI cannot be built.
//   sdm_board_host --port TTY --clip FILE [--index N] [--baud B] [--timeout-ms T] [--json]
#include <cstdio>
#include <cstdlib>
#include <string>

#include "fpga/board_link.h"

int main(int argc, char** argv) {
  sdm::fpga::BoardRunOptions o;
  bool json = false;
  try {
    for (int i = 1; i < argc; ++i) {
      std::string a = argv[i];
      auto val = [&]() -> std::string {
        if (i + 1 >= argc) throw std::runtime_error(a + " needs a value");
        return argv[++i];
      };
      if (a == "--port") o.port = val();
      else if (a == "--clip") o.clip = val();
      else if (a == "--index") o.index = std::stol(val());
      else if (a == "--baud") o.baud = std::stoi(val());
      else if (a == "--timeout-ms") o.timeout_ms = std::stoi(val());
      else if (a == "--json") json = true;
      else throw std::runtime_error("unknown option '" + a + "'");
    }
    if (o.port.empty() || o.clip.empty()) throw std::runtime_error("--port and --clip are required");
    auto r = sdm::fpga::run_board(o);
    std::fputs(json ? (r.to_json().dump() + "\n").c_str() : r.to_text().c_str(), stdout);
    return 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "sdm_board_host: error: %s\n", e.what());
    return 2;
  }
}
