// `sdmforge board --port TTY --clip FILE`: run one clip on a programmed board over the
// UART link (docs/board-protocol.md) and print class, logits and cycles.
// `sdmforge board --port TTY --stream CLIPS [--clips N]`: stream N clips (the next frame is
// sent while the current clip computes when the bitstream has a receive FIFO) and print
// every result with the end-to-end clips/s next to the compute and link bounds.
#include <fmt/core.h>

#include "apps/commands.h"
#include "fpga/board_link.h"
#include "golden/error.h"

namespace {

struct BoardArgs {
  sdm::fpga::BoardRunOptions o;
  std::string stream;
  long count = 0;
  bool json = false;
};

void reg(CLI::App& app) {
  auto a = std::make_shared<BoardArgs>();
  auto* sub = app.add_subcommand("board", "run a clip on a programmed board over its UART");
  sub->add_option("--port", a->o.port, "serial port, e.g. /dev/ttyUSB1")->required();
  auto* clip = sub->add_option("--clip", a->o.clip, "clips.npy (uint8, N x C x F x H x W) or a raw .bin clip");
  auto* stream = sub->add_option("--stream", a->stream,
                                 "stream clips from a clips.npy or a data split folder (next frame "
                                 "sent during the current run when the board has a receive FIFO)");
  clip->excludes(stream);
  sub->add_option("--clips", a->count, "with --stream: how many clips (0: all from --index)")
      ->capture_default_str()
      ->needs(stream);
  sub->add_option("--index", a->o.index, "clip index in a .npy (with --stream: the first)")
      ->capture_default_str();
  sub->add_option("--baud", a->o.baud, "baud rate (must match the bitstream)")->capture_default_str();
  sub->add_option("--timeout-ms", a->o.timeout_ms, "reply timeout")->capture_default_str();
  sub->add_flag("--json", a->json, "print JSON instead of text");
  sub->callback([a] {
    if (a->stream.empty() && a->o.clip.empty())
      throw sdm::Error("board needs --clip FILE or --stream CLIPS");
    if (!a->stream.empty()) {
      sdm::fpga::BoardStreamOptions s;
      s.port = a->o.port;
      s.clips = a->stream;
      s.first = a->o.index;
      s.count = a->count;
      s.baud = a->o.baud;
      s.timeout_ms = a->o.timeout_ms;
      auto r = sdm::fpga::run_board_stream(s);
      sdm::cli::write_output("-", a->json ? r.to_json().dump() + "\n" : r.to_text());
      return;
    }
    auto r = sdm::fpga::run_board(a->o);
    sdm::cli::write_output("-", a->json ? r.to_json().dump() + "\n" : r.to_text());
  });
}

}  // namespace

SDM_REGISTER_COMMAND(70, reg);
