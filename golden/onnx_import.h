// ONNX import (Debian's libonnx + protobuf). Throws sdm::Error with a one-line message
// naming the node and op for anything outside SPEC §4.
#pragma once

#include <string>

#include "golden/ir.h"

namespace sdm {

Graph import_onnx(const std::string& path);
Graph import_onnx_bytes(const std::string& bytes, const std::string& label);

}  // namespace sdm
