// Issue 17, loader half: every bad-input case of its Why section (Kind 4 / 4b) as a
// regression test. Loaders of untrusted bytes (the one .npy reader, the artifact reader,
// the board link) must give one-line sdm::Errors, never crash, never read unbounded input;
// clips are matched to a model by shape; an integer-mode failure does not abort `eval`.
// The fuzz targets in tests/fuzz hunt for the next case; a finding lands here.
#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <string>
#include <vector>

#include <unistd.h>
#include <zlib.h>

#include <nlohmann/json.hpp>

#include "data/dataset.h"
#include "data/npy.h"
#include "fpga/board_link.h"
#include "golden/artifact.h"
#include "golden/error.h"
#include "golden/eval.h"
#include "golden/ir.h"
#include "golden/snn_int.h"

namespace fs = std::filesystem;
using sdm::Error;

namespace {

fs::path tmpdir(const std::string& name) {
  fs::path p = fs::temp_directory_path() / ("sdm_test_loaders_" + name + "_" + std::to_string(::getpid()));
  fs::remove_all(p);
  fs::create_directories(p);
  return p;
}

void write_bytes(const fs::path& p, const std::string& b) {
  std::ofstream f(p, std::ios::binary);
  f.write(b.data(), std::streamsize(b.size()));
}
void write_npy(const fs::path& p, const sdm::npy::NpyArray& a) { sdm::npy::save(p.string(), a); }

// Error message must mention every `what` and be one line.
void expect_error(const std::function<void()>& f, const std::vector<std::string>& what) {
  try {
    f();
    ADD_FAILURE() << "no sdm::Error thrown (expected one mentioning '" << what.front() << "')";
  } catch (const Error& e) {
    const std::string m = e.what();
    for (const auto& w : what) EXPECT_NE(m.find(w), std::string::npos) << "message: " << m;
    EXPECT_EQ(m.find('\n'), std::string::npos) << "multi-line message: " << m;
  }
}

// A .npy image with a hand-written header dictionary (what other writers, or an attacker,
// can put there).
std::string npy_file(const std::string& dict, size_t payload, int major = 1) {
  std::string d = dict;
  const size_t pre = major == 1 ? 10 : 12;
  while ((pre + d.size() + 1) % 64) d.push_back(' ');
  d.push_back('\n');
  std::string b = std::string("\x93NUMPY", 6) + char(major) + '\0';
  b += char(d.size() & 0xff);
  b += char((d.size() >> 8) & 0xff);
  if (major != 1) b += std::string(2, '\0');
  return b + d + std::string(payload, '\7');
}

sdm::npy::NpyArray parse(const std::string& b) {
  return sdm::npy::parse(reinterpret_cast<const uint8_t*>(b.data()), b.size(), "t.npy");
}

struct CliResult {
  int rc = 0;
  std::string out;
};
// Runs the CLI (stdout + stderr) with a time limit: a loader that reads forever fails.
CliResult cli(const std::string& args) {
  CliResult r;
  const std::string cmd = "timeout 60 " + std::string(SDM_CLI) + " " + args + " 2>&1";
  FILE* p = popen(cmd.c_str(), "r");
  char buf[4096];
  while (size_t n = fread(buf, 1, sizeof buf, p)) r.out.append(buf, n);
  r.rc = WEXITSTATUS(pclose(p));
  return r;
}
void expect_one_line_error(const CliResult& r, const std::vector<std::string>& what) {
  EXPECT_NE(r.rc, 0) << r.out;
  EXPECT_NE(r.rc, 124) << "timed out: " << r.out;
  EXPECT_EQ(r.out.rfind("sdmforge: error: ", 0), 0u) << r.out;
  EXPECT_EQ(std::count(r.out.begin(), r.out.end(), '\n'), 1) << r.out;
  for (const auto& w : what) EXPECT_NE(r.out.find(w), std::string::npos) << r.out;
}

// A split folder: clips of `clip_shape` (all pixels 9) and the given labels.
fs::path make_split(const std::string& name, const std::vector<int64_t>& clip_shape,
                    const std::vector<int64_t>& labels) {
  fs::path d = tmpdir(name);
  std::vector<int64_t> shape{int64_t(labels.size())};
  shape.insert(shape.end(), clip_shape.begin(), clip_shape.end());
  size_t n = labels.size();
  for (int64_t s : clip_shape) n *= size_t(s);
  write_npy(d / "clips.npy", sdm::npy::make_u8(shape, std::vector<uint8_t>(n, 9)));
  write_npy(d / "labels.npy", sdm::npy::make_i64({int64_t(labels.size())}, labels));
  return d;
}

// A small network with every op whose shape rules an artifact can break: two Conv ->
// Clip branches, Concat, AvgPool (a SumPool stage), Clip, GlobalAvgPool, Linear.
// Input (1, 2, 4, 4) video; 3 classes.
sdm::Graph tiny_graph() {
  using namespace sdm;
  Graph g;
  g.name = "tiny";
  // Appends a node; returns its id. Weights, windows and lambda are set by the caller.
  auto add = [&](const std::string& name, OpKind kind, std::vector<int> inputs, Shape out) {
    Node n;
    n.name = name;
    n.kind = kind;
    n.inputs = std::move(inputs);
    n.out = out;
    g.nodes.push_back(std::move(n));
    return int(g.nodes.size()) - 1;
  };
  auto conv = [&](const std::string& name, int src, Shape out, std::vector<float> w, std::vector<float> b) {
    const int id = add(name, OpKind::Conv, {src}, out);
    g.nodes.back().weight = std::move(w);
    g.nodes.back().bias = std::move(b);
    return id;
  };
  auto clip = [&](const std::string& name, int src, float lambda) {
    const int id = add(name, OpKind::Clip, {src}, g.nodes[size_t(src)].out);
    g.nodes.back().lambda = lambda;
    return id;
  };
  const int x = add("x", OpKind::Input, {}, Shape{1, 2, 4, 4});
  const int a = clip("clip_a", conv("conv_a", x, Shape{2, 2, 4, 4}, {0.8f, 0.8f}, {0.05f, -0.05f}), 0.9f);
  const int b = clip("clip_b", conv("conv_b", x, Shape{2, 2, 4, 4}, {-0.6f, -0.6f}, {0.05f, -0.05f}), 0.7f);
  const int c = add("cat", OpKind::Concat, {a, b}, Shape{4, 2, 4, 4});
  const int p = add("pool", OpKind::AvgPool, {c}, Shape{4, 2, 2, 2});
  g.nodes.back().kernel = {1, 2, 2};
  g.nodes.back().stride = {1, 2, 2};
  std::vector<float> w2;
  for (int i = 0; i < 8; ++i) w2.push_back(0.1f * float(i % 5) - 0.15f);
  const int k = clip("clip2", conv("conv2", p, Shape{2, 2, 2, 2}, w2, {0.1f, 0.0f}), 0.5f);
  const int ga = add("gap", OpKind::GlobalAvgPool, {k}, Shape{2, 1, 1, 1});
  g.output = add("fc", OpKind::Linear, {ga}, Shape{3, 1, 1, 1});
  g.nodes.back().weight = {0.5f, -0.2f, 0.1f, 0.3f, -0.4f, 0.2f};
  g.nodes.back().bias = {0.0f, 0.1f, -0.1f};
  g.validate();
  return g;
}

std::string tiny_artifact_bytes() {
  sdm::Config cfg;
  cfg.T = 2;
  return sdm::serialize_artifact(sdm::make_artifact(tiny_graph(), cfg));
}

// Rewrites an artifact's manifest and sets a valid CRC: the file is "intact" as far as
// the checksum can tell, only its contents lie.
std::string edit_manifest(const std::string& bytes, const std::function<void(nlohmann::json&)>& edit) {
  auto u64 = [&](size_t at) {
    uint64_t v = 0;
    for (int i = 0; i < 8; ++i) v |= uint64_t(uint8_t(bytes[at + size_t(i)])) << (8 * i);
    return v;
  };
  const uint64_t mlen = u64(12);
  nlohmann::json m = nlohmann::json::parse(bytes.substr(20, mlen));
  edit(m);
  const std::string man = m.dump();
  std::string out = bytes.substr(0, 12);
  for (int i = 0; i < 8; ++i) out += char((uint64_t(man.size()) >> (8 * i)) & 0xff);
  out += man;
  out += bytes.substr(20 + mlen, bytes.size() - 20 - mlen - 4);
  const uint32_t crc = uint32_t(crc32(0L, reinterpret_cast<const Bytef*>(out.data()), uInt(out.size())));
  for (int i = 0; i < 4; ++i) out += char((crc >> (8 * i)) & 0xff);
  return out;
}

nlohmann::json& node(nlohmann::json& m, const std::string& name) {
  for (auto& n : m["graph"]["nodes"])
    if (n["name"] == name) return n;
  throw std::runtime_error("no node " + name);
}

// Parses and, if that succeeds, runs both models on one clip (what a crash needed).
void load_and_run(const std::string& bytes) {
  sdm::Artifact a = sdm::parse_artifact(bytes, "t.sdm");
  std::vector<uint8_t> clip(size_t(a.graph.input().out.size()), 100);
  sdm::IntSnn snn(a.qnet);
  snn.run(clip.data());
}

}  // namespace

