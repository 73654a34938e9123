// Regression cases of issue 17 that run the CLI: commands never destroy or misreport
// their inputs (Kind 3), values mean what the user wrote (Kind 4c) and one configuration
// with one set of limits reaches every command (Kind 2).
#include <sys/wait.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <cmath>
#include <fstream>
#include <set>
#include <string>
#include <vector>

#include <fmt/core.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "data/dataset.h"
#include "golden/artifact.h"
#include "golden/config.h"
#include "golden/error.h"
#include "golden/fileio.h"
#include "golden/version.h"
#include "rtl_gen/accel_gen.h"

namespace fs = std::filesystem;

namespace {

std::string fx(const std::string& name) { return std::string(SDM_FIXTURE_DIR) + "/" + name; }
const std::string kCli = SDM_CLI;

struct Out {
  int rc = 0;
  std::string text;
};

Out run(const std::string& args) {
  Out o;
  FILE* p = popen((kCli + " " + args + " 2>&1").c_str(), "r");
  char buf[4096];
  size_t k;
  while ((k = fread(buf, 1, sizeof buf, p)) > 0) o.text.append(buf, k);
  o.rc = WEXITSTATUS(pclose(p));
  return o;
}

// One line "sdmforge: error: ..." holding `needle`, non-zero exit.
void expect_error(const std::string& args, const std::string& needle) {
  Out o = run(args);
  EXPECT_EQ(o.rc, 2) << args << "\n" << o.text;  // docs/cli.md: bad input exits with status 2
  EXPECT_EQ(std::count(o.text.begin(), o.text.end(), '\n'), 1) << args << "\n" << o.text;
  EXPECT_EQ(o.text.rfind("sdmforge: error: ", 0), 0u) << args << "\n" << o.text;
  EXPECT_NE(o.text.find(needle), std::string::npos) << args << "\n" << o.text;
}

std::string tmpdir(const std::string& name) {
  const std::string d = std::string(SDM_BINARY_DIR) + "/cli17/" + name;
  fs::remove_all(d);
  fs::create_directories(d);
  return d;
}

std::string artifact(const std::string& dir, const std::string& flags = "") {
  const std::string a = dir + "/net.sdm";
  Out o = run("convert " + fx("net2d.onnx") + " -o " + a + " " + flags);
  EXPECT_EQ(o.rc, 0) << o.text;
  return a;
}

}  // namespace

// `rtl D/net.sdm -o D` truncated the artifact it was copying onto itself.
TEST(CliKind3, RtlIntoTheArtifactsOwnFolderKeepsTheArtifact) {
  const std::string d = tmpdir("rtl_alias");
  const std::string a = artifact(d);
  const std::string before = sdm::read_file_bytes(a);
  ASSERT_GT(before.size(), 100u);
  expect_error("rtl " + a + " -o " + d, "is the input");
  expect_error("rtl " + a + " -o " + d + "/../rtl_alias/", "is the input");
  EXPECT_EQ(sdm::read_file_bytes(a), before);
  EXPECT_FALSE(fs::exists(d + "/sdm_accel.v"));  // refused before anything was written
  // Another folder gets a byte-identical copy.
  Out o = run("rtl " + a + " -o " + d + "/rtl --lanes 2");
  ASSERT_EQ(o.rc, 0) << o.text;
  EXPECT_EQ(sdm::read_file_bytes(d + "/rtl/net.sdm"), before);
}

