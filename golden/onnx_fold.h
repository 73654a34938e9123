// Constant folding for the ONNX importer: decodes ONNX tensors and evaluates the helper
// nodes exporters put on constants (Identity, Cast, ConstantOfShape, Shape arithmetic,
// Gather/Slice/Concat/Reshape, small arithmetic and comparisons).
//
// libonnx 1.12 ships no C++ op evaluator (its reference runtime is Python only), so the
// small set of ops below is evaluated here, following the ONNX operator specification
// (onnx/docs/Operators.md); tests/test_onnx_conformance.cc checks every folded op against
// ONNX's own node test data (Debian libonnx-testdata).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace onnx {
class NodeProto;
class TensorProto;
}  // namespace onnx

namespace sdm {

// A constant tensor. Every element is held as a double: exact for float16/float32/float64
// values and for integers up to 2^53 (shape arithmetic); larger int64 values (the INT64_MAX
// "to the end" of Slice) saturate when read back with as_int(). `dtype` is the ONNX
// TensorProto data type; results of float ops are rounded to it after every op.
struct ConstTensor {
  int dtype = 1;  // onnx::TensorProto::FLOAT
  std::vector<int64_t> dims;
  std::vector<double> data;

  long numel() const;
  int64_t as_int(long i) const;  // saturating
  std::vector<int64_t> ints() const;
};

bool is_float_dtype(int dtype);    // FLOAT, FLOAT16, DOUBLE
bool is_int_dtype(int dtype);      // signed and unsigned integers, BOOL
const char* dtype_name(int dtype); // "FLOAT", "INT64", ...

// Decodes an initializer or Constant value (raw_data or typed fields). External data must
// have been resolved (inlined) first. Throws sdm::Error naming `where` and the tensor for
// negative dims, more than 2^31 elements, data shorter or longer than the dims, or an
// unsupported data type (strings, bfloat16, complex).
ConstTensor decode_tensor(const onnx::TensorProto& t, const std::string& where);

// Rounds v to the precision of dtype (float32, float16 or an integer type: wraps like a C
// cast for in-range values, saturates NaN/inf to 0). Used after every folded op.
double round_to_dtype(double v, int dtype);

// Throws sdm::Error naming the node unless Dropout node `n` is the identity: inference
// mode, or a ratio of 0 (`ratio` / `training_mode` are its optional inputs, or null).
void dropout_is_identity(const onnx::NodeProto& n, const ConstTensor* ratio,
                         const ConstTensor* training_mode);

// Evaluates node `n` on constant inputs (`in[i]` null for an omitted optional input).
// Returns false if the op is not one this folder evaluates (the importer then maps or
// refuses it); throws sdm::Error (one line, naming the node) on invalid attributes or
// shapes. Shape on a constant input is folded; Shape of a data tensor is the importer's.
bool fold_node(const onnx::NodeProto& n, const std::vector<const ConstTensor*>& in,
               std::vector<ConstTensor>& out);

}  // namespace sdm
