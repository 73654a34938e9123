#include "golden/version.h"

#include <cstdint>

#include <fmt/core.h>

namespace sdm {

const char* const kVersion = SDM_VERSION;

namespace {
// Bump when a cached output changes meaning without a version change.
constexpr int kCacheFormat = 2;

uint64_t fnv(const std::string& s, uint64_t h = 1469598103934665603ull) {
  for (unsigned char c : s) h = (h ^ c) * 1099511628211ull;
  return h;
}
}  // namespace

std::string content_hash(const std::string& bytes) { return fmt::format("{:016x}", fnv(bytes)); }

std::string cache_key(const std::vector<std::string>& parts, const std::string& version) {
  std::string s = fmt::format("sdmforge {} cache {}", version, kCacheFormat);
  for (const std::string& p : parts) s += fmt::format("\x1f{}:{}", p.size(), p);  // unambiguous joins
  return content_hash(s);
}

}  // namespace sdm