// Found by a break-test of the new engine: an empty -o wrote the design into '/', --json
// naming one of the design's own files replaced it, --board "" was ignored, T > 256 died in
// the Verilog emitter. Each is one line now, and nothing is written.
TEST(CliKind3, RtlRefusesEmptyFolderDuplicateOutputsEmptyBoardAndLargeT) {
  const std::string d = tmpdir("rtl_outputs");
  const std::string a = artifact(d);
  expect_error("rtl " + a + " -o ''", "output folder is empty");
  expect_error("rtl " + a + " -o " + d + "/j --json " + d + "/j/sdm_accel.v", "named twice");
  EXPECT_FALSE(fs::exists(d + "/j/sdm_accel.v"));
  expect_error("rtl " + a + " -o " + d + "/b --board ''", "unknown board ''");
  const std::string big = d + "/t257.sdm";
  ASSERT_EQ(run("convert " + fx("net2d.onnx") + " --T 257 -o " + big).rc, 0);
  expect_error("rtl " + big + " -o " + d + "/t", "supports T <= 256");
  EXPECT_FALSE(fs::exists(d + "/t/sdm_accel.v"));
  // the signature's config carries the design's lanes, not the artifact's placeholder
  ASSERT_EQ(run("rtl " + a + " -o " + d + "/r --lanes 3").rc, 0);
  const auto sig = nlohmann::json::parse(sdm::read_file_bytes(d + "/r/signature.json"));
  EXPECT_EQ(sig["config"]["lanes"].get<int>(), 3);
}

// A design `rtl --board B` sized for B was synthesized for the iCEBreaker when `synth` was
// not told the board again. It is built for B now (an explicit --board still wins); the
// auto clock's first placement limit is where the flow names the board before any tool runs.
TEST(CliKind3, SynthBuildsForTheBoardRtlPicked) {
  const std::string d = tmpdir("synth_board");
  const std::string a = artifact(d);
  ASSERT_EQ(run("rtl " + a + " -o " + d + "/u --board ulx3s").rc, 0);
  expect_error("synth " + d + "/u --auto-from 1", "on ulx3s");
  expect_error("synth " + d + "/u --auto-from 1 --board icebreaker", "on icebreaker");
  ASSERT_EQ(run("rtl " + a + " -o " + d + "/p --lanes 2").rc, 0);
  expect_error("synth " + d + "/p --auto-from 1", "on icebreaker");
  // nextpnr's router is checked before any tool runs
  expect_error("synth " + d + "/p --router router3", "--router 'router3' is not a nextpnr router");
}

// --json naming an input of the command is refused, input untouched.
TEST(CliKind3, JsonOutputNamingAnInputIsRefused) {
  const std::string d = tmpdir("json_alias");
  const std::string a = artifact(d);
  const std::string before = sdm::read_file_bytes(a);
  const std::string labels = fx("net2d/labels.npy");
  const std::string lbefore = sdm::read_file_bytes(labels);
  expect_error("eval " + a + " --data " + fx("net2d") + " --json " + a, "is the input");
  expect_error("eval " + a + " --data " + fx("net2d") + " --json " + labels, "is the input");
  expect_error("energy " + a + " --data " + fx("net2d") + " --json " + a, "is the input");
  expect_error("convert " + fx("net2d.onnx") + " -o " + d + "/x.sdm --json " + fx("net2d.onnx"), "is the input");
  expect_error("data info " + fx("net2d") + " --json " + labels, "is the input");
  // --json naming a folder: refused before the design is written (it was written, then the
  // rename of the JSON failed)
  fs::create_directories(d + "/grid");
  expect_error("rtl " + a + " -o " + d + "/o_j --lanes 2 --json " + d + "/grid", "is a folder");
  EXPECT_FALSE(fs::exists(d + "/o_j"));
  EXPECT_EQ(sdm::read_file_bytes(a), before);
  EXPECT_EQ(sdm::read_file_bytes(labels), lbefore);
}

// `cosim --first N` with N >= the clip count compared 0 clips and passed; N < 0 read
// outside the arrays. Both are refused before Verilator is started.
TEST(CliKind3, CosimFirstOutsideTheDataIsAnError) {
  const std::string d = tmpdir("cosim_first");
  const std::string a = artifact(d);
  ASSERT_EQ(run("rtl " + a + " -o " + d + "/rtl --lanes 2").rc, 0);
  const long n = long(sdm::load_dataset(fx("net2d")).size());
  expect_error("cosim " + d + "/rtl --data " + fx("net2d") + " --first " + std::to_string(n), "outside the");
  expect_error("cosim " + d + "/rtl --data " + fx("net2d") + " --first 100000", "outside the");
  expect_error("cosim " + d + "/rtl --data " + fx("net2d") + " --first -1", "--first -1");
  EXPECT_FALSE(fs::exists(d + "/rtl/obj_dir"));
}