// ------------------------------------------------------------ one .npy reader

TEST(NpyReader, ShortAndMalformedHeadersOfEveryVersion) {
  for (int major : {1, 2, 3}) {
    const std::string good = npy_file("{'descr': '|u1', 'fortran_order': False, 'shape': (2, 3), }", 6, major);
    EXPECT_EQ(parse(good).numel(), 6);
    // Every prefix is an error, never an out-of-bounds read (ASan checks the latter).
    for (size_t cut = 0; cut < good.size(); ++cut)
      EXPECT_THROW(parse(good.substr(0, cut)), Error) << "v" << major << " cut at " << cut;
  }
  // A v2/v3 header whose 4-byte length field is itself cut short.
  expect_error([] { parse(std::string("\x93NUMPY\x02\x00\xff\xff", 10)); }, {"truncated"});
  expect_error([] { parse(std::string("\x93NUMPY\x03\x00\x10", 9)); }, {"bad magic"});
  expect_error([] { parse(npy_file("{'descr': '|u1', 'fortran_order': False, 'shape': (2, 3)", 6)); }, {"bad .npy header"});
  expect_error([] { parse(npy_file("{'descr': '|u1', 'shape': (2, 3), }", 6)); }, {"missing"});
}

TEST(NpyReader, ShapeProductOverflowIsRefused) {
  // Wrapping products of dimensions: with N = 0 the payload is empty, but the clip size
  // (the product of the other dimensions) would wrap, so the reader refuses it.
  expect_error([] { parse(npy_file("{'descr': '|u1', 'fortran_order': False, 'shape': (0, 4294967296, 4294967296), }", 0)); },
               {"(0, 4294967296, 4294967296)"});
  expect_error([] { parse(npy_file("{'descr': '<i8', 'fortran_order': False, 'shape': (4611686018427387905, 4), }", 32)); },
               {"more elements than an int64 counts"});
  expect_error([] { parse(npy_file("{'descr': '|u1', 'fortran_order': False, 'shape': (99999999999999999999,), }", 1)); },
               {"too large"});
}

