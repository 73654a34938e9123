// Where sdmforge finds its data at run time: the leaf RTL (rtl/), the co-simulation bench
// (testbench/cosim_bench.cc) with the headers and libraries it compiles against, the report
// scripts (report/) and the bundled models (models/).
//
// Installed (`cmake --install build --prefix P`): P/bin/sdmforge finds
//   P/share/sdmforge/{rtl,testbench,report,models,include}/ and P/lib/sdmforge/*.a,
// i.e. <dir of the executable>/../share/sdmforge, so the prefix can be moved as a whole.
// Build tree (no such folder next to the executable): the source tree and the build tree's
// libraries, as compiled in. SDMFORGE_ROOT overrides the data folder.
#pragma once

#include <string>

namespace sdm {

struct DataPaths {
  std::string root;        // holds rtl/, testbench/, report/, models/
  std::string include;     // -I for the cosim bench: golden/*.h, data/*.h below it
  std::string golden_lib;  // libsdm_golden.a
  std::string data_lib;    // libsdm_data.a
  bool installed = false;
};

// Resolved once (thread-safe); never throws: a missing file is reported by its user.
const DataPaths& data_paths();

// data_paths().root + "/rtl", as a C string for the generator's SDM_RTL_DIR.
const char* rtl_dir_cstr();

}  // namespace sdm