// `eval --limit 0` and `--limit -3` meant "all clips".
TEST(CliKind4c, EvalLimitBelowOneIsAnError) {
  expect_error("eval " + fx("net2d.onnx") + " --data " + fx("net2d") + " --T 2 --limit 0", "--limit 0");
  expect_error("eval " + fx("net2d.onnx") + " --data " + fx("net2d") + " --T 2 --limit -3", "--limit -3");
  Out o = run("eval " + fx("net2d.onnx") + " --data " + fx("net2d") + " --T 2 --mode float --limit 5 -q");
  ASSERT_EQ(o.rc, 0) << o.text;
  EXPECT_EQ(nlohmann::json::parse(o.text)["clips"], 5);
}

// A label of 12 for a 10-class model was scored as a miss (docs/data.md: an error).
TEST(CliKind4c, LabelOutsideTheModelsClassesIsAnError) {
  const std::string d = tmpdir("label12");
  sdm::Dataset ds = sdm::load_dataset(fx("net2d"));
  ds.labels[3] = 12;
  sdm::save_split(d, ds.clip_shape, ds.clips, ds.labels);
  expect_error("eval " + fx("net2d.onnx") + " --data " + d + " --T 2", "label 12 of clip 3");
  expect_error("energy " + fx("net2d.onnx") + " --data " + d + " --no-hw", "label 12 of clip 3");
}

// `run` failing in its preflight left an empty output folder.
TEST(CliKind4c, RunFailingBeforeItsFirstStageLeavesNoFolder) {
  const std::string d = tmpdir("run_nofolder") + "/out";
  Out o = run("run --out " + d + " --no-report --clips 0 --boards nosuchboard");
  EXPECT_NE(o.rc, 0) << o.text;
  EXPECT_NE(o.text.find("nosuchboard"), std::string::npos) << o.text;
  EXPECT_FALSE(fs::exists(d)) << o.text;
  // Bad data is found after the folder is made: still nothing left behind.
  o = run("run --out " + d + " --no-report --clips 0 --skip-synth --data " + d + "/../nodata");
  EXPECT_NE(o.rc, 0) << o.text;
  EXPECT_FALSE(fs::exists(d)) << o.text;
}

namespace {

// (method, alpha, beta, dual, T, weight_bits) of every row of an eval JSON.
std::set<std::string> rows(const std::string& json_text) {
  std::set<std::string> r;
  const nlohmann::json j = nlohmann::json::parse(json_text);
  for (const auto& x : j.at("results"))
    r.insert(fmt::format("{} a={} b={} dual={} T={} wb={}", x["method"].get<std::string>(), x["alpha"].get<double>(),
                         x["beta"].get<int>(), x["dual"].get<bool>(), x["T"].get<int>(), x["weight_bits"].get<int>()));
  return r;
}

}  // namespace

