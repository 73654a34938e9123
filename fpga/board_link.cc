#include "fpga/board_link.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <termios.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <fstream>
#include <filesystem>

#include <fmt/core.h>

#include "data/dataset.h"
#include "data/npy.h"
#include "golden/error.h"
#include "golden/fileio.h"

namespace sdm::fpga {

namespace {

void put32(std::vector<uint8_t>& v, uint32_t x) {
  for (int i = 0; i < 4; ++i) v.push_back(static_cast<uint8_t>(x >> (8 * i)));
}
uint32_t get32(const std::vector<uint8_t>& v, size_t at) {
  return uint32_t(v[at]) | uint32_t(v[at + 1]) << 8 | uint32_t(v[at + 2]) << 16 |
         uint32_t(v[at + 3]) << 24;
}
uint8_t sum8(const std::vector<uint8_t>& v, size_t from, size_t to) {
  unsigned s = 0;
  for (size_t i = from; i < to; ++i) s += v[i];
  return static_cast<uint8_t>(s);
}

speed_t baud_constant(int baud) {
  switch (baud) {
    case 9600: return B9600;
    case 19200: return B19200;
    case 38400: return B38400;
    case 57600: return B57600;
    case 115200: return B115200;
    case 230400: return B230400;
    case 460800: return B460800;
    case 500000: return B500000;
    case 576000: return B576000;
    case 921600: return B921600;
    case 1000000: return B1000000;
    case 1500000: return B1500000;
    case 2000000: return B2000000;
    case 3000000: return B3000000;
    default:
      throw Error(fmt::format("baud {} is not a standard rate (9600..3000000, e.g. 115200, 1000000)",
                              baud));
  }
}

std::vector<uint8_t> encode(char type, const std::vector<uint8_t>& payload) {
  std::vector<uint8_t> f = {kSyncHost, static_cast<uint8_t>(type)};
  put32(f, static_cast<uint32_t>(payload.size()));
  f.insert(f.end(), payload.begin(), payload.end());
  f.push_back(sum8(f, 1, f.size()));
  return f;
}

}  // namespace

std::vector<uint8_t> encode_clip_frame(const std::vector<uint8_t>& clip) {
  return encode('C', clip);
}
std::vector<uint8_t> encode_info_request() { return encode('I', {}); }

std::string board_error_name(int code) {
  switch (code) {
    case 1: return "bad checksum";
    case 2: return "bad length";
    case 3: return "unknown frame type";
    case 4: return "line idle in the middle of a frame";
    case 5: return "pixel overrun";
    case 6: return "UART framing error";
    default: return "unknown error";
  }
}

SerialPort::SerialPort(const std::string& path, int baud) : path_(path) {
  speed_t speed = baud_constant(baud);
  fd_ = open(path.c_str(), O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (fd_ < 0) throw Error(fmt::format("cannot open serial port '{}': {}", path, strerror(errno)));
  termios tio{};
  if (tcgetattr(fd_, &tio) != 0) {
    close(fd_);
    throw Error(fmt::format("'{}' is not a serial port: {}", path, strerror(errno)));
  }
  cfmakeraw(&tio);
  tio.c_cflag &= ~(CSTOPB | PARENB | CRTSCTS | CSIZE);
  tio.c_cflag |= CS8 | CLOCAL | CREAD;
  tio.c_cc[VMIN] = 0;
  tio.c_cc[VTIME] = 0;
  cfsetispeed(&tio, speed);
  cfsetospeed(&tio, speed);
  if (tcsetattr(fd_, TCSANOW, &tio) != 0) {
    close(fd_);
    throw Error(fmt::format("cannot configure '{}' for {} baud 8N1: {}", path, baud, strerror(errno)));
  }
  tcflush(fd_, TCIOFLUSH);
}

SerialPort::~SerialPort() {
  if (fd_ >= 0) close(fd_);
}

void SerialPort::write_all(const std::vector<uint8_t>& bytes) {
  size_t done = 0;
  while (done < bytes.size()) {
    ssize_t n = write(fd_, bytes.data() + done, bytes.size() - done);
    if (n < 0) {
      if (errno == EINTR || errno == EAGAIN) continue;
      throw Error(fmt::format("write to '{}' failed: {}", path_, strerror(errno)));
    }
    done += static_cast<size_t>(n);
  }
  tcdrain(fd_);
}

std::vector<uint8_t> SerialPort::read_exact(size_t n, int timeout_ms, const std::string& what) {
  std::vector<uint8_t> out;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  while (out.size() < n) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                    deadline - std::chrono::steady_clock::now()).count();
    if (left <= 0)
      throw Error(fmt::format("timeout after {} ms on '{}' waiting for {} ({} of {} bytes)",
                              timeout_ms, path_, what, out.size(), n));
    pollfd p{fd_, POLLIN, 0};
    int r = poll(&p, 1, static_cast<int>(left));
    if (r < 0 && errno != EINTR)
      throw Error(fmt::format("poll on '{}' failed: {}", path_, strerror(errno)));
    if (r <= 0) continue;
    uint8_t buf[512];
    ssize_t got = read(fd_, buf, std::min(sizeof buf, n - out.size()));
    if (got < 0) {
      if (errno == EINTR || errno == EAGAIN) continue;
      throw Error(fmt::format("read from '{}' failed: {}", path_, strerror(errno)));
    }
    if (got == 0) {  // hang-up or VMIN=0 with nothing: wait a little
      usleep(1000);
      continue;
    }
    out.insert(out.end(), buf, buf + got);
  }
  return out;
}

