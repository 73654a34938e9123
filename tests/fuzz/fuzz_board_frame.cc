// libFuzzer target: the host side of the board UART protocol (fpga/board_link.h). The
// input is the byte stream the board sends: an 'I' reply, then an 'R' reply sized from
// the first one, exactly as BoardLink::run_clip reads them.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "fpga/board_link.h"
#include "golden/error.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  size_t at = 0;
  sdm::fpga::ByteSource src = [&](size_t n, const std::string& what) {
    if (n > size - at) throw sdm::Error("timeout waiting for " + what);
    std::vector<uint8_t> r(data + at, data + at + n);
    at += n;
    return r;
  };
  try {
    sdm::fpga::BoardInfo info = sdm::fpga::decode_info(sdm::fpga::read_board_frame(src, 'I', sdm::fpga::kInfoPayload, "fuzz"));
    auto p = sdm::fpga::read_board_frame(src, 'R', sdm::fpga::result_payload_size(info), "fuzz");
    sdm::fpga::BoardResult r = sdm::fpga::decode_result(p, info);
    if (r.cls < 0 || r.cls >= info.num_classes || int(r.logits.size()) != info.num_classes) __builtin_trap();
  } catch (const sdm::Error&) {
  }
  return 0;
}