// eval of an artifact replaced explicit --alpha 0.2 --beta 5 (the defaults) by the
// artifact's values, paired --alpha with beta 5 instead of the artifact's beta, and
// ignored the artifact's dual and weight bits.
TEST(CliKind2, EvalHonoursTheArtifactAndExplicitFlags) {
  const std::string d = tmpdir("precedence");
  const std::string a = artifact(d, "--alpha 0.3 --beta 3 --T 8 --no-dual --weight-bits 4");
  const std::string base = "eval " + a + " --data " + fx("net2d") + " --mode float,int -q";
  Out o = run(base);
  ASSERT_EQ(o.rc, 0) << o.text;
  EXPECT_EQ(rows(o.text), (std::set<std::string>{"sdm a=0.3 b=3 dual=false T=8 wb=4"}));
  o = run(base + " --alpha 0.2 --beta 5");
  ASSERT_EQ(o.rc, 0) << o.text;
  EXPECT_EQ(rows(o.text), (std::set<std::string>{"sdm a=0.2 b=5 dual=false T=8 wb=4"}));
  o = run(base + " --alpha 0.4");
  ASSERT_EQ(o.rc, 0) << o.text;
  EXPECT_EQ(rows(o.text), (std::set<std::string>{"sdm a=0.4 b=3 dual=false T=8 wb=4"}));
  o = run(base + " --weight-bits 8 --T 2,4");
  ASSERT_EQ(o.rc, 0) << o.text;
  EXPECT_EQ(rows(o.text), (std::set<std::string>{"sdm a=0.3 b=3 dual=false T=2 wb=8",
                                                 "sdm a=0.3 b=3 dual=false T=4 wb=8"}));
  // energy reads the same configuration
  o = run("energy " + a + " --data " + fx("net2d") + " --no-hw -q --clips 4");
  ASSERT_EQ(o.rc, 0) << o.text;
  const auto cfg = nlohmann::json::parse(o.text)["config"];
  EXPECT_EQ(cfg["alpha"], 0.3);
  EXPECT_EQ(cfg["beta"], 3);
  EXPECT_EQ(cfg["dual"], false);
  EXPECT_EQ(cfg["weight_bits"], 4);
  EXPECT_EQ(cfg["T"], 8);
}

// One set of limits: the same value is refused with the same message by every command.
TEST(CliKind2, OneSetOfLimitsForEveryCommand) {
  const std::string d = tmpdir("limits");
  const std::string a = artifact(d);
  const std::string data = " --data " + fx("net2d");
  for (const std::string& cmd : {"rtl " + a + " -o " + d + "/r", "energy " + a + data, "run --out " + d + "/run"})
    expect_error(cmd + " --lanes 65", "lanes = 65 outside [1, 64]");
  for (const std::string& cmd : {"rtl " + a + " -o " + d + "/r", "energy " + a + data, "run --out " + d + "/run"}) {
    expect_error(cmd + " --lanes 8 --simd 3", "simd = 3 must be a power of two in [1, 16]");
    expect_error(cmd + " --lanes 6 --simd 4", "simd = 4 must divide lanes = 6");
    expect_error(cmd + " --lanes 32 --simd 32", "simd = 32 must be a power of two in [1, 16]");
    expect_error(cmd + " --lanes 8 --positions 3", "positions = 3 outside [1, 2]");
    expect_error(cmd + " --lanes 3 --positions 2", "positions = 2 needs an even lane count, not lanes = 3");
    expect_error(cmd + " --lanes 4 --positions 2 --shared-neuron", "positions = 2 needs a neuron per lane");
  }
  // --T 1e20 was undefined behaviour (reported T = -2147483648)
  expect_error("eval " + a + data + " --T 1e20", "T = 1e20");
  expect_error("eval " + a + data + " --T 5000", "T = 5000 is larger than the supported 4096");
  expect_error("convert " + fx("net2d.onnx") + " -o " + d + "/x.sdm --T 5000", "T = 5000 is larger than the supported 4096");
  expect_error("cam " + fx("net2d.onnx") + data + " --T 4,5000", "T = 5000 is larger than the supported 4096");
  expect_error("convert " + fx("net2d.onnx") + " -o " + d + "/x.sdm --T 1e20", "1e20");
  // --threads 100000 ended in std::terminate
  expect_error("eval " + a + data + " --threads 100000", "threads = 100000 outside [1, 256]");
  expect_error("energy " + a + data + " --threads 100000", "threads = 100000 outside [1, 256]");
  EXPECT_FALSE(fs::exists(d + "/x.sdm"));
}

// run's caches are keyed by the tool version: an upgrade never reuses an old result.
TEST(CliKind2, CacheKeyIncludesTheToolVersion) {
  const std::vector<std::string> parts{"rtl", "abc", "4"};
  EXPECT_EQ(sdm::cache_key(parts), sdm::cache_key(parts, sdm::kVersion));
  EXPECT_NE(sdm::cache_key(parts, "0.1.0"), sdm::cache_key(parts, "0.1.1"));
  EXPECT_NE(sdm::cache_key({"ab", "c"}), sdm::cache_key({"a", "bc"}));
  Out o = run("--version");
  EXPECT_NE(o.text.find(sdm::kVersion), std::string::npos) << o.text;
}

