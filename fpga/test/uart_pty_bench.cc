// Co-simulation of the board top (rtl/board_top.v + the fixture accelerator) with its UART
// pins bridged to a pseudo-terminal: bytes a host writes to the pty slave are serialised
// onto uart_rx_i bit by bit, and uart_tx_o is sampled at the baud rate and written back.
//
//   fpga_uart_pty_bench --fixture DIR -- HOST ARGS...   runs HOST (@PORT@ = pty path,
//       @CLIP@ = a random clip file), expects JSON {class, logits, cycles} on its stdout,
//       and compares it with the fixture's expected answer.
//   fpga_uart_pty_bench --fixture DIR --protocol-errors  drives bad frames (checksum,
//       length, type, truncated) and checks the error replies and that a good clip after
//       each one still gets the right answer.
//   fpga_uart_pty_bench --net NET.sdm --design DIR --data SPLIT --clips N -- HOST ARGS...
//       (bench built with SDM_PTY_REAL: the board top around a GENERATED accelerator)
//       runs HOST once per clip (@INDEX@ = clip index, @CLIP@ = SPLIT/clips.npy) and
//       compares class, logits and cycles with the golden integer model (IntSnn) and the
//       cycle model in DIR/signature.json (predicted_cycles.per_clip).
//   ... --stream --clk-hz HZ --clks-per-bit K -- HOST ARGS...   runs HOST once for all N
//       clips (`sdmforge board --stream @CLIP@ --clips N --json`), checks every result the
//       same way, and reports end-to-end clips/s in simulated time (HZ = the verilated
//       CLK_HZ, K = CLK_HZ / BAUD) next to the compute-only and link-only bounds, and how
//       many bytes reached uart_rx_i while the accelerator was busy (streaming overlap).
//       Fails below 90 % of min(compute, link).
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <deque>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "Vboard_top.h"
#include "fpga/board_link.h"
#include "fpga/fixture.h"
#include "verilated.h"
#ifdef SDM_PTY_REAL
#include <fstream>

#include "data/dataset.h"
#include "golden/artifact.h"
#include "golden/snn_int.h"
#endif

namespace {

int kClksPerBit = 8;  // CLK_HZ / BAUD of the verilated model (--clks-per-bit)

struct Bench {
  std::unique_ptr<VerilatedContext> ctx = std::make_unique<VerilatedContext>();
  std::unique_ptr<Vboard_top> top = std::make_unique<Vboard_top>(ctx.get());
  std::deque<uint8_t> to_board;   // bytes waiting to be serialised onto uart_rx_i
  std::vector<uint8_t> from_board;
  uint64_t cycle = 0;
  // rx serialiser
  int rx_bit = -1, rx_cnt = 0;
  uint8_t rx_byte = 0;
  bool hold_line = false;  // stop sending (to truncate a frame)
  // tx sampler
  int tx_state = -1, tx_cnt = 0;
  uint8_t tx_byte = 0;
  // streaming figures: bytes started on uart_rx_i while the accelerator is busy, cycle of
  // the first byte started and of the last byte received back
  uint64_t rx_bytes_busy = 0, first_rx_cycle = 0, last_tx_cycle = 0;
  bool any_rx = false;

