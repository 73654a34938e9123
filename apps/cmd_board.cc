// `sdmforge board --port TTY --clip FILE`: run one clip on a programmed board over the
// UART link (docs/board-protocol.md) and print class, logits and cycles.
#include <fmt/core.h>

#include "apps/commands.h"
#include "fpga/board_link.h"

namespace {

struct BoardArgs {
  sdm::fpga::BoardRunOptions o;
  bool json = false;
};

void reg(CLI::App& app) {
  auto a = std::make_shared<BoardArgs>();
  auto* sub = app.add_subcommand("board", "run a clip on a programmed board over its UART");
  sub->add_option("--port", a->o.port, "serial port, e.g. /dev/ttyUSB1")->required();
  sub->add_option("--clip", a->o.clip, "clips.npy (uint8, N x C x F x H x W) or a raw .bin clip")
      ->required();
  sub->add_option("--index", a->o.index, "clip index in a .npy")->capture_default_str();
  sub->add_option("--baud", a->o.baud, "baud rate (must match the bitstream)")->capture_default_str();
  sub->add_option("--timeout-ms", a->o.timeout_ms, "reply timeout")->capture_default_str();
  sub->add_flag("--json", a->json, "print JSON instead of text");
  sub->callback([a] {
    auto r = sdm::fpga::run_board(a->o);
    sdm::cli::write_output("-", a->json ? r.to_json().dump() + "\n" : r.to_text());
  });
}

}  // namespace

SDM_REGISTER_COMMAND(70, reg);