// cam read past the clip buffer for data of another shape, indexed the Linear weights of
// a Clip -> Flatten -> Gemm head as if pooled, and ran rts at the largest T only.
TEST(CliKind4, CamChecksDataFlattenHeadsAndRtsT) {
  const std::string d = tmpdir("cam17");
  expect_error("cam " + fx("net2d.onnx") + " --data " + fx("residual3d"), "the model's input");
  Out o = run("cam " + fx("flathead.onnx") + " --data " + fx("flathead") + " --clips 0,1 --T 8");
  ASSERT_EQ(o.rc, 0) << o.text;
  auto j = nlohmann::json::parse(o.text);
  for (const auto& c : j["clips"]) {
    const auto cam = c["ann"]["cam"].get<std::vector<double>>();
    ASSERT_EQ(cam.size(), 4u * 6u * 6u);
    double mean = 0;
    for (double v : cam) mean += v / double(cam.size());
    const int k = c["class"];
    // mean(CAM_k) + bias_k = ANN logit k, for the flattened head as for the pooled one
    EXPECT_NEAR(mean + j["bias"][size_t(k)].get<double>(), c["ann"]["logit"].get<double>(),
                1e-4 * std::max(1.0, std::fabs(c["ann"]["logit"].get<double>())));
  }
  // rts at T = 4 is the same whether or not a longer T is also asked for.
  const std::string base = "cam " + fx("net2d.onnx") + " --data " + fx("net2d") + " --clips 0 --method rts";
  Out a = run(base + " --T 4"), b = run(base + " --T 4,32");
  ASSERT_EQ(a.rc, 0) << a.text;
  ASSERT_EQ(b.rc, 0) << b.text;
  const auto ja = nlohmann::json::parse(a.text), jb = nlohmann::json::parse(b.text);
  EXPECT_EQ(ja["clips"][0]["snn"][0]["T"], 4);
  EXPECT_EQ(jb["clips"][0]["snn"][0]["T"], 4);
  EXPECT_EQ(ja["clips"][0]["snn"][0]["cam"], jb["clips"][0]["snn"][0]["cam"]);
}

// Issue 14 item 6: every mapped value's shape is compared with ONNX shape inference. The
// fixture declares the flattening Reshape's output one feature wider (49) than the op
// computes (48); inference cannot see the Reshape's target (the batch comes through
// Shape -> Gather), so only the importer's cross-check can catch it: one line naming the
// node, both shapes, nothing written. The same network without the declaration converts
// (OnnxKinds tests).
TEST(CliOnnx, ShapeCrossCheckRefusesNamingTheNode) {
  const std::string d = tmpdir("shape14");
  expect_error("convert " + fx("wrong_value_info.onnx") + " -o " + d + "/net.sdm",
               "node '/Reshape' (Reshape): output '/Reshape_output_0' computes shape [1, 48] but "
               "ONNX shape inference gives [-1, 49]");
  EXPECT_FALSE(fs::exists(d + "/net.sdm"));
  Out o = run("convert " + fx("net2d.onnx") + " -o " + d + "/net.sdm");
  EXPECT_EQ(o.rc, 0) << o.text;
}

// ---- issue 17 item 2: the hardware options are part of the one configuration ----------

namespace {

nlohmann::json signature_of(const std::string& dir) {
  return nlohmann::json::parse(sdm::read_file_bytes(dir + "/signature.json"));
}

// The message of the sdm::Error f throws ("" when it throws none).
template <class F>
std::string error_of(F f) {
  try {
    f();
  } catch (const sdm::Error& e) {
    return e.what();
  }
  return "";
}

}  // namespace