  void tick() {
    // uart_rx_i: start bit, 8 data bits LSB first, stop bit, kClksPerBit clocks each.
    if (rx_bit < 0 && !to_board.empty() && !hold_line) {
      rx_byte = to_board.front();
      to_board.pop_front();
      rx_bit = 0;
      rx_cnt = 0;
      if (!any_rx) first_rx_cycle = cycle, any_rx = true;
      if (top->busy_o) ++rx_bytes_busy;
    }
    int line = 1;
    if (rx_bit == 0) line = 0;
    else if (rx_bit >= 1 && rx_bit <= 8) line = (rx_byte >> (rx_bit - 1)) & 1;
    top->uart_rx_i = line;
    if (rx_bit >= 0 && ++rx_cnt == kClksPerBit) {
      rx_cnt = 0;
      if (++rx_bit == 10) rx_bit = -1;
    }
    top->clk_i = 0;
    top->eval();
    top->clk_i = 1;
    top->eval();
    ++cycle;
    // uart_tx_o sampled in the middle of each bit.
    int tx = top->uart_tx_o;
    if (tx_state < 0) {
      if (!tx) {
        tx_state = 0;
        tx_cnt = 0;
      }
    } else if (++tx_cnt == (tx_state == 0 ? kClksPerBit / 2 : kClksPerBit)) {
      tx_cnt = 0;
      if (tx_state == 0) {
        tx_state = tx ? -1 : 1;  // a glitch, not a start bit
        tx_byte = 0;
      } else if (tx_state <= 8) {
        tx_byte |= static_cast<uint8_t>(tx << (tx_state - 1));
        ++tx_state;
      } else {
        if (!tx) std::fprintf(stderr, "bench: stop bit low at cycle %llu\n", (unsigned long long)cycle);
        from_board.push_back(tx_byte);
        last_tx_cycle = cycle;
        tx_state = -1;
      }
    }
  }
  bool quiet() const { return rx_bit < 0 && to_board.empty() && tx_state < 0; }
  void reset() {
    top->rst_ni = 0;
    top->uart_rx_i = 1;
    for (int i = 0; i < 8; ++i) tick();
    top->rst_ni = 1;
  }
};

[[maybe_unused]] std::vector<uint8_t> random_clip(uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<uint8_t> c(256);
  for (auto& b : c) b = static_cast<uint8_t>(rng());
  return c;
}

int fail(const std::string& msg) {
  std::fprintf(stderr, "FAIL: %s\n", msg.c_str());
  return 1;
}

[[maybe_unused]] std::string hex(const std::vector<uint8_t>& v) {
  std::string s;
  char b[4];
  for (auto x : v) {
    std::snprintf(b, sizeof b, "%02x ", x);
    s += b;
  }
  return s;
}

// The reply the board must send for a clip: 5A 'R' class logits cycles sum.
[[maybe_unused]] std::vector<uint8_t> expected_reply(const std::string& fixture, const std::vector<uint8_t>& clip) {
  auto e = sdm::fpga::fixture_expected(fixture, clip);
  std::vector<uint8_t> r = {0x5A, 'R', static_cast<uint8_t>(e.cls)};
  auto put = [&](uint32_t x) {
    for (int i = 0; i < 4; ++i) r.push_back(static_cast<uint8_t>(x >> (8 * i)));
  };
  for (auto l : e.logits) put(static_cast<uint32_t>(l));
  put(e.cycles);
  unsigned s = 0;
  for (size_t i = 1; i < r.size(); ++i) s += r[i];
  r.push_back(static_cast<uint8_t>(s));
  return r;
}

// Runs until `n` reply bytes arrived (or `max_cycles` passed); returns them.
[[maybe_unused]] std::vector<uint8_t> await(Bench& b, size_t n, uint64_t max_cycles) {
  uint64_t end = b.cycle + max_cycles;
  while (b.from_board.size() < n && b.cycle < end) b.tick();
  auto r = b.from_board;
  b.from_board.clear();
  return r;
}

[[maybe_unused]] int protocol_errors(const std::string& fixture) {
  Bench b;
  b.reset();
  const uint64_t idle = 400 * kClksPerBit;  // IDLE_BITS of the verilated model
  auto good_clip_ok = [&](uint64_t seed, const char* after) -> std::string {
    auto clip = random_clip(seed);
    auto f = sdm::fpga::encode_clip_frame(clip);
    b.to_board.insert(b.to_board.end(), f.begin(), f.end());
    auto want = expected_reply(fixture, clip);
    auto got = await(b, want.size(), 200000);
    if (got != want)
      return std::string("good clip after ") + after + ": DUT: " + hex(got) + " expected: " + hex(want);
    return "";
  };
  auto expect_error = [&](const std::vector<uint8_t>& frame, uint8_t code, const char* what,
                          bool truncate) -> std::string {
    b.to_board.insert(b.to_board.end(), frame.begin(), frame.end());
    if (truncate) {
      while (!b.to_board.empty() || b.rx_bit >= 0) b.tick();
    }
    auto got = await(b, 4, 400000);
    std::vector<uint8_t> want = {0x5A, 'E', code, static_cast<uint8_t>('E' + code)};
    if (got != want) return std::string(what) + ": DUT: " + hex(got) + " expected: " + hex(want);
    while (!b.quiet()) b.tick();                          // rest of the bad frame
    for (uint64_t i = 0; i < idle + 64; ++i) b.tick();  // the board drains until idle
    return "";
  };
  std::string e;
  if (!(e = good_clip_ok(1, "reset")).empty()) return fail(e);
  // Info request.
  {
    auto f = sdm::fpga::encode_info_request();
    b.to_board.insert(b.to_board.end(), f.begin(), f.end());
    auto got = await(b, 23, 100000);
    if (got.size() != 23 || got[1] != 'I' || got[2] != 2 || got[3] != 4 || got[4] != 2 || got[5] != 24 ||
        got[6] != 0 || got[7] != 1)
      return fail("info reply DUT: " + hex(got));
  }
  auto bad_sum = sdm::fpga::encode_clip_frame(random_clip(2));
  bad_sum.back() ^= 0x01;
  if (!(e = expect_error(bad_sum, 1, "bad checksum", false)).empty()) return fail(e);
  if (!(e = good_clip_ok(3, "bad checksum")).empty()) return fail(e);
  auto short_clip = sdm::fpga::encode_clip_frame(std::vector<uint8_t>(100, 7));
  if (!(e = expect_error(short_clip, 2, "bad length", false)).empty()) return fail(e);
  if (!(e = good_clip_ok(4, "bad length")).empty()) return fail(e);
  std::vector<uint8_t> bad_type = {0xA5, 'Q', 0, 0, 0, 0, 'Q'};
  if (!(e = expect_error(bad_type, 3, "unknown type", false)).empty()) return fail(e);
  if (!(e = good_clip_ok(5, "unknown type")).empty()) return fail(e);
  auto cut = sdm::fpga::encode_clip_frame(random_clip(6));
  cut.resize(100);
  if (!(e = expect_error(cut, 4, "truncated frame", true)).empty()) return fail(e);
  if (!(e = good_clip_ok(7, "truncated frame")).empty()) return fail(e);
  std::printf("protocol errors: checksum, length, type, truncation answered; state kept (%llu cycles)\n",
              (unsigned long long)b.cycle);
  return 0;
}

// A pseudo-terminal whose master side is bridged to the bench's UART pins, and a way to
// run a host program against its slave side while the simulation advances.
struct PtyHost {
  int master = -1, slave = -1;
  std::string port;
  uint64_t bytes_in = 0, bytes_out = 0;