TEST(NpyReader, DataShorterThanTheHeaderSays) {
  expect_error([] { parse(npy_file("{'descr': '<f4', 'fortran_order': False, 'shape': (3,), }", 11)); },
               {"truncated data", "12 bytes", "11"});
}

TEST(NpyReader, FortranBigEndianFloatClipsAndColumnLabels) {
  // Refused naming the problem, or (N x 1 labels) converted exactly.
  fs::path d = make_split("layouts", {1, 2, 2, 2}, {0, 1, 1});
  write_bytes(d / "labels.npy", npy_file("{'descr': '>i8', 'fortran_order': False, 'shape': (3,), }", 24));
  expect_error([&] { sdm::load_dataset(d.string()); }, {"big-endian", ">i8"});
  write_npy(d / "labels.npy", sdm::npy::make_i64({3, 1}, {2, 0, 1}));
  sdm::Dataset ds = sdm::load_dataset(d.string());
  EXPECT_EQ(ds.labels, (std::vector<int64_t>{2, 0, 1}));
  EXPECT_EQ(ds.num_classes, 3);
  write_npy(d / "labels.npy", sdm::npy::make_i64({3, 2}, {0, 0, 1, 1, 2, 2}));
  expect_error([&] { sdm::load_dataset(d.string()); }, {"(N, 1)"});
  write_npy(d / "labels.npy", sdm::npy::make_i64({3}, {0, 1, 2}));
  write_npy(d / "clips.npy", sdm::npy::make_f32({3, 1, 2, 2, 2}, std::vector<float>(24, 0.5f)));
  expect_error([&] { sdm::load_dataset(d.string()); }, {"clips.npy", "'f4'"});
  write_bytes(d / "clips.npy", npy_file("{'descr': '|u1', 'fortran_order': True, 'shape': (3, 1, 2, 2, 2), }", 24));
  expect_error([&] { sdm::load_dataset(d.string()); }, {"Fortran"});
  fs::remove_all(d);
}