// Config JSON: an artifact written before the hardware options joined the configuration
// (only "lanes") reads and writes back byte for byte; the options round-trip; a lane count
// out of range is one error naming it, wherever it comes from.
TEST(ConfigHw, JsonKeepsOldArtifactsAndCarriesTheHardwareOptions) {
  const nlohmann::json old = {{"method", "sdm"}, {"alpha", 0.2}, {"beta", 5}, {"dual", true}, {"T", 4},
                              {"weight_bits", 8}, {"bias_bits", 24}, {"pot_bits", 0}, {"lanes", 1}};
  const sdm::Config c = old.get<sdm::Config>();
  EXPECT_EQ(c.hw.lanes, 1);
  EXPECT_FALSE(c.hw.batch_sums || c.hw.shared_neuron);
  EXPECT_EQ(c.hw.board, "");
  EXPECT_EQ(nlohmann::json(c).dump(), old.dump());
  sdm::Config h = c;
  h.hw.lanes = 3, h.hw.batch_sums = true, h.hw.shared_neuron = true, h.hw.board = "icebreaker";
  const sdm::Config back = nlohmann::json(h).get<sdm::Config>();
  EXPECT_EQ(sdm::to_json(back.hw), sdm::to_json(h.hw));
  nlohmann::json bad = old;
  bad["lanes"] = 65;
  EXPECT_EQ(error_of([&] { bad.get<sdm::Config>(); }), "lanes = 65 outside [1, 64]");
  EXPECT_EQ(error_of([&] { sdm::hw_options_from_json({{"lanes", 0}}); }), "lanes = 0 outside [1, 64]");
  h.hw.lanes = 100;
  EXPECT_EQ(error_of([&] { h.validate(); }), "lanes = 100 outside [1, 64]");
  h.hw.lanes = 8, h.hw.simd = 4;
  EXPECT_EQ(nlohmann::json(h).get<sdm::Config>().hw.simd, 4);  // round-trips
  h.hw.simd = 0;
  EXPECT_EQ(error_of([&] { h.validate(); }), "simd = 0 must be a power of two in [1, 16]");
  EXPECT_EQ(error_of([&] { sdm::hw_options_from_json({{"lanes", 5}, {"positions", 2}}); }).rfind(
                "positions = 2 needs an even lane count, not lanes = 5", 0),
            0u);
  h.hw.simd = 4, h.hw.positions = 2, h.hw.shared_neuron = false;
  EXPECT_EQ(nlohmann::json(h).get<sdm::Config>().hw.positions, 2);  // round-trips
  h.hw.positions = 1;
  h.hw.simd = 0;
  EXPECT_EQ(error_of([&] { sdm::hw_options_from_json({{"lanes", 4}, {"simd", 8}}); }),
            "simd = 8 must divide lanes = 4 (a lane's memory slice is its index mod simd)");
  // a signature written before `hw_options`: its top-level lanes and board_choice
  const sdm::HwOptions o = sdm::hw_options_of_signature({{"lanes", 6}, {"board_choice", {{"board", "ulx3s"}}}});
  EXPECT_EQ(o.lanes, 6);
  EXPECT_EQ(o.board, "ulx3s");
  EXPECT_FALSE(o.batch_sums || o.shared_neuron);
}

// The plan keeps the configuration it was planned from; its lanes are that configuration's
// (a copied plan follows its own copy).
TEST(ConfigHw, PlanDerivesItsHardwareFromItsConfig) {
  const std::string d = tmpdir("hw_plan");
  const sdm::Artifact a = sdm::load_artifact(artifact(d));
  sdm::HwOptions hw;
  hw.lanes = 3, hw.shared_neuron = true;
  const sdm::HwPlan p = sdm::plan_accelerator(a.qnet, hw);
  EXPECT_EQ(p.cfg.hw.lanes, 3);
  EXPECT_EQ(p.lanes, 3);
  EXPECT_TRUE(p.shared_neuron());
  EXPECT_EQ(p.cfg.T, a.cfg.T);
  sdm::HwPlan q = p;
  q.cfg.hw.lanes = 5;
  EXPECT_EQ(q.lanes, 5);
  EXPECT_EQ(q.opt.lanes, 5);
  EXPECT_EQ(p.lanes, 3);
  hw.lanes = 65;
  EXPECT_EQ(error_of([&] { sdm::plan_accelerator(a.qnet, hw); }), "lanes = 65 outside [1, 64]");
}

