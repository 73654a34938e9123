// The tool's version and the one cache-key function built on it.
#pragma once

#include <string>
#include <vector>

namespace sdm {

// The CMake project version: `sdmforge --version`, summary.json and every cache key.
extern const char* const kVersion;

// The key of a cached result (run's stage caches; a design-space sweep's cache): 16 hex
// digits of FNV-1a over the tool version, a cache format number and `parts`, so an
// upgraded tool never reuses an old RTL folder or an old "0 mismatches".
std::string cache_key(const std::vector<std::string>& parts, const std::string& version = kVersion);

// 16 hex digits of FNV-1a of `bytes` (file contents in a key).
std::string content_hash(const std::string& bytes);

}  // namespace sdm