TEST(NpyReader, BoardUsesTheSharedReader) {
  fs::path d = tmpdir("board");
  // Short v2 header: the board's own parser read 2 bytes past the 10-byte file.
  write_bytes(d / "short.npy", std::string("\x93NUMPY\x02\x00\xff\xff", 10));
  expect_error([&] { sdm::fpga::load_clip((d / "short.npy").string(), 0, 0); }, {"short.npy", "truncated"});
  // shape[0] * per wrapped to 4, and clip 1 was read from past the end of the buffer.
  write_bytes(d / "wrap.npy", npy_file("{'descr': '|u1', 'fortran_order': False, 'shape': (4611686018427387905, 4), }", 4));
  expect_error([&] { sdm::fpga::load_clip((d / "wrap.npy").string(), 1, 0); }, {"wrap.npy"});
  // The same dtype/order rules as every other loader.
  write_bytes(d / "f.npy", npy_file("{'descr': '|u1', 'fortran_order': True, 'shape': (2, 4), }", 8));
  expect_error([&] { sdm::fpga::load_clip((d / "f.npy").string(), 0, 0); }, {"Fortran"});
  write_npy(d / "f4.npy", sdm::npy::make_f32({2, 2}, {1, 2, 3, 4}));
  expect_error([&] { sdm::fpga::load_clip((d / "f4.npy").string(), 0, 0); }, {"'f4'"});
  write_npy(d / "ok.npy", sdm::npy::make_u8({3, 2}, {1, 2, 3, 4, 5, 6}));
  EXPECT_EQ(sdm::fpga::load_clip((d / "ok.npy").string(), 2, 2), (std::vector<uint8_t>{5, 6}));
  expect_error([&] { sdm::fpga::load_clip((d / "ok.npy").string(), 3, 2); }, {"--index 3"});
  fs::remove_all(d);
}

