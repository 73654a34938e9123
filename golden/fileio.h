// Writing outputs without ever destroying an input (issue 17, Kind 3): every command
// checks its output paths against its input paths before it opens anything for writing,
// and writes each file through a temporary file + rename, so a failed or interrupted
// write leaves the previous file (or no file), never a truncated one.
#pragma once

#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>
#include <vector>

#include <fmt/core.h>

#include "golden/error.h"

namespace sdm {

// Throws sdm::Error "output 'O' is the input 'I'" if an output names the same file as an
// input: fs::equivalent when both exist (hard links, symlinks, "./x" vs "x"), the
// weakly_canonical paths otherwise; "output 'O' is a folder" if an output file names an
// existing folder. Outputs "" and "-" (stdout) are skipped.
void check_outputs_not_inputs(const std::vector<std::string>& inputs,
                              const std::vector<std::string>& outputs);

// The one file writer of the project: writes `bytes` to `path` via `path.tmp-PID` and
// rename(2), so a failed or interrupted write (or two processes writing the same path)
// never leaves a half file under the real name. Throws sdm::Error naming the path on
// failure (the temporary file is removed). Inline for the same reason as
// read_file_checked: sdm_data's .npy and classes.json writers use it.
inline void write_file_atomic(const std::string& path, std::string_view bytes) {
  const std::string tmp = fmt::format("{}.tmp-{}", path, ::getpid());
  {
    std::ofstream f(tmp, std::ios::binary | std::ios::trunc);
    if (!f) throw Error(fmt::format("cannot write '{}'", path));
    f.write(bytes.data(), std::streamsize(bytes.size()));
    f.close();
    if (!f) {
      std::remove(tmp.c_str());
      throw Error(fmt::format("failed writing '{}' (disk full?)", path));
    }
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    std::remove(tmp.c_str());
    throw Error(fmt::format("cannot write '{}' (rename failed)", path));
  }
}

// The whole file; throws sdm::Error naming the path. Bounded like read_file_checked.
std::string read_file_bytes(const std::string& path);

// dst := the bytes of src, through write_file_atomic (never written in place: a reader of
// dst sees the old or the new file, and a dst that is a hard link to another file is replaced,
// not written through). Throws like read_file_bytes / write_file_atomic.
inline void copy_file_atomic(const std::string& src, const std::string& dst) {
  write_file_atomic(dst, read_file_bytes(src));
}

// Bounded whole-file read for the loaders (.npy, NET.sdm): a loader must never read until
// memory runs out (`eval /dev/zero` used to stream zeros forever before the magic was
// looked at). So the magic is checked on the first bytes, and only a regular file is then
// read, exactly as many bytes as the file system says it holds. `magic` (may be empty)
// must be the file's first bytes, else "'<path>': not a <kind> (bad magic)". Throws
// sdm::Error for a missing file, a non-regular file (device, FIFO, folder) or a short
// read. Inline: sdm_data (the .npy reader) uses it without linking the golden model.
inline std::string read_file_checked(const std::string& path, const std::string& magic,
                                     const std::string& kind) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (fs::is_directory(path, ec))
    throw Error(fmt::format("'{}' is a folder, not a {}", path, kind));
  std::ifstream f(path, std::ios::binary);
  if (!f) throw Error(fmt::format("cannot open {} '{}'", kind, path));
  if (!magic.empty()) {
    std::string head(magic.size(), '\0');
    f.read(head.data(), std::streamsize(head.size()));
    if (size_t(f.gcount()) != head.size() || head != magic)
      throw Error(fmt::format("'{}': not a {} (bad magic)", path, kind));
  }
  if (!fs::is_regular_file(path, ec))
    throw Error(fmt::format("'{}' is not a regular file", path));
  const uintmax_t size = fs::file_size(path, ec);
  if (ec) throw Error(fmt::format("cannot read the size of '{}': {}", path, ec.message()));
  std::string bytes(size_t(size), '\0');
  f.seekg(0);
  if (size > 0 && !f.read(bytes.data(), std::streamsize(size)))
    throw Error(fmt::format("cannot read '{}' ({} bytes expected)", path, size));
  return bytes;
}

}  // namespace sdm
