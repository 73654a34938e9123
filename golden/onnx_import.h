// ONNX import (Debian's libonnx + protobuf) into the Graph IR. Accepts what current
// PyTorch exporters write (TorchScript "legacy" and dynamo, opset 9..20, weights inside the
// file or as external data), docs/onnx-import.md lists the ops and forms. Throws sdm::Error
// with a one-line message naming the node and op (or tensor and file) for anything else.
#pragma once

#include <string>

#include "golden/ir.h"

namespace sdm {

struct ImportOptions {
  // Folder that external-data locations are relative to (the model file's folder).
  // Empty: a model with external data is refused.
  std::string base_dir;
  // Accept any node as the graph output (single-operator conformance tests); networks
  // must end in a Linear layer (the logits).
  bool any_output = false;
};

// Reads `path`; external data is resolved relative to its folder.
Graph import_onnx(const std::string& path);
// Parses a model held in memory; `label` names it in errors.
Graph import_onnx_bytes(const std::string& bytes, const std::string& label,
                        const ImportOptions& opt = {});

}  // namespace sdm