TEST(BoardFrame, ParserChecksEveryField) {
  auto src_of = [](const std::vector<uint8_t>& bytes) {
    auto at = std::make_shared<size_t>(0);
    return sdm::fpga::ByteSource([bytes, at](size_t n, const std::string& what) {
      if (n > bytes.size() - *at) throw Error("timeout waiting for " + what);
      std::vector<uint8_t> r(bytes.begin() + long(*at), bytes.begin() + long(*at + n));
      *at += n;
      return r;
    });
  };
  auto frame = [](char t, std::vector<uint8_t> p) {
    std::vector<uint8_t> f{0x5A, uint8_t(t)};
    f.insert(f.end(), p.begin(), p.end());
    unsigned s = 0;
    for (size_t i = 1; i < f.size(); ++i) s += f[i];
    f.push_back(uint8_t(s));
    return f;
  };
  // protocol 2: version, K, class_w, logit_w, clip_bytes, clk_hz, baud, rx_fifo (4096)
  std::vector<uint8_t> info_p{2, 3, 2, 16, 64, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 16, 0, 0};
  const size_t ip = sdm::fpga::kInfoPayload;
  ASSERT_EQ(info_p.size(), ip);
  auto good = frame('I', info_p);
  good.insert(good.begin(), {0x00, 0x13});  // line noise before the sync byte
  const auto info = sdm::fpga::decode_info(sdm::fpga::read_board_frame(src_of(good), 'I', ip, "p"));
  EXPECT_EQ(info.num_classes, 3);
  EXPECT_EQ(info.clip_bytes, 64u);
  EXPECT_EQ(info.rx_fifo_bytes, 4096u);
  // a protocol-1 board's 16-byte payload
  expect_error([&] { sdm::fpga::decode_info(std::vector<uint8_t>(info_p.begin(), info_p.begin() + 16)); },
               {"16 bytes", "protocol 2"});
  auto bad_sum = frame('I', info_p);
  bad_sum.back() ^= 1;
  expect_error([&] { sdm::fpga::read_board_frame(src_of(bad_sum), 'I', ip, "p"); }, {"bad checksum"});
  expect_error([&] { sdm::fpga::read_board_frame(src_of({0x5A, 'I', 1}), 'I', ip, "p"); }, {"timeout"});
  std::vector<uint8_t> res_p(1 + 4 * 3 + 4, 0);
  res_p[0] = 3;  // class 3 of 3
  expect_error([&] { sdm::fpga::decode_result(res_p, info); }, {"class 3 of 3"});
  expect_error([&] { sdm::fpga::decode_result({1, 2}, info); }, {"2 bytes"});
  info_p[0] = 1;
  expect_error([&] { sdm::fpga::decode_info(info_p); }, {"version 1"});
  info_p[0] = 3;
  expect_error([&] { sdm::fpga::decode_info(info_p); }, {"version 3"});
}

// ------------------------------------------------------------ data sets (CLI)

TEST(DataInfo, HugeLabelIsAnErrorNotAnOutOfBoundsWrite) {
  fs::path d = make_split("label_huge", {1, 2, 2, 2}, {0, 4294967297});
  expect_one_line_error(cli("data info " + d.string()), {"4294967297", "labels.npy"});
  fs::remove_all(d);
}

TEST(DataInfo, LabelTwoBillionDoesNotAllocateTwoBillionNames) {
  fs::path d = make_split("label_2e9", {1, 2, 2, 2}, {2000000000, 1});
  expect_one_line_error(cli("data info " + d.string()), {"2000000000", "index 0"});
  fs::remove_all(d);
}

TEST(DataInfo, DoesNotCallChannelLastClipsCFHW) {
  fs::path d = make_split("chlast", {8, 16, 16, 1}, {0, 1});  // (N, F, H, W, C)
  CliResult r = cli("data info " + d.string());
  ASSERT_EQ(r.rc, 0) << r.out;
  nlohmann::json j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["kind"].get<std::string>().find("video (C,F,H,W)"), std::string::npos) << j.dump();
  ASSERT_TRUE(j.contains("warning")) << j.dump();
  EXPECT_NE(j["warning"].get<std::string>().find("axis 3"), std::string::npos) << j.dump();
  fs::remove_all(d);
}