void SerialPort::drain_input() { tcflush(fd_, TCIFLUSH); }

BoardLink::BoardLink(const std::string& port, int baud, int timeout_ms)
    : port_(port, baud), baud_(baud), timeout_ms_(timeout_ms) {
  if (timeout_ms < 1) throw Error(fmt::format("timeout {} ms must be positive", timeout_ms));
}

std::vector<uint8_t> read_board_frame(const ByteSource& read, char expect, size_t payload_len,
                                      const std::string& port) {
  // Hunt for the sync byte; anything else before it is line noise.
  for (int skipped = 0;; ++skipped) {
    if (skipped > 4096)
      throw Error(fmt::format("no reply frame on '{}' (4096 bytes without sync 0x5A)", port));
    auto b = read(1, fmt::format("the '{}' reply", expect));
    if (b.at(0) == kSyncBoard) break;
  }
  auto t = read(1, "the reply type");
  char type = static_cast<char>(t.at(0));
  if (type == 'E') {
    auto rest = read(2, "the error frame");
    if (static_cast<uint8_t>('E' + rest.at(0)) != rest.at(1))
      throw Error(fmt::format("bad checksum in error frame from '{}'", port));
    throw Error(fmt::format("board reported error {}: {}", rest[0], board_error_name(rest[0])));
  }
  if (type != expect)
    throw Error(fmt::format("bad reply frame from '{}': type 0x{:02x}, expected '{}'", port, t[0],
                            expect));
  auto p = read(payload_len + 1, fmt::format("the '{}' payload", expect));
  if (p.size() != payload_len + 1)
    throw Error(fmt::format("short '{}' payload from '{}'", expect, port));
  std::vector<uint8_t> all = {t[0]};
  all.insert(all.end(), p.begin(), p.end() - 1);
  uint8_t want = sum8(all, 0, all.size());
  if (want != p.back())
    throw Error(fmt::format("bad checksum in '{}' reply from '{}': got 0x{:02x}, computed 0x{:02x}",
                            expect, port, p.back(), want));
  p.pop_back();
  return p;
}

