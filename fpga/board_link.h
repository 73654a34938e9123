// Host side of the board UART link (framing: docs/board-protocol.md). Used by
// `sdmforge board` and by the pty co-simulation test.
//
//   host -> board  A5 'C' len32 <clip bytes> sum8      load a clip and run it
//                  A5 'I' 00000000 sum8                 ask for the board's parameters
//   board -> host  5A 'R' class8 logit32 x K cycles32 sum8
//                  5A 'I' ver K class_w logit_w clip_bytes32 clk_hz32 baud32 rx_fifo32 sum8
//                  5A 'E' code8 sum8
// Multi-byte fields little-endian; sum8 = sum of the bytes after the sync byte, mod 256.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace sdm::fpga {

constexpr uint8_t kSyncHost = 0xA5, kSyncBoard = 0x5A;

std::vector<uint8_t> encode_clip_frame(const std::vector<uint8_t>& clip);
std::vector<uint8_t> encode_info_request();
std::string board_error_name(int code);  // "bad checksum", ...

struct BoardInfo {
  int version = 0, num_classes = 0, class_width = 0, logit_width = 0;
  uint32_t clip_bytes = 0, clk_hz = 0, baud = 0;
  uint32_t rx_fifo_bytes = 0;  // bytes the board queues during a run (0: none; protocol 2)
};

struct BoardResult {
  int cls = 0;
  std::vector<int32_t> logits;
  uint32_t cycles = 0;
  double accel_seconds = 0;    // cycles at the board's design clock
  double uart_seconds = 0;     // clip + reply frames at the line rate (10 bits per byte)
  double measured_seconds = 0; // wall time from sending the clip to the verified reply
};

// Reads exactly n bytes or throws sdm::Error (what = context for the message).
using ByteSource = std::function<std::vector<uint8_t>(size_t n, const std::string& what)>;

// The board -> host frame parser, independent of the port so it can be fuzzed: hunts for
// the sync byte (at most 4096 bytes of line noise), checks the type ('E' frames become
// "board reported error N: ..."), reads payload_len bytes and the checksum. Returns the
// payload. `port` names the source in messages.
std::vector<uint8_t> read_board_frame(const ByteSource& read, char expect_type,
                                      size_t payload_len, const std::string& port);
constexpr size_t kInfoPayload = 20;  // protocol version 2
// Decode an 'I' payload (kInfoPayload bytes) / an 'R' payload (1 + 4K + 4 bytes for K = info's
// classes), checking protocol version, class count and class index.
BoardInfo decode_info(const std::vector<uint8_t>& payload);
size_t result_payload_size(const BoardInfo& info);
BoardResult decode_result(const std::vector<uint8_t>& payload, const BoardInfo& info);

// A serial port in raw 8N1 mode (termios). Errors are sdm::Error naming the port.
class SerialPort {
 public:
  SerialPort(const std::string& path, int baud);
  ~SerialPort();
  SerialPort(const SerialPort&) = delete;
  SerialPort& operator=(const SerialPort&) = delete;
  void write_all(const std::vector<uint8_t>& bytes);
  // Reads exactly n bytes or throws "timeout after N ms waiting for ..." (what = context).
  std::vector<uint8_t> read_exact(size_t n, int timeout_ms, const std::string& what);
  void drain_input();
  const std::string& path() const { return path_; }

 private:
  std::string path_;
  int fd_ = -1;
};

class BoardLink {
 public:
  BoardLink(const std::string& port, int baud, int timeout_ms = 5000);
  BoardInfo info();                                  // sends an 'I' request
  BoardResult run_clip(const std::vector<uint8_t>& clip);  // asks info() first if needed
  // Runs every clip in order and returns their results. When the board's receive FIFO holds
  // a whole clip frame, the next frame is sent while the current clip computes (two frames
  // outstanding); otherwise one at a time. Throws naming the clip index on any bad reply.
  std::vector<BoardResult> run_stream(const std::vector<std::vector<uint8_t>>& clips,
                                      int* outstanding = nullptr);

 private:
  std::vector<uint8_t> read_frame(char expect_type, size_t payload_len);  // read_board_frame
  SerialPort port_;
  int baud_, timeout_ms_;
  BoardInfo info_;
  bool have_info_ = false;
};

// A clip from FILE: a .npy of uint8 clips (N x ...; picks `index`; read by the project's
// one .npy reader, data/npy.h) or a raw .bin of exactly clip_bytes bytes (clip_bytes 0 =
// any length). Errors name the file and value.
std::vector<uint8_t> load_clip(const std::string& path, long index, size_t clip_bytes);
// The same from the file's bytes (what load_clip does after reading; fuzzed).
std::vector<uint8_t> clip_from_bytes(const std::string& bytes, const std::string& path, long index,
                                     size_t clip_bytes);
// `count` clips from `first` (0: all from first) of the same bytes, parsed once.
std::vector<std::vector<uint8_t>> clips_from_bytes(const std::string& bytes, const std::string& path, long first,
                                                   long count, size_t clip_bytes);

// What `sdmforge board` does: ask the board for its parameters, load the clip (checking
// its size against the board's), run it, verify the reply.
struct BoardRunOptions {
  std::string port, clip;
  long index = 0;
  int baud = 3000000;  // synth's default
  int timeout_ms = 5000;
};
struct BoardRun {
  BoardInfo info;
  BoardResult result;
  nlohmann::json to_json() const;  // class, logits, cycles, latencies, board parameters
  std::string to_text() const;     // a few human lines
};
BoardRun run_board(const BoardRunOptions& o);

// What `sdmforge board --stream` does: `count` clips (0: all) from clip `first` of a .npy
// (or a data split folder holding clips.npy), streamed (BoardLink::run_stream).
struct BoardStreamOptions {
  std::string port, clips;
  long first = 0, count = 0;
  int baud = 3000000;
  int timeout_ms = 5000;
};
struct BoardStream {
  BoardInfo info;
  std::vector<BoardResult> results;
  int outstanding = 1;          // clip frames in flight (2: the next one streams in during a run)
  size_t frame_bytes = 0;       // one clip frame on the line
  double measured_seconds = 0;  // wall time, first byte sent to last reply verified
  // clips/s: measured end to end; compute only (board clock / mean cycles); link only
  // (line rate / clip frame bits, the reply travels on the other wire)
  double measured_cps() const;
  double compute_cps() const;
  double link_cps() const;
  nlohmann::json to_json() const;
  std::string to_text() const;
};
BoardStream run_board_stream(const BoardStreamOptions& o);

}  // namespace sdm::fpga