TEST(Loaders, DevZeroIsRefusedByItsMagicNotReadForever) {
  expect_one_line_error(cli("eval /dev/zero --data " + std::string(SDM_SOURCE_DIR) + "/models/digits2d/data"),
                        {"/dev/zero", "bad magic"});
  expect_error([] { sdm::load_artifact("/dev/zero"); }, {"bad magic"});
  expect_error([] { sdm::npy::load("/dev/zero"); }, {"bad magic"});
  expect_error([] { sdm::fpga::load_clip("/dev/zero", 0, 0); }, {"/dev/zero"});
}

// ------------------------------------------------------------ artifact contents

TEST(ArtifactContents, IntactFileRoundTripsAndRuns) {
  const std::string bytes = tiny_artifact_bytes();
  EXPECT_NO_THROW(load_and_run(bytes));
  // The identity edit keeps it valid: the helper itself is not what the tests below catch.
  EXPECT_NO_THROW(load_and_run(edit_manifest(bytes, [](nlohmann::json&) {})));
}

TEST(ArtifactContents, ValidCrcInconsistentContentsAreOneLineErrors) {
  const std::string bytes = tiny_artifact_bytes();
  struct Case {
    const char* name;
    std::function<void(nlohmann::json&)> edit;
    std::vector<std::string> what;
  };
  const std::vector<Case> cases = {
      {"graph conv stride 0", [](nlohmann::json& m) { node(m, "conv_a")["stride"] = {0, 1, 1}; }, {"conv_a", "stride 0"}},
      {"qnet conv stride 0",
       [](nlohmann::json& m) {
         for (auto& s : m["qnet"]["stages"])
           if (s["kind"] == "neuron" && s["terms"][0]["kind"] == "conv") { s["terms"][0]["stride"] = {1, 0, 1}; break; }
       },
       {"stride 0"}},
      {"sumpool stride 0",
       [](nlohmann::json& m) {
         for (auto& s : m["qnet"]["stages"])
           if (s["kind"] == "sumpool") { s["stride"] = {0, 2, 2}; break; }
       },
       {"stride 0"}},
      {"concat output smaller than its inputs", [](nlohmann::json& m) { node(m, "cat")["out"] = {3, 2, 4, 4}; }, {"cat", "channels"}},
      {"clip output smaller than its input", [](nlohmann::json& m) { node(m, "clip_a")["out"] = {1, 2, 4, 4}; }, {"clip_a", "differs"}},
      {"tensor lo > hi",
       [](nlohmann::json& m) {
         auto& t = m["qnet"]["tensors"][1];
         t["lo"] = 5;
         t["hi"] = -5;
       },
       {"range [5, -5]"}},
      {"pool output larger than its window", [](nlohmann::json& m) { node(m, "pool")["out"] = {4, 2, 3, 3}; }, {"pool", "does not match the window"}},
      {"huge kernel", [](nlohmann::json& m) { node(m, "conv_a")["kernel"] = {1, 2147483647, 2147483647}; }, {"conv_a", "kernel"}},
      {"NaN lambda", [](nlohmann::json& m) { node(m, "clip2")["lambda"] = nullptr; }, {"malformed manifest"}},
      {"zero input scale", [](nlohmann::json& m) { m["graph"]["input_scale"] = 0.0; }, {"input scaling"}},
      {"readout not last",
       [](nlohmann::json& m) {
         auto& st = m["qnet"]["stages"];
         std::swap(st[0], st[st.size() - 1]);
       },
       {"'t.sdm'"}},
      {"spike range wider than the rule", [](nlohmann::json& m) {
         for (auto& s : m["qnet"]["stages"])
           if (s["kind"] == "neuron") { m["qnet"]["tensors"][s["out"].get<int>()]["hi"] = 100000; break; }
       }, {"spike tensor range"}},
      {"accumulator too narrow", [](nlohmann::json& m) {
         for (auto& s : m["qnet"]["stages"])
           if (s["kind"] == "neuron") { s["acc_bits"] = 2; break; }
       }, {"accumulator width 2"}},
      {"config T = 0", [](nlohmann::json& m) { m["config"]["T"] = 0; }, {"T"}},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    const std::string bad = edit_manifest(bytes, c.edit);
    expect_error([&] { load_and_run(bad); }, c.what);
  }
}