// A design folder's hardware options survive regeneration without flags (what synth --fit
// and --weights do: hw_options_of_signature, then generate): the same Verilog. The
// signature's config is the one object, hardware options included.
TEST(ConfigHw, RegeneratingAFolderWithoutFlagsKeepsItsOptions) {
  const std::string d = tmpdir("hw_regen");
  const std::string a = artifact(d);
  Out o = run("rtl " + a + " -o " + d + "/r --lanes 2 --batch-sums --shared-neuron --no-overlap --simd 2");
  ASSERT_EQ(o.rc, 0) << o.text;
  const nlohmann::json sig = signature_of(d + "/r");
  EXPECT_EQ(sig["hw_options"], (nlohmann::json{{"lanes", 2}, {"batch_sums", true}, {"shared_neuron", true},
                                               {"overlap", false}, {"simd", 2}}));
  EXPECT_EQ(sig["config"]["simd"], 2);
  EXPECT_EQ(sig["config"]["lanes"], 2);
  EXPECT_EQ(sig["config"]["batch_sums"], true);
  EXPECT_EQ(sig["config"]["shared_neuron"], true);
  EXPECT_EQ(sig["config"]["overlap"], false);
  const sdm::HwOptions hw = sdm::hw_options_of_signature(sig);
  EXPECT_TRUE(hw.batch_sums && hw.shared_neuron && !hw.overlap && hw.simd == 2);
  const sdm::GeneratedDesign g = sdm::generate_accelerator(sdm::load_artifact(d + "/r/net.sdm"), hw);
  EXPECT_EQ(g.files.at("sdm_accel.v"), sdm::read_file_bytes(d + "/r/sdm_accel.v"));
  EXPECT_EQ(g.signature["hw_options"], sig["hw_options"]);
  // without the flags: the defaults (8 lanes, neither option, overlap), not the artifact's placeholder
  ASSERT_EQ(run("rtl " + a + " -o " + d + "/p").rc, 0);
  EXPECT_EQ(signature_of(d + "/p")["hw_options"],
            (nlohmann::json{{"lanes", 8}, {"batch_sums", false}, {"shared_neuron", false}, {"overlap", true},
                            {"simd", 1}}));
  // the output buffer exists exactly where some stage overlaps (never with --no-overlap)
  // (16 lanes: every stage here is one group per position, or writes a bank it reads)
  ASSERT_EQ(run("rtl " + a + " -o " + d + "/p1 --lanes 1").rc, 0);
  ASSERT_EQ(run("rtl " + a + " -o " + d + "/p16 --lanes 16").rc, 0);
  for (const std::string dir : {d + "/r", d + "/p", d + "/p1", d + "/p16"}) {
    const nlohmann::json s = signature_of(dir);
    bool any = false;
    for (const auto& st : s["stages"]) any = any || st["overlap"].get<bool>();
    EXPECT_EQ(any, sdm::read_file_bytes(dir + "/sdm_accel.v").find("obuf_l_0_t_0_q") != std::string::npos) << dir;
  }
  EXPECT_EQ(sdm::read_file_bytes(d + "/r/sdm_accel.v").find("obuf_l_0_t_0_q"), std::string::npos);
  EXPECT_EQ(sdm::read_file_bytes(d + "/p16/sdm_accel.v").find("obuf_l_0_t_0_q"), std::string::npos);
}

