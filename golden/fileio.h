// Writing outputs without ever destroying an input (issue 17, Kind 3): every command
// checks its output paths against its input paths before it opens anything for writing,
// and writes each file through a temporary file + rename, so a failed or interrupted
// write leaves the previous file (or no file), never a truncated one.
#pragma once

#include <string>
#include <vector>

namespace sdm {

// Throws sdm::Error "output 'O' is the input 'I'" if an output names the same file as an
// input: fs::equivalent when both exist (hard links, symlinks, "./x" vs "x"), the
// weakly_canonical paths otherwise. Outputs "" and "-" (stdout) are skipped.
void check_outputs_not_inputs(const std::vector<std::string>& inputs,
                              const std::vector<std::string>& outputs);

// Writes `bytes` to `path` via `path.tmp-PID` and rename(2). Throws sdm::Error naming the
// path on failure (the temporary file is removed).
void write_file_atomic(const std::string& path, const std::string& bytes);

// The whole file; throws sdm::Error naming the path.
std::string read_file_bytes(const std::string& path);

}  // namespace sdm