// ------------------------------------------------------------ clips vs model input

TEST(ClipShape, ChannelLastOrFrameFirstClipsAreRefusedNamingBothShapes) {
  const sdm::Graph g = tiny_graph();  // input (C, F, H, W) = (1, 2, 4, 4)
  std::vector<uint8_t> px(2 * 32, 9);
  for (const std::vector<int64_t>& shape : {std::vector<int64_t>{2, 4, 4, 1}, std::vector<int64_t>{2, 1, 4, 4}}) {
    sdm::ClipSet cs;
    cs.data = px.data();
    cs.n = 2;
    cs.clip_size = 32;  // the same element count: only the shape tells them apart
    cs.shape = shape;
    cs.labels = {0, 1};
    sdm::EvalRequest req;
    req.specs = {sdm::NeuronSpec{}};
    req.Ts = {1};
    req.threads = 1;
    const std::string s = shape[1] == 4 ? "(2, 4, 4, 1)" : "(2, 1, 4, 4)";
    expect_error([&] { sdm::evaluate(g, cs, req); }, {s, "(1, 2, 4, 4)"});
  }
  EXPECT_NO_THROW(sdm::check_clip_shape({1, 2, 4, 4}, g.input().out));
  // A 2D model (F = 1) takes (C, H, W) clips.
  EXPECT_NO_THROW(sdm::check_clip_shape({3, 8, 8}, sdm::Shape{3, 1, 8, 8}));
  expect_error([] { sdm::check_clip_shape({8, 8, 3}, sdm::Shape{3, 1, 8, 8}); }, {"(8, 8, 3)"});
}

TEST(ClipShape, EvalCliRefusesChannelLastClips) {
  // models/digits2d takes (1, 8, 8) images; give it (8, 8, 1).
  fs::path d = make_split("eval_chlast", {8, 8, 1}, {0, 1});
  expect_one_line_error(cli("eval " + std::string(SDM_SOURCE_DIR) + "/models/digits2d/model.onnx --T 1 --data " +
                            d.string()),
                        {"(8, 8, 1)", "(1, 8, 8)"});
  fs::remove_all(d);
}

TEST(ClipShape, CamRefusesDataThatIsNotTheModelInput) {
  // cam read past the clip buffer when the clips were smaller than the model's input.
  fs::path d = make_split("cam_small", {1, 4, 4}, {0, 1});
  expect_one_line_error(cli("cam " + std::string(SDM_SOURCE_DIR) + "/models/digits2d/model.onnx --clips 0 --T 1 --data " +
                            d.string()),
                        {"(1, 4, 4)", "(1, 8, 8)"});
  fs::remove_all(d);
}

// ------------------------------------------------------------ eval and integer mode

TEST(EvalIntMode, UnrepresentableNetworkGivesFloatRowsAndANote) {
  sdm::Graph g = tiny_graph();
  g.input_bias = 0.25f;  // integer mode needs a zero input offset
  std::vector<uint8_t> px(2 * 32, 50);
  sdm::ClipSet cs;
  cs.data = px.data();
  cs.n = 2;
  cs.clip_size = 32;
  cs.shape = {1, 2, 4, 4};
  cs.labels = {0, 1};
  sdm::EvalRequest req;
  req.specs = {sdm::NeuronSpec{}};
  req.Ts = {1, 2};
  req.threads = 1;
  sdm::EvalResult r = sdm::evaluate(g, cs, req);  // float and int requested
  ASSERT_EQ(r.rows.size(), 2u);
  for (const auto& row : r.rows) EXPECT_EQ(row.mode, "float");
  ASSERT_EQ(r.notes.size(), 1u);
  EXPECT_NE(r.notes[0].find("input offset"), std::string::npos) << r.notes[0];
}