BoardInfo decode_info(const std::vector<uint8_t>& p) {
  if (p.size() != kInfoPayload)
    throw Error(fmt::format("'I' payload has {} bytes, expected {} (protocol 2)", p.size(), kInfoPayload));
  BoardInfo i;
  i.version = p[0];
  i.num_classes = p[1];
  i.class_width = p[2];
  i.logit_width = p[3];
  i.clip_bytes = get32(p, 4);
  i.clk_hz = get32(p, 8);
  i.baud = get32(p, 12);
  i.rx_fifo_bytes = get32(p, 16);
  if (i.version != 2)
    throw Error(fmt::format("board speaks protocol version {}, this host version 2 (rebuild the "
                            "bitstream with this sdmforge)", i.version));
  if (i.num_classes < 1) throw Error("board reports 0 classes");
  return i;
}

size_t result_payload_size(const BoardInfo& info) {
  return 1 + 4 * static_cast<size_t>(info.num_classes) + 4;
}

BoardResult decode_result(const std::vector<uint8_t>& p, const BoardInfo& info) {
  if (p.size() != result_payload_size(info))
    throw Error(fmt::format("'R' payload has {} bytes, expected {}", p.size(), result_payload_size(info)));
  BoardResult r;
  r.cls = p[0];
  for (int k = 0; k < info.num_classes; ++k) r.logits.push_back(static_cast<int32_t>(get32(p, 1 + 4 * k)));
  r.cycles = get32(p, 1 + 4 * size_t(info.num_classes));
  if (r.cls >= info.num_classes)
    throw Error(fmt::format("board returned class {} of {} classes", r.cls, info.num_classes));
  r.accel_seconds = info.clk_hz ? double(r.cycles) / info.clk_hz : 0;
  return r;
}

std::vector<uint8_t> BoardLink::read_frame(char expect, size_t payload_len) {
  ByteSource src = [this](size_t n, const std::string& what) {
    return port_.read_exact(n, timeout_ms_, what);
  };
  return read_board_frame(src, expect, payload_len, port_.path());
}

BoardInfo BoardLink::info() {
  port_.drain_input();
  port_.write_all(encode_info_request());
  info_ = decode_info(read_frame('I', kInfoPayload));
  have_info_ = true;
  return info_;
}

BoardResult BoardLink::run_clip(const std::vector<uint8_t>& clip) {
  if (!have_info_) info();
  if (clip.size() != info_.clip_bytes)
    throw Error(fmt::format("clip has {} bytes but the board expects {}", clip.size(),
                            info_.clip_bytes));
  auto frame = encode_clip_frame(clip);
  const size_t payload = result_payload_size(info_);
  auto t0 = std::chrono::steady_clock::now();
  port_.write_all(frame);
  auto p = read_frame('R', payload);
  const double measured =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  BoardResult r = decode_result(p, info_);
  r.measured_seconds = measured;
  r.uart_seconds = 10.0 * double(frame.size() + payload + 3) / baud_;
  return r;
}

std::vector<BoardResult> BoardLink::run_stream(const std::vector<std::vector<uint8_t>>& clips,
                                              int* outstanding) {
  if (!have_info_) info();
  std::vector<std::vector<uint8_t>> frames;
  for (size_t i = 0; i < clips.size(); ++i) {
    if (clips[i].size() != info_.clip_bytes)
      throw Error(fmt::format("clip {} has {} bytes but the board expects {}", i, clips[i].size(),
                              info_.clip_bytes));
    frames.push_back(encode_clip_frame(clips[i]));
  }
  // Two frames in flight only if the board queues a whole one while it computes.
  const size_t depth = !frames.empty() && info_.rx_fifo_bytes >= frames[0].size() ? 2 : 1;
  if (outstanding) *outstanding = int(depth);
  const size_t payload = result_payload_size(info_);
  std::vector<BoardResult> out;
  size_t sent = 0;
  auto t0 = std::chrono::steady_clock::now();
  while (sent < frames.size() && sent < depth) port_.write_all(frames[sent++]);
  for (size_t i = 0; i < frames.size(); ++i) {
    std::vector<uint8_t> p;
    try {
      p = read_frame('R', payload);
    } catch (const Error& e) {
      throw Error(fmt::format("clip {} of the stream: {}", i, e.what()));
    }
    // The reply is complete, so the board has taken the next queued frame: send one more.
    if (sent < frames.size()) port_.write_all(frames[sent++]);
    BoardResult r = decode_result(p, info_);
    r.measured_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    r.uart_seconds = 10.0 * double(frames[i].size() + payload + 3) / baud_;
    out.push_back(std::move(r));
  }
  return out;
}

