#include "golden/onnx_infer.h"

#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <string>

#include <fmt/core.h>
#include <onnx/onnx_pb.h>
#include <onnx/shape_inference/implementation.h>

#include "golden/error.h"

namespace sdm {

namespace {
// write all of `s` to fd (the child's side); false on a broken pipe
bool write_all(int fd, const std::string& s) {
  size_t off = 0;
  while (off < s.size()) {
    ssize_t n = ::write(fd, s.data() + off, s.size() - off);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    off += size_t(n);
  }
  return true;
}

// The child: infer, then send 'O' + the inferred graph's value_info and outputs, or 'E' + the
// message. It never returns.
[[noreturn]] void child(onnx::ModelProto& model, int fd) {
  // a fault inside libonnx must end this process quietly (by the signal), not run a
  // sanitizer's or the parent's handlers
  ::signal(SIGSEGV, SIG_DFL);
  ::signal(SIGBUS, SIG_DFL);
  ::signal(SIGFPE, SIG_DFL);
  ::signal(SIGILL, SIG_DFL);
  ::signal(SIGABRT, SIG_DFL);
  std::string out;
  try {
    onnx::shape_inference::InferShapes(model);
    onnx::GraphProto g;
    *g.mutable_value_info() = model.graph().value_info();
    *g.mutable_output() = model.graph().output();
    out = "O" + g.SerializeAsString();
  } catch (const std::exception& e) {
    out = std::string("E") + e.what();
  }
  ::_exit(write_all(fd, out) ? 0 : 3);
}
}  // namespace

void infer_shapes_isolated(onnx::ModelProto& model, const std::string& label, int timeout_s) {
  int fds[2];
  if (::pipe(fds) != 0) throw Error(fmt::format("'{}': cannot create a pipe for shape inference: {}", label, std::strerror(errno)));
  const pid_t pid = ::fork();
  if (pid < 0) {
    ::close(fds[0]);
    ::close(fds[1]);
    throw Error(fmt::format("'{}': cannot fork for shape inference: {}", label, std::strerror(errno)));
  }
  if (pid == 0) {
    ::close(fds[0]);
    child(model, fds[1]);
  }
  ::close(fds[1]);
  // read until EOF (the child's exit), at most timeout_s seconds
  std::string got;
  bool timed_out = false;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(timeout_s);
  char buf[1 << 16];
  for (;;) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now()).count();
    if (left <= 0) {
      timed_out = true;
      break;
    }
    pollfd p{fds[0], POLLIN, 0};
    const int r = ::poll(&p, 1, int(left));
    if (r < 0 && errno == EINTR) continue;
    if (r == 0) {
      timed_out = true;
      break;
    }
    const ssize_t n = ::read(fds[0], buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    got.append(buf, size_t(n));
  }
  ::close(fds[0]);
  if (timed_out) ::kill(pid, SIGKILL);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (timed_out)
    throw Error(fmt::format("'{}': ONNX shape inference did not finish in {} s (a malformed node?)", label, timeout_s));
  if (WIFSIGNALED(status))
    throw Error(fmt::format("'{}': ONNX shape inference crashed (signal {}) on a malformed model, e.g. a Conv or "
                            "pool whose kernel rank differs from its input's spatial rank, or a zero stride", label,
                            WTERMSIG(status)));
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0 || got.empty())
    throw Error(fmt::format("'{}': ONNX shape inference ended without a result (exit status {})", label,
                            WIFEXITED(status) ? WEXITSTATUS(status) : -1));
  if (got[0] == 'E') {
    std::string msg = got.substr(1);
    if (auto p = msg.find('\n'); p != std::string::npos) msg = msg.substr(0, p);
    throw Error(fmt::format("'{}': ONNX shape inference failed: {}", label, msg));
  }
  onnx::GraphProto g;
  if (got[0] != 'O' || !g.ParseFromArray(got.data() + 1, int(got.size() - 1)))
    throw Error(fmt::format("'{}': ONNX shape inference returned an unreadable result", label));
  *model.mutable_graph()->mutable_value_info() = g.value_info();
  *model.mutable_graph()->mutable_output() = g.output();
}

}  // namespace sdm
