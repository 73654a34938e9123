// libFuzzer target: the SNN artifact reader (golden/artifact.h) and the two models that
// run what it returns (float ANN, integer SNN) on one clip. Mutated files almost never
// keep a valid CRC-32, so each input is tried twice: as given, and with its trailer set
// to the CRC of its contents, which reaches the manifest and tensor checks behind it.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include <zlib.h>

#include "golden/artifact.h"
#include "golden/error.h"
#include "golden/ops.h"
#include "golden/snn_int.h"

namespace {

void try_one(const std::string& bytes) {
  try {
    sdm::Artifact a = sdm::parse_artifact(bytes, "fuzz.sdm");
    long total = 0;
    for (const sdm::Node& n : a.graph.nodes) total += n.out.size();
    if (total > (1L << 20)) return;  // run small networks only: a big valid one is not a fault
    std::vector<uint8_t> clip(size_t(a.graph.input().out.size()), 7);
    (void)sdm::ann_forward(a.graph, clip.data());
    if (a.has_qnet) {
      sdm::IntSnn snn(a.qnet);
      snn.run(clip.data(), nullptr, std::min(a.qnet.cfg.T, 2));
      (void)snn.predicted_class();
    }
  } catch (const sdm::Error&) {
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string bytes(reinterpret_cast<const char*>(data), size);
  try_one(bytes);
  if (size >= 4) {
    const uint32_t crc = uint32_t(crc32(0L, reinterpret_cast<const Bytef*>(data), uInt(size - 4)));
    for (int i = 0; i < 4; ++i) bytes[size - 4 + size_t(i)] = char((crc >> (8 * i)) & 0xff);
    try_one(bytes);
  }
  return 0;
}
