#include "fpga/fixture.h"

#include <filesystem>
#include <fstream>
#include <sstream>

#include <fmt/core.h>
#include <nlohmann/json.hpp>

#include "golden/error.h"
#include "golden/fileio.h"

#ifndef SDM_FIXTURE_DIR
#define SDM_FIXTURE_DIR "fpga/test/fixture"
#endif

namespace fs = std::filesystem;

namespace sdm::fpga {

namespace {
std::string slurp(const std::string& p) {
  std::ifstream f(p, std::ios::binary);
  if (!f) throw Error(fmt::format("cannot read '{}'", p));
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}
constexpr int kClasses = 4, kClip = 256;
const char* kLanesLine = "  parameter integer LANES = ";
}  // namespace

std::string fixture_dir() { return SDM_FIXTURE_DIR; }

std::string write_fixture(const std::string& src, const std::string& out, int lanes) {
  if (lanes < 1 || lanes > 128 || (lanes & (lanes - 1)))
    throw Error(fmt::format("fixture lanes {} is not a power of two in 1..128", lanes));
  fs::create_directories(out);
  std::string v = slurp((fs::path(src) / "sdm_accel.v").string());
  auto at = v.find(kLanesLine);
  if (at == std::string::npos) throw Error("fixture sdm_accel.v has no LANES parameter line");
  auto end = v.find_first_of(" \n", at + std::string(kLanesLine).size());
  v.replace(at, end - at, kLanesLine + std::to_string(lanes));
  write_file_atomic((fs::path(out) / "sdm_accel.v").string(), v);
  write_file_atomic((fs::path(out) / "fixture_weights.hex").string(),
                    slurp((fs::path(src) / "fixture_weights.hex").string()));
  auto sig = nlohmann::json::parse(slurp((fs::path(src) / "signature.json").string()));
  sig["lanes"] = lanes;
  sig["predicted_cycles"]["per_clip"] = kClip / lanes * kClasses + 4;
  write_file_atomic((fs::path(out) / "signature.json").string(), sig.dump(2) + "\n");
  return out;
}

FixtureResult fixture_expected(const std::string& dir, const std::vector<uint8_t>& clip) {
  if (clip.size() != kClip)
    throw Error(fmt::format("fixture clip has {} bytes, expected {}", clip.size(), kClip));
  std::vector<int> w;
  std::stringstream ss(slurp((fs::path(dir) / "fixture_weights.hex").string()));
  std::string tok;
  while (ss >> tok) w.push_back(static_cast<int8_t>(std::stoul(tok, nullptr, 16)));
  if (w.size() != kClip * kClasses)
    throw Error(fmt::format("fixture weights have {} words, expected {}", w.size(), kClip * kClasses));
  auto sig = nlohmann::json::parse(slurp((fs::path(dir) / "signature.json").string()));
  int lanes = sig.value("lanes", 1);
  FixtureResult r;
  r.logits.assign(kClasses, 0);
  for (int i = 0; i < kClip; ++i)
    for (int k = 0; k < kClasses; ++k) r.logits[k] += int32_t(clip[i]) * w[i * kClasses + k];
  for (auto& l : r.logits)  // 24-bit accumulators, sign-extended
    l = static_cast<int32_t>(static_cast<uint32_t>(l) << 8) / 256;
  for (int k = 1; k < kClasses; ++k)
    if (r.logits[k] > r.logits[r.cls]) r.cls = k;
  r.cycles = kClip / lanes * kClasses + 4;
  return r;
}

}  // namespace sdm::fpga
