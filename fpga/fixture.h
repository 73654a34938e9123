// The FPGA-flow test fixture (fpga/test/fixture): a small accelerator with the ports of
// the generated sdm_accel, used only by the flow's tests and for `synth --fit` dry runs.
// Not an SDM network: logits[k] = sum_i pixel[i] * w[i*4+k].
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace sdm::fpga {

// Path of the checked-in fixture folder.
std::string fixture_dir();

// Writes a copy of the fixture with LANES = lanes (a power of two, 1..128) to out_dir and
// returns out_dir. The weights are those of src_dir.
std::string write_fixture(const std::string& src_dir, const std::string& out_dir, int lanes);

struct FixtureResult {
  int cls = 0;
  std::vector<int32_t> logits;
  uint32_t cycles = 0;
};
// The fixture's answer for a clip (256 bytes), from DIR/fixture_weights.hex and LANES.
FixtureResult fixture_expected(const std::string& dir, const std::vector<uint8_t>& clip);

}  // namespace sdm::fpga
