// ONNX's own backend node tests (Debian libonnx-testdata: model + inputs + expected
// outputs, written by the ONNX project) run through the importer and the float engine, an
// independent check no one here wrote. Every case of an operator the importer maps or the
// constant folder evaluates either matches the reference (relative error <= 1e-5, absolute
// below magnitude 1) or is refused with a one-line sdm::Error; none may compute a different
// answer. The table of results is docs/onnx-conformance.md (regenerate it with
// SDM_UPDATE_DOCS=1 after a change that moves a case; the test fails while it differs).
//
// Harness (single-node graphs are not networks): graph inputs after the first become
// initializers; the batch of the data input is computed one sample at a time, as the
// engine computes clips (a Gemm bias C that varies over the batch is sliced with it);
// elementwise ops on tensors that are not N x C x ... are presented as 1 x numel x 1 x 1.
// Cases whose every input is a constant run through the constant folder (onnx_fold.h).
#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include <fmt/core.h>
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <onnx/onnx_pb.h>

#include "golden/error.h"
#include "golden/onnx_fold.h"
#include "golden/onnx_import.h"
#include "golden/ops.h"

using namespace sdm;
namespace fs = std::filesystem;

namespace {

const fs::path kNodeTests = "/usr/share/libonnx-testdata/data/node";

// Ops the importer maps onto the IR when their first input is a data tensor.
const std::set<std::string> kMapped = {
    "Conv", "AveragePool", "GlobalAveragePool", "BatchNormalization", "Clip", "Relu", "Min",
    "Max", "Pad", "ReduceMean", "Flatten", "Reshape", "Squeeze", "Unsqueeze", "Gemm", "MatMul",
    "Add", "Concat", "Identity", "Dropout", "Cast"};
// Ops the constant folder evaluates.
const std::set<std::string> kFolded = {
    "Identity", "Dropout", "Constant", "Cast", "CastLike", "ConstantOfShape", "Shape", "Size",
    "Gather", "Unsqueeze", "Squeeze", "Concat", "Reshape", "Flatten", "Slice", "Transpose",
    "Range", "Add", "Sub", "Mul", "Div", "Pow", "Equal", "Less", "Greater", "LessOrEqual",
    "GreaterOrEqual", "And", "Or", "Not", "Neg", "Abs", "Sqrt", "Reciprocal", "Min", "Max",
    "Sum", "Mean", "Where", "Expand", "Relu", "Clip"};
const std::set<std::string> kElementwise = {"Clip", "Relu", "Identity", "Dropout", "Cast", "Min", "Max"};

// The cases issue 14 names: each must pass, not only be refused.
const std::set<std::string> kMustPass = {
    "test_conv_with_autopad_same", "test_conv_with_strides_and_asymmetric_padding",
    "test_conv_with_strides_no_padding", "test_conv_with_strides_padding",
    "test_averagepool_2d_pads_count_include_pad", "test_averagepool_2d_same_upper",
    "test_clip", "test_clip_example", "test_clip_inbounds", "test_clip_outbounds",
    "test_clip_splitbounds", "test_gemm_default_matrix_bias", "test_gemm_default_no_bias",
    "test_gemm_default_scalar_bias", "test_gemm_default_single_elem_vector_bias",
    "test_gemm_default_vector_bias", "test_gemm_default_zero_bias", "test_batchnorm_epsilon",
    "test_globalaveragepool", "test_flatten_axis1"};

template <class P>
P read_proto(const fs::path& p) {
  std::ifstream f(p, std::ios::binary);
  std::stringstream ss;
  ss << f.rdbuf();
  P m;
  if (!m.ParseFromString(ss.str())) throw std::runtime_error("cannot parse " + p.string());
  return m;
}

enum class Outcome { Pass, Refused, Mismatch, NotRun };
struct Result {
  Outcome outcome = Outcome::NotRun;
  std::string detail;
};

bool close(const std::vector<double>& ours, const ConstTensor& ref, std::string* why) {
  if (long(ours.size()) != ref.numel()) {
    *why = fmt::format("{} values, expected {}", ours.size(), ref.numel());
    return false;
  }
  for (size_t i = 0; i < ours.size(); ++i) {
    const double a = ours[i], b = ref.data[i];
    if (std::isnan(a) && std::isnan(b)) continue;
    if (std::isinf(b) && a == b) continue;
    if (!(std::fabs(a - b) <= 1e-5 * std::max(1.0, std::fabs(b)))) {
      *why = fmt::format("value {} is {}, expected {}", i, a, b);
      return false;
    }
  }
  return true;
}

struct Case {
  std::string name;
  onnx::ModelProto model;
  std::vector<onnx::TensorProto> inputs, outputs;
  std::set<std::string> ops;
};

// Sets dim 0 of a value's shape to a symbol (the batch the engine binds per sample), or
// the whole shape to `dims`.
void set_dims(onnx::ValueInfoProto* vi, const std::vector<int64_t>* dims) {
  auto* shp = vi->mutable_type()->mutable_tensor_type()->mutable_shape();
  if (dims) {
    shp->clear_dim();
    for (auto d : *dims) shp->add_dim()->set_dim_value(d);
  } else if (shp->dim_size() > 0) {
    shp->mutable_dim(0)->set_dim_param("N");
  }
}

// Data-tensor mode: importer + float engine, one sample at a time.
Result run_mapped(const Case& c) {
  Result r;
  const auto& g = c.model.graph();
  const onnx::TensorProto& x = c.inputs.at(0);
  if (x.data_type() != onnx::TensorProto::FLOAT ||
      g.input(0).type().tensor_type().elem_type() != onnx::TensorProto::FLOAT) {
    r.outcome = Outcome::Refused;
    r.detail = fmt::format("data input is {} (the engine computes in float)", dtype_name(x.data_type()));
    return r;
  }
  const ConstTensor xt = decode_tensor(x, "input");
  const std::string op = g.node(0).op_type();
  const size_t rank = xt.dims.size();
  const bool elementwise = g.node_size() == 1 && kElementwise.count(op) && rank != 4 && rank != 5;
  const long batch = elementwise || xt.dims.empty() ? 1 : long(xt.dims[0]);
  std::vector<double> ours;
  for (long m = 0; m < batch; ++m) {
    onnx::ModelProto model = c.model;
    auto* mg = model.mutable_graph();
    mg->clear_value_info();
    // Inputs after the first become initializers (and stop being declared inputs, whose
    // declared shape would contradict a per-sample slice).
    while (mg->input_size() > 1) mg->mutable_input()->RemoveLast();
    for (int i = 1; i < g.input_size() && i < int(c.inputs.size()); ++i) {
      onnx::TensorProto t = c.inputs[size_t(i)];
      t.set_name(g.input(i).name());
      // Gemm's C broadcasts over the batch; one that varies with it goes with its sample.
      const bool per_sample = op == "Gemm" && i == 2 && t.dims_size() == 2 && t.dims(0) == batch && batch > 1;
      if (per_sample) {
        ConstTensor ct = decode_tensor(t, "C");
        const long row = long(ct.dims[1]);
        t.clear_raw_data();
        t.clear_float_data();
        t.set_dims(0, 1);
        for (long k = 0; k < row; ++k) t.add_float_data(float(ct.data[size_t(m * row + k)]));
      }
      *mg->add_initializer() = t;
    }
    std::vector<int64_t> flat = {1, xt.numel(), 1, 1};
    set_dims(mg->mutable_input(0), elementwise ? &flat : nullptr);
    for (auto& o : *mg->mutable_output()) {
      if (elementwise) o.mutable_type()->mutable_tensor_type()->clear_shape();
      else set_dims(&o, nullptr);
    }
    const long per = elementwise ? xt.numel() : xt.numel() / std::max(batch, 1L);
    std::vector<float> sample(static_cast<size_t>(per));
    for (long k = 0; k < per; ++k) sample[size_t(k)] = float(xt.data[size_t(m * per + k)]);
    ImportOptions opt;
    opt.any_output = true;
    Graph graph = import_onnx_bytes(model.SerializeAsString(), c.name, opt);
    if (graph.input().out.size() != per)
      throw Error(fmt::format("input of {} values, sample has {}", graph.input().out.size(), per));
    for (float v : ann_forward_values(graph, sample)) ours.push_back(v);
  }
  const ConstTensor ref = decode_tensor(c.outputs.at(0), "output");
  if (close(ours, ref, &r.detail)) r.outcome = Outcome::Pass;
  else r.outcome = Outcome::Mismatch;
  return r;
}

// Constant mode: every input is a constant; the folder evaluates the graph node by node.
Result run_folded(const Case& c) {
  Result r;
  const auto& g = c.model.graph();
  // ONNX 1.12 writes bfloat16 test data as UINT16 bit patterns: not the declared type.
  for (int i = 0; i < g.input_size() && i < int(c.inputs.size()); ++i) {
    const int declared = g.input(i).type().tensor_type().elem_type();
    if (c.inputs[size_t(i)].data_type() != declared) {
      r.outcome = Outcome::Refused;
      r.detail = fmt::format("test data of input {} is {} where the model declares {}", i,
                             dtype_name(c.inputs[size_t(i)].data_type()), dtype_name(declared));
      return r;
    }
  }
  std::map<std::string, ConstTensor> vals;
  for (int i = 0; i < g.input_size() && i < int(c.inputs.size()); ++i)
    vals[g.input(i).name()] = decode_tensor(c.inputs[size_t(i)], "input");
  for (const auto& n : g.node()) {
    std::vector<const ConstTensor*> in;
    for (const auto& name : n.input()) in.push_back(name.empty() ? nullptr : &vals.at(name));
    std::vector<ConstTensor> out;
    if (!fold_node(n, in, out)) throw Error(fmt::format("op {} is not folded", n.op_type()));
    for (size_t k = 0; k < out.size() && int(k) < n.output_size(); ++k) vals[n.output(int(k))] = out[k];
  }
  for (int k = 0; k < g.output_size(); ++k) {
    const ConstTensor ref = decode_tensor(c.outputs.at(size_t(k)), "output");
    const ConstTensor& ours = vals.at(g.output(k).name());
    if (ours.dims != ref.dims) {
      r.outcome = Outcome::Mismatch;
      r.detail = fmt::format("output {} has shape {}, expected {}", k, fmt::join(ours.dims, "x"),
                             fmt::join(ref.dims, "x"));
      return r;
    }
    if (!close(ours.data, ref, &r.detail)) {
      r.outcome = Outcome::Mismatch;
      return r;
    }
  }
  r.outcome = Outcome::Pass;
  return r;
}

template <class F>
Result guarded(F f) {
  try {
    return f();
  } catch (const Error& e) {
    Result r;
    r.outcome = Outcome::Refused;
    r.detail = e.what();
    return r;
  } catch (const std::exception& e) {
    Result r;
    r.outcome = Outcome::Mismatch;  // anything but a one-line sdm::Error is a fault
    r.detail = std::string("non-sdm exception: ") + e.what();
    return r;
  }
}

std::string cell(const Result& r) {
  switch (r.outcome) {
    case Outcome::Pass: return "pass";
    case Outcome::NotRun: return "–";
    case Outcome::Mismatch: return "**WRONG**: " + r.detail;
    case Outcome::Refused: {
      std::string d = r.detail;
      for (char& ch : d)
        if (ch == '|') ch = '/';
      if (d.size() > 140) d = d.substr(0, 137) + "...";
      return "refused: " + d;
    }
  }
  return "";
}

}  // namespace

