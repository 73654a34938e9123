// Regression cases of issue 17 that run the CLI: commands never destroy or misreport
// their inputs (Kind 3), values mean what the user wrote (Kind 4c) and one configuration
// with one set of limits reaches every command (Kind 2).
#include <sys/wait.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "data/dataset.h"
#include "golden/fileio.h"

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
  EXPECT_NE(o.rc, 0) << args << "\n" << o.text;
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