  PtyHost() {
    master = posix_openpt(O_RDWR | O_NOCTTY);
    if (master < 0 || grantpt(master) != 0 || unlockpt(master) != 0)
      throw std::runtime_error("no pty");
    port = ptsname(master);
    slave = open(port.c_str(), O_RDWR | O_NOCTTY);  // kept open: no hang-up between opens
    termios tio{};
    tcgetattr(slave, &tio);
    cfmakeraw(&tio);
    tcsetattr(slave, TCSANOW, &tio);
    fcntl(master, F_SETFL, fcntl(master, F_GETFL) | O_NONBLOCK);
  }
  ~PtyHost() {
    close(slave);
    close(master);
  }

  // Runs cmd (placeholders already substituted) to completion while ticking the bench;
  // returns its stdout. Throws when it does not finish within timeout_s or fails.
  std::string run(Bench& b, std::vector<std::string> cmd, int timeout_s) {
    int out[2];
    if (pipe(out) != 0) throw std::runtime_error("pipe");
    pid_t pid = fork();
    if (pid == 0) {
      dup2(out[1], 1);
      close(out[0]);
      close(master);
      close(slave);
      std::vector<char*> argv;
      for (auto& a : cmd) argv.push_back(a.data());
      argv.push_back(nullptr);
      execvp(argv[0], argv.data());
      _exit(127);
    }
    close(out[1]);
    fcntl(out[0], F_SETFL, fcntl(out[0], F_GETFL) | O_NONBLOCK);
    std::string host_out;
    int status = 0;
    bool exited = false;
    auto t0 = std::chrono::steady_clock::now();
    auto drain = [&] {
      char tmp[4096];
      ssize_t n;
      while ((n = read(out[0], tmp, sizeof tmp)) > 0) host_out.append(tmp, n);
    };
    while (!exited) {
      if (std::chrono::steady_clock::now() - t0 > std::chrono::seconds(timeout_s)) {
        kill(pid, SIGKILL);
        waitpid(pid, &status, 0);
        close(out[0]);
        throw std::runtime_error("host did not finish within " + std::to_string(timeout_s) + " s");
      }
      for (int i = 0; i < 64; ++i) b.tick();
      if (!b.from_board.empty()) {
        ssize_t n = write(master, b.from_board.data(), b.from_board.size());
        if (n > 0) {
          bytes_out += n;
          b.from_board.erase(b.from_board.begin(), b.from_board.begin() + n);
        }
      }
      pollfd p{master, POLLIN, 0};
      if (poll(&p, 1, b.quiet() && b.top->busy_o == 0 ? 1 : 0) > 0 && (p.revents & POLLIN)) {
        uint8_t buf[512];
        ssize_t n = read(master, buf, sizeof buf);
        for (ssize_t i = 0; i < n; ++i) b.to_board.push_back(buf[i]);
        if (n > 0) bytes_in += n;
      }
      drain();
      exited = waitpid(pid, &status, WNOHANG) == pid;
    }
    drain();
    close(out[0]);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
      throw std::runtime_error("host exited with status " + std::to_string(WEXITSTATUS(status)) +
                               "; its output: " + host_out);
    return host_out;
  }
};

std::vector<std::string> substitute(std::vector<std::string> cmd, const std::string& port,
                                    const std::string& clip, long index) {
  for (auto& a : cmd) {
    if (a == "@PORT@") a = port;
    if (a == "@CLIP@") a = clip;
    if (a == "@INDEX@") a = std::to_string(index);
  }
  return cmd;
}

nlohmann::json parse_host(const std::string& out) {
  try {
    return nlohmann::json::parse(out);
  } catch (const std::exception& e) {
    throw std::runtime_error(std::string("host output is not JSON: ") + e.what() + ": " + out);
  }
}

#ifndef SDM_PTY_REAL
int with_host(const std::string& fixture, const std::vector<std::string>& cmd) {
  PtyHost pty;
  auto clip = random_clip(42);
  char clip_path[] = "/tmp/sdm_pty_clipXXXXXX";
  int cfd = mkstemp(clip_path);
  if (cfd < 0 || write(cfd, clip.data(), clip.size()) != static_cast<ssize_t>(clip.size()))
    return fail("cannot write clip file");
  close(cfd);
  Bench b;
  b.reset();
  std::string host_out;
  try {
    host_out = pty.run(b, substitute(cmd, pty.port, clip_path, 0), 60);
  } catch (const std::exception& e) {
    unlink(clip_path);
    return fail(e.what());
  }
  unlink(clip_path);
  std::printf("pty %s: %llu bytes to the board, %llu back, %llu cycles\nhost: %s\n",
              pty.port.c_str(), (unsigned long long)pty.bytes_in,
              (unsigned long long)pty.bytes_out, (unsigned long long)b.cycle, host_out.c_str());
  auto want = sdm::fpga::fixture_expected(fixture, clip);
  nlohmann::json j = parse_host(host_out);
  if (j.value("class", -1) != want.cls)
    return fail("class DUT: " + j["class"].dump() + " expected: " + std::to_string(want.cls));
  if (j["logits"].get<std::vector<int32_t>>() != want.logits)
    return fail("logits DUT: " + j["logits"].dump() + " expected: " + nlohmann::json(want.logits).dump());
  if (j.value("cycles", 0u) != want.cycles)
    return fail("cycles DUT: " + j["cycles"].dump() + " expected: " + std::to_string(want.cycles));
  std::printf("PASS: class %d, logits and cycles (%u) match the fixture model\n", want.cls, want.cycles);
  return 0;
}
#else
// The generated accelerator behind the board top, the real host per clip, the golden
// integer model as reference.
int with_golden(const std::string& net, const std::string& design, const std::string& data,
                long clips, const std::vector<std::string>& cmd, bool stream, double clk_hz) {
  sdm::Artifact a = sdm::load_artifact(net);
  if (!a.has_qnet) return fail("'" + net + "' has no integer network");
  sdm::Dataset d = sdm::load_dataset(data, static_cast<size_t>(clips));
  std::ifstream sf(design + "/signature.json");
  if (!sf) return fail("cannot read " + design + "/signature.json");
  nlohmann::json sig = nlohmann::json::parse(sf);
  const long predicted = sig["predicted_cycles"]["per_clip"].get<long>();
  if (static_cast<long>(d.clip_size()) != sig["clip_bytes"].get<long>())
    return fail("data clips hold " + std::to_string(d.clip_size()) + " bytes, the design expects " +
                sig["clip_bytes"].dump());
  const std::string clip_file = sdm::resolve_split_dir(data) + "/clips.npy";
  PtyHost pty;
  Bench b;
  b.reset();
  int correct = 0;
  auto t0 = std::chrono::steady_clock::now();
  if (stream) {
    if (clips > static_cast<long>(d.size())) return fail("the data hold fewer clips than --clips");
    nlohmann::json j;
    try {
      j = parse_host(pty.run(b, substitute(cmd, pty.port, clip_file, 0), 900));
    } catch (const std::exception& e) {
      return fail(std::string("stream: ") + e.what());
    }
    const auto& rs = j.at("results");
    if (static_cast<long>(rs.size()) != clips)
      return fail("host returned " + std::to_string(rs.size()) + " results for " + std::to_string(clips) + " clips");
    for (long i = 0; i < clips; ++i) {
      sdm::IntSnn sim(a.qnet);
      sim.run(d.clip(static_cast<size_t>(i)));
      const auto& r = rs[size_t(i)];
      if (r.value("class", -1) != sim.predicted_class())
        return fail("clip " + std::to_string(i) + ": class DUT " + r["class"].dump() + " golden " +
                    std::to_string(sim.predicted_class()));
      if (r["logits"].get<std::vector<int64_t>>() != sim.logit_acc())
        return fail("clip " + std::to_string(i) + ": logits DUT " + r["logits"].dump() + " golden " +
                    nlohmann::json(sim.logit_acc()).dump());
      if (r.value("cycles", -1LL) != predicted)
        return fail("clip " + std::to_string(i) + ": cycles DUT " + r["cycles"].dump() + " predicted " +
                    std::to_string(predicted));
      correct += sim.predicted_class() == d.labels[size_t(i)];
    }
    // Simulated time from the first byte on the line to the last reply byte back.
    const double secs = double(b.last_tx_cycle - b.first_rx_cycle) / clk_hz;
    const double e2e = double(clips) / secs, compute = clk_hz / double(predicted);
    const double frame = double(d.clip_size() + 7), link = clk_hz / kClksPerBit / 10.0 / frame;
    const double bound = std::min(compute, link);
    nlohmann::json rep = {{"clips", clips},
                          {"outstanding", j.value("outstanding", 0)},
                          {"rx_fifo_bytes", j.value("rx_fifo_bytes", 0)},
                          {"clk_hz", clk_hz},
                          {"baud", clk_hz / kClksPerBit},
                          {"simulated_s", secs},
                          {"end_to_end_clips_per_s", e2e},
                          {"compute_clips_per_s", compute},
                          {"link_clips_per_s", link},
                          {"fraction_of_bound", e2e / bound},
                          {"rx_bytes_while_busy", b.rx_bytes_busy}};
    std::printf("%s\n", rep.dump().c_str());
    std::printf("stream: %ld clips bit-exact (%d correct labels); %.2f clips/s end to end in simulated "
                "time vs compute %.2f, link %.2f -> %.1f %% of the bound; %llu bytes arrived while "
                "the accelerator was busy; %.1f s wall\n",
                clips, correct, e2e, compute, link, 100.0 * e2e / bound,
                (unsigned long long)b.rx_bytes_busy,
                std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
    if (e2e < 0.9 * bound) return fail("end-to-end clips/s below 90 % of min(compute, link)");
    if (j.value("outstanding", 0) == 2 && b.rx_bytes_busy < d.clip_size())
      return fail("two frames in flight but no whole clip frame arrived during a run");
    std::printf("PASS\n");
    return 0;
  }
  for (long i = 0; i < clips && i < static_cast<long>(d.size()); ++i) {
    sdm::IntSnn sim(a.qnet);
    sim.run(d.clip(static_cast<size_t>(i)));
    std::vector<int64_t> want_logits = sim.logit_acc();
    const int want_cls = sim.predicted_class();
    uint64_t c0 = b.cycle;
    nlohmann::json j;
    try {
      j = parse_host(pty.run(b, substitute(cmd, pty.port, clip_file, i), 150));
    } catch (const std::exception& e) {
      return fail("clip " + std::to_string(i) + ": " + e.what());
    }
    std::vector<int64_t> got = j["logits"].get<std::vector<int64_t>>();
    std::printf("clip %ld: class %d (golden %d, label %lld), cycles %lld (predicted %ld), %llu sim cycles\n",
                i, j.value("class", -1), want_cls, static_cast<long long>(d.labels[size_t(i)]),
                j.value("cycles", -1LL), predicted, (unsigned long long)(b.cycle - c0));
    if (j.value("class", -1) != want_cls)
      return fail("clip " + std::to_string(i) + ": class DUT " + j["class"].dump() +
                  " golden " + std::to_string(want_cls));
    if (got != want_logits)
      return fail("clip " + std::to_string(i) + ": logits DUT " + nlohmann::json(got).dump() +
                  " golden " + nlohmann::json(want_logits).dump());
    if (j.value("cycles", -1LL) != predicted)
      return fail("clip " + std::to_string(i) + ": cycles DUT " + j["cycles"].dump() +
                  " predicted " + std::to_string(predicted));
    correct += want_cls == d.labels[size_t(i)];
  }
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::printf("PASS: %ld clips over the pty: class, logits and cycles equal the golden model "
              "(%d correct labels); %llu cycles simulated in %.1f s\n",
              clips, correct, (unsigned long long)b.cycle, secs);
  return 0;
}
#endif

}  // namespace

int main(int argc, char** argv) {
  std::string fixture, net, design, data;
  long clips = 3;
  bool errors = false, stream = false;
  double clk_hz = 921600;
  std::vector<std::string> cmd;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--fixture" && i + 1 < argc) fixture = argv[++i];
    else if (a == "--net" && i + 1 < argc) net = argv[++i];
    else if (a == "--design" && i + 1 < argc) design = argv[++i];
    else if (a == "--data" && i + 1 < argc) data = argv[++i];
    else if (a == "--clips" && i + 1 < argc) clips = std::stol(argv[++i]);
    else if (a == "--protocol-errors") errors = true;
    else if (a == "--stream") stream = true;
    else if (a == "--clk-hz" && i + 1 < argc) clk_hz = std::stod(argv[++i]);
    else if (a == "--clks-per-bit" && i + 1 < argc) kClksPerBit = std::stoi(argv[++i]);
    else if (a == "--") {
      for (++i; i < argc; ++i) cmd.push_back(argv[i]);
    } else {
      cmd.clear();
      fixture.clear();
      net.clear();
      break;
    }
  }
  try {
#ifdef SDM_PTY_REAL
    if (net.empty() || design.empty() || data.empty() || cmd.empty()) {
      std::fprintf(stderr, "usage: %s --net NET.sdm --design DIR --data SPLIT [--clips N] -- HOST ARGS...\n",
                   argv[0]);
      return 2;
    }
    return with_golden(net, design, data, clips, cmd, stream, clk_hz);
#else
    if (fixture.empty() || (!errors && cmd.empty())) {
      std::fprintf(stderr, "usage: %s --fixture DIR (--protocol-errors | -- HOST ARGS...)\n", argv[0]);
      return 2;
    }
    return errors ? protocol_errors(fixture) : with_host(fixture, cmd);
#endif
  } catch (const std::exception& e) {
    return fail(e.what());
  }
}