// rtl --board: the flags given win (even at their default value), the others are searched;
// the board is part of the configuration written next to the RTL.
TEST(ConfigHw, BoardPickKeepsTheFlagsGiven) {
  const std::string d = tmpdir("hw_board");
  const std::string a = artifact(d);
  ASSERT_EQ(run("rtl " + a + " -o " + d + "/u --board ulx3s --lanes 2 --no-batch-sums --no-shared-neuron "
                "--no-overlap").rc, 0);
  const nlohmann::json sig = signature_of(d + "/u");
  EXPECT_EQ(sig["hw_options"], (nlohmann::json{{"lanes", 2}, {"batch_sums", false}, {"shared_neuron", false},
                                               {"overlap", false}, {"simd", 2}, {"board", "ulx3s"}}));
  EXPECT_EQ(sig["config"]["board"], "ulx3s");
  // --simd given is kept (here: 1, the default value, still a pin); a value no lane count of
  // the pinned lanes allows is one line
  ASSERT_EQ(run("rtl " + a + " -o " + d + "/u1 --board ulx3s --lanes 2 --simd 1").rc, 0);
  EXPECT_EQ(signature_of(d + "/u1")["hw_options"]["simd"], 1);
  expect_error("rtl " + a + " -o " + d + "/u3 --board ulx3s --lanes 6 --simd 4", "simd = 4 must divide lanes = 6");
  EXPECT_EQ(sig["board_choice"]["board"], "ulx3s");
  expect_error("rtl " + a + " -o " + d + "/x --board ulx3s --lanes 0", "lanes = 0 outside [1, 64]");
  // CLI11's parse errors: one line and status 2 too (they returned CLI11's own codes, 104-114)
  expect_error("rtl " + a + " -o " + d + "/x --lanes abc", "--lanes");
  expect_error("rtl " + a + " -o " + d + "/x --overlap=maybe", "--overlap");
  expect_error("rtl " + a + " -o " + d + "/x --no-such-flag", "--no-such-flag");
  EXPECT_FALSE(fs::exists(d + "/x"));
  expect_error("run --out " + d + "/run --board nosuch", "unknown board 'nosuch'");
  EXPECT_FALSE(fs::exists(d + "/run"));
}

// run --board B sizes the design as rtl --board B does (the same pick); the RTL stage's
// cache key holds every hardware option and which were given.
TEST(ConfigHw, RunBoardSizesTheDesignAndKeysTheCache) {
  const std::string d = tmpdir("hw_run") + "/run";
  const std::string args = "run --out " + d + " --quick --eval-clips 5 --clips 0 --skip-synth --no-report --threads 1";
  Out o = run(args + " --board icebreaker");
  ASSERT_EQ(o.rc, 0) << o.text;
  const nlohmann::json sig = signature_of(d + "/rtl");
  ASSERT_TRUE(sig.contains("board_choice")) << o.text;
  // the design rtl --board icebreaker makes from the same artifact
  const std::string r = tmpdir("hw_run_rtl") + "/rtl";
  ASSERT_EQ(run("rtl " + d + "/net.sdm -o " + r + " --board icebreaker").rc, 0);
  EXPECT_EQ(sdm::read_file_bytes(d + "/rtl/sdm_accel.v"), sdm::read_file_bytes(r + "/sdm_accel.v"));
  EXPECT_EQ(sig["hw_options"], signature_of(r)["hw_options"]);
  const auto settings = nlohmann::json::parse(sdm::read_file_bytes(d + "/summary.json"))["settings"];
  EXPECT_EQ(settings["hw_options"], sig["hw_options"]);
  EXPECT_EQ(settings["config"]["lanes"], sig["lanes"]);
  // --lanes given with --board: a different design, not the cached one
  o = run(args + " --board icebreaker --lanes 2");
  ASSERT_EQ(o.rc, 0) << o.text;
  EXPECT_NE(o.text.find("rtl: generating"), std::string::npos) << o.text;
  EXPECT_EQ(signature_of(d + "/rtl")["hw_options"]["lanes"], 2);
  o = run(args + " --board icebreaker --lanes 2");
  EXPECT_NE(o.text.find("rtl: cached"), std::string::npos) << o.text;
  o = run(args + " --lanes 2");  // the same lanes without the board: not the board's pick
  EXPECT_NE(o.text.find("rtl: generating"), std::string::npos) << o.text;
  EXPECT_FALSE(signature_of(d + "/rtl").contains("board_choice"));
}