TEST(OnnxConformance, NodeTestsPassOrAreRefusedNeverWrong) {
  ASSERT_TRUE(fs::is_directory(kNodeTests)) << kNodeTests << " missing: scripts/setup.sh installs libonnx-testdata";
  std::vector<fs::path> dirs;
  for (const auto& e : fs::directory_iterator(kNodeTests)) dirs.push_back(e.path());
  std::sort(dirs.begin(), dirs.end());
  std::ostringstream table;
  int cases = 0, passed = 0, refused = 0, wrong = 0;
  std::set<std::string> passed_names;
  for (const auto& dir : dirs) {
    Case c;
    c.name = dir.filename().string();
    c.model = read_proto<onnx::ModelProto>(dir / "model.onnx");
    bool known = c.model.graph().node_size() > 0;
    for (const auto& n : c.model.graph().node()) {
      c.ops.insert(n.op_type());
      known = known && (kMapped.count(n.op_type()) || kFolded.count(n.op_type()));
    }
    if (!known) continue;
    const fs::path data = dir / "test_data_set_0";
    for (int i = 0; fs::exists(data / fmt::format("input_{}.pb", i)); ++i)
      c.inputs.push_back(read_proto<onnx::TensorProto>(data / fmt::format("input_{}.pb", i)));
    for (int i = 0; fs::exists(data / fmt::format("output_{}.pb", i)); ++i)
      c.outputs.push_back(read_proto<onnx::TensorProto>(data / fmt::format("output_{}.pb", i)));
    if (c.outputs.empty()) continue;
    Result mapped, folded;
    const auto& g = c.model.graph();
    if (kMapped.count(g.node(0).op_type()) && !c.inputs.empty())
      mapped = guarded([&] { return run_mapped(c); });
    bool all_folded = true;
    for (const auto& op : c.ops) all_folded = all_folded && kFolded.count(op);
    if (all_folded) folded = guarded([&] { return run_folded(c); });
    ++cases;
    const bool any_pass = mapped.outcome == Outcome::Pass || folded.outcome == Outcome::Pass;
    const bool any_wrong = mapped.outcome == Outcome::Mismatch || folded.outcome == Outcome::Mismatch;
    passed += any_pass;
    wrong += any_wrong;
    refused += !any_pass && !any_wrong;
    if (any_pass) passed_names.insert(c.name);
    EXPECT_FALSE(any_wrong) << c.name << ": " << cell(mapped) << " / " << cell(folded);
    std::string ops;
    for (const auto& op : c.ops) ops += (ops.empty() ? "" : ", ") + op;
    table << fmt::format("| `{}` | {} | {} | {} |\n", c.name, ops, cell(mapped), cell(folded));
  }
  for (const auto& name : kMustPass) EXPECT_TRUE(passed_names.count(name)) << name << " must pass";

  std::ostringstream doc;
  doc << "# ONNX conformance of the importer\n\n"
      << "Generated by `tests/test_onnx_conformance.cc` (`SDM_UPDATE_DOCS=1 ctest -R OnnxConformance`)\n"
      << "from ONNX's own backend node tests in Debian's `libonnx-testdata` (ONNX 1.12): every case\n"
      << "whose operators the importer maps or the constant folder evaluates. *Data tensor*: the\n"
      << "importer and the float engine, one sample at a time; *constant*: every input a constant,\n"
      << "evaluated by the folder. A case passes at relative error <= 1e-5 (absolute below\n"
      << "magnitude 1); a refusal is the one-line error a user would see.\n\n"
      << fmt::format("**{} cases: {} pass, {} refused, {} computed wrong.**\n\n", cases, passed, refused, wrong)
      << "| case | ops | data tensor | constant |\n|---|---|---|---|\n"
      << table.str();
  const fs::path doc_path = fs::path(SDM_SOURCE_DIR) / "docs" / "onnx-conformance.md";
  if (const char* u = std::getenv("SDM_UPDATE_DOCS"); u && std::string(u) == "1") {
    std::ofstream(doc_path) << doc.str();
  }
  std::ifstream f(doc_path);
  std::stringstream have;
  have << f.rdbuf();
  EXPECT_EQ(have.str(), doc.str()) << doc_path << " is out of date: SDM_UPDATE_DOCS=1 ctest -R OnnxConformance";
  EXPECT_EQ(wrong, 0);
  std::cout << fmt::format("{} cases: {} pass, {} refused, {} wrong\n", cases, passed, refused, wrong);
}
