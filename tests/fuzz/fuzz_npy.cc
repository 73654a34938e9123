// libFuzzer target: the project's one .npy reader (data/npy.h) and what the tools do with
// its result: the board's clip selection and the label conversion of a data split.
#include <cstddef>
#include <cstdint>
#include <string>

#include "data/npy.h"
#include "fpga/board_link.h"
#include "golden/error.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  try {
    sdm::npy::NpyArray a = sdm::npy::parse(data, size, "fuzz.npy");
    // Every accessor must agree with the checked payload.
    if (size_t(a.numel()) * a.itemsize() != a.bytes.size()) __builtin_trap();
    (void)a.shape_str();
    if (a.dtype == "i8" && a.numel() > 0) (void)a.data<int64_t>()[a.numel() - 1];
    if (a.dtype == "f4" && a.numel() > 0) (void)a.data<float>()[a.numel() - 1];
    // Round trip: what we read, we write back byte-identically in content.
    sdm::npy::NpyArray b;
    std::vector<uint8_t> out = sdm::npy::serialize(a);
    b = sdm::npy::parse(out.data(), out.size(), "roundtrip.npy");
    if (b.shape != a.shape || b.bytes != a.bytes || b.dtype != a.dtype) __builtin_trap();
  } catch (const sdm::Error&) {
  }
  try {
    const std::string bytes(reinterpret_cast<const char*>(data), size);
    for (long index : {0L, 1L, -1L}) (void)sdm::fpga::clip_from_bytes(bytes, "fuzz.npy", index, 0);
  } catch (const sdm::Error&) {
  }
  return 0;
}
