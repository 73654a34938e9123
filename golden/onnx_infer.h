// ONNX shape inference, isolated from sdmforge's own process.
#pragma once

#include <string>

namespace onnx {
class ModelProto;
}

namespace sdm {

// Runs onnx::shape_inference::InferShapes on `model` in a child process and copies the
// inferred types back (graph value_info and outputs), so that a fault inside libonnx on a
// malformed model becomes one sdm::Error instead of taking sdmforge down. Debian's libonnx
// 1.12 reads out of bounds (SIGSEGV) when a Conv or pool's kernel rank differs from its
// input's spatial rank (onnx issues 6180, 8036; found by fuzz_onnx, docs/fuzzing.md) and
// divides by a zero stride (SIGFPE).
//   model     parsed ModelProto with external data resolved; its value_info and output
//             types are replaced by the inferred ones on success
//   label     file name for messages
//   timeout_s seconds the inference may take (a model of a few hundred MB needs well under 1 s)
// Throws sdm::Error: inference failed (libonnx's first message line), crashed (the signal),
// or timed out.
void infer_shapes_isolated(onnx::ModelProto& model, const std::string& label, int timeout_s = 60);

}  // namespace sdm