std::vector<std::vector<uint8_t>> clips_from_bytes(const std::string& bytes, const std::string& path, long first,
                                                   long count, size_t clip_bytes) {
  const bool is_npy = bytes.size() >= 6 && std::memcmp(bytes.data(), "\x93NUMPY", 6) == 0;
  if (!is_npy) {
    if (first != 0)
      throw Error(fmt::format("--index {} needs a .npy file; '{}' is raw bytes", first, path));
    if (count > 1) throw Error(fmt::format("--clips {} needs a .npy file; '{}' is raw bytes", count, path));
    if (clip_bytes && bytes.size() != clip_bytes)
      throw Error(fmt::format("'{}' has {} bytes, the board expects {}", path, bytes.size(), clip_bytes));
    return {{bytes.begin(), bytes.end()}};
  }
  // The project's one .npy reader, once: header, dtype, order and sizes are checked there.
  npy::NpyArray a = npy::parse(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size(), path);
  if (a.dtype != "u1")
    throw Error(fmt::format("'{}': clips must be uint8 (dtype 'u1'), got '{}'", path, a.dtype));
  if (a.ndim() < 2)
    throw Error(fmt::format("'{}': expected N x clip dims, got shape {}", path, a.shape_str()));
  const int64_t n = a.shape[0];
  if (first < 0 || first >= n)
    throw Error(fmt::format("--index {} out of range: '{}' holds {} clips", first, path, n));
  const long take = count == 0 ? long(n - first) : count;
  if (take < 1 || first + take > n)
    throw Error(fmt::format("--clips {} from --index {}: '{}' holds {} clips", take, first, path, n));
  const size_t per = a.bytes.size() / size_t(n);  // n >= 1 here; the reader checked the size
  if (clip_bytes && per != clip_bytes)
    throw Error(fmt::format("'{}': a clip has {} bytes, the board expects {}", path, per, clip_bytes));
  std::vector<std::vector<uint8_t>> out;
  for (long i = 0; i < take; ++i) {
    auto b = a.bytes.begin() + static_cast<long>(size_t(first + i) * per);
    out.emplace_back(b, b + static_cast<long>(per));
  }
  return out;
}

std::vector<uint8_t> clip_from_bytes(const std::string& bytes, const std::string& path, long index,
                                     size_t clip_bytes) {
  return std::move(clips_from_bytes(bytes, path, index, 1, clip_bytes).front());
}

std::vector<uint8_t> load_clip(const std::string& path, long index, size_t clip_bytes) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec))
    throw Error(fmt::format("cannot read clip file '{}'", path));
  return clip_from_bytes(read_file_checked(path, "", "clip file"), path, index, clip_bytes);
}

BoardRun run_board(const BoardRunOptions& o) {
  BoardLink link(o.port, o.baud, o.timeout_ms);
  BoardRun r;
  r.info = link.info();
  auto clip = load_clip(o.clip, o.index, r.info.clip_bytes);
  r.result = link.run_clip(clip);
  return r;
}

