#include "golden/paths.h"

#include <unistd.h>

#include <cstdlib>
#include <filesystem>

namespace fs = std::filesystem;

namespace sdm {

namespace {
DataPaths resolve() {
  DataPaths p;
  std::error_code ec;
  fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  fs::path share = ec ? fs::path() : exe.parent_path().parent_path() / "share" / "sdmforge";
  if (!share.empty() && fs::exists(share / "rtl" / "sd_neuron.v", ec)) {
    fs::path lib = exe.parent_path().parent_path() / "lib" / "sdmforge";
    p.root = share.lexically_normal().string();
    p.include = (share / "include").lexically_normal().string();
    p.golden_lib = (lib / "libsdm_golden.a").lexically_normal().string();
    p.data_lib = (lib / "libsdm_data.a").lexically_normal().string();
    p.installed = true;
  } else {
    p.root = SDM_SOURCE_DIR;
    p.include = SDM_SOURCE_DIR;
    p.golden_lib = SDM_GOLDEN_LIB;
    p.data_lib = SDM_DATA_LIB;
  }
  if (const char* e = std::getenv("SDMFORGE_ROOT"); e && *e) p.root = e;
  return p;
}
}  // namespace

const DataPaths& data_paths() {
  static const DataPaths p = resolve();
  return p;
}

const char* rtl_dir_cstr() {
  static const std::string d = data_paths().root + "/rtl";
  return d.c_str();
}

}  // namespace sdm