BoardStream run_board_stream(const BoardStreamOptions& o) {
  if (o.first < 0) throw Error(fmt::format("--index {} must be >= 0", o.first));
  if (o.count < 0) throw Error(fmt::format("--clips {} must be >= 0 (0: all)", o.count));
  std::string path = o.clips;
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) path = resolve_split_dir(path) + "/clips.npy";
  if (!std::filesystem::is_regular_file(path, ec))
    throw Error(fmt::format("cannot read clips '{}' (a clips.npy or a data split folder)", o.clips));
  const std::string bytes = read_file_checked(path, "", "clip file");
  BoardLink link(o.port, o.baud, o.timeout_ms);
  BoardStream r;
  r.info = link.info();
  const auto clips = clips_from_bytes(bytes, path, o.first, o.count, r.info.clip_bytes);
  r.frame_bytes = encode_clip_frame(clips.at(0)).size();
  r.results = link.run_stream(clips, &r.outstanding);
  r.measured_seconds = r.results.back().measured_seconds;
  return r;
}

double BoardStream::measured_cps() const {
  return measured_seconds > 0 ? double(results.size()) / measured_seconds : 0;
}
double BoardStream::compute_cps() const {
  double cycles = 0;
  for (const auto& x : results) cycles += x.cycles;
  return cycles > 0 ? double(info.clk_hz) * double(results.size()) / cycles : 0;
}
double BoardStream::link_cps() const {
  return frame_bytes ? double(info.baud) / (10.0 * double(frame_bytes)) : 0;
}

nlohmann::json BoardStream::to_json() const {
  nlohmann::json rs = nlohmann::json::array();
  for (const auto& x : results) rs.push_back({{"class", x.cls}, {"logits", x.logits}, {"cycles", x.cycles}});
  const double bound = std::min(compute_cps(), link_cps());
  return {{"clips", results.size()},
          {"results", rs},
          {"clk_hz", info.clk_hz},
          {"baud", info.baud},
          {"clip_bytes", info.clip_bytes},
          {"rx_fifo_bytes", info.rx_fifo_bytes},
          {"outstanding", outstanding},
          {"measured_s", measured_seconds},
          {"measured_clips_per_s", measured_cps()},
          {"compute_clips_per_s", compute_cps()},
          {"link_clips_per_s", link_cps()},
          {"fraction_of_bound", bound > 0 ? measured_cps() / bound : 0.0}};
}

std::string BoardStream::to_text() const {
  const double bound = std::min(compute_cps(), link_cps());
  return fmt::format(
      "{} clips streamed, {} frame(s) in flight (board FIFO {} bytes)\nmeasured {:.2f} clips/s end "
      "to end; compute alone {:.2f}, link alone {:.2f} -> {:.0f} % of the bound\n",
      results.size(), outstanding, info.rx_fifo_bytes, measured_cps(), compute_cps(), link_cps(),
      bound > 0 ? 100.0 * measured_cps() / bound : 0.0);
}

nlohmann::json BoardRun::to_json() const {
  return {{"class", result.cls},
          {"logits", result.logits},
          {"cycles", result.cycles},
          {"clk_hz", info.clk_hz},
          {"baud", info.baud},
          {"clip_bytes", info.clip_bytes},
          {"accel_latency_s", result.accel_seconds},
          {"uart_transfer_s", result.uart_seconds},
          {"measured_s", result.measured_seconds}};
}

std::string BoardRun::to_text() const {
  std::string logits;
  for (auto l : result.logits) logits += (logits.empty() ? "" : " ") + std::to_string(l);
  return fmt::format(
      "class   {}\nlogits  {}\ncycles  {} = {:.3f} ms at {:.3f} MHz\nuart    {:.3f} ms for {} clip "
      "bytes + reply at {} baud\nmeasured {:.3f} ms round trip\n",
      result.cls, logits, result.cycles, result.accel_seconds * 1e3, info.clk_hz / 1e6,
      result.uart_seconds * 1e3, info.clip_bytes, info.baud, result.measured_seconds * 1e3);
}

}  // namespace sdm::fpga
