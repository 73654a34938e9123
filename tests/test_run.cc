// `sdmforge run` and `sdmforge energy` through the CLI, without Verilator or FPGA tools:
// errors are one line with exit 2; a tiny run (5 clips, no co-sim, no synthesis) writes the
// report, and a rerun takes every stage from the cache. The full flow (co-sim + iCE40) is
// the `run_quick` CTest in report/CMakeLists.txt (label cosim).
#include <sys/wait.h>

#include <array>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace fs = std::filesystem;

namespace {

struct Out {
  int code = -1;
  std::string text;  // stdout + stderr
};

Out sh(const std::string& args) {
  const std::string cmd = std::string(SDM_CLI) + " " + args + " 2>&1";
  Out o;
  FILE* p = popen(cmd.c_str(), "r");
  if (!p) return o;
  std::array<char, 4096> buf;
  size_t n;
  while ((n = fread(buf.data(), 1, buf.size(), p)) > 0) o.text.append(buf.data(), n);
  const int st = pclose(p);
  o.code = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  return o;
}

std::string tmpdir(const char* name) {
  const std::string d = std::string(SDM_BINARY_DIR) + "/test_run_tmp/" + name;
  fs::remove_all(d);
  fs::create_directories(d);
  return d;
}

const std::string kModel = std::string(SDM_SOURCE_DIR) + "/models/default/model.onnx";

}  // namespace

TEST(RunCli, BadValuesAreOneLineErrors) {
  const std::string d = tmpdir("bad");
  Out o = sh("run --out " + d + " --lanes 0");
  EXPECT_EQ(o.code, 2) << o.text;
  EXPECT_NE(o.text.find("sdmforge: error: lanes = 0 outside [1, 64]"), std::string::npos) << o.text;
  o = sh("run --out " + d + " --model " + d + "/missing.onnx");
  EXPECT_EQ(o.code, 2);
  EXPECT_NE(o.text.find("missing.onnx' not found"), std::string::npos) << o.text;
  o = sh("run --out " + d + " --alpha 1.5 --skip-synth");
  EXPECT_EQ(o.code, 2);
  EXPECT_NE(o.text.find("alpha"), std::string::npos) << o.text;
  o = sh("run --out " + d + " --boards nosuchboard");
  EXPECT_EQ(o.code, 2);
  EXPECT_NE(o.text.find("nosuchboard"), std::string::npos) << o.text;
  o = sh("run --out " + d + " --skip-synth --clips 0 --python /nonexistent/python3");
  EXPECT_EQ(o.code, 2);
  EXPECT_NE(o.text.find("install with: bash scripts/setup.sh"), std::string::npos) << o.text;
}

TEST(RunCli, TinyRunWritesReportAndCaches) {
  const std::string d = tmpdir("tiny");
  const std::string args = "run --out " + d + " --quick --eval-clips 5 --clips 0 --skip-synth --threads 2";
  Out o = sh(args);
  ASSERT_EQ(o.code, 0) << o.text;
  for (const char* f : {"index.html", "summary.json", "energy.json", "net.sdm", "rtl/signature.json",
                        "plots/table1_accuracy.png", "plots/table2_ablation.png", "plots/fig6_alpha.png",
                        "plots/fig1_layers.png", "plots/energy.png"})
    EXPECT_TRUE(fs::exists(d + "/" + f)) << f;
  std::ifstream f(d + "/summary.json");
  nlohmann::json s = nlohmann::json::parse(f);
  EXPECT_EQ(s["settings"]["eval_clips"], 5);
  EXPECT_TRUE(s["cosim"].is_null());
  const auto& e = s["energy"]["eq13"];
  EXPECT_DOUBLE_EQ(e["ann_macs"].get<double>(), 8349856);
  EXPECT_GT(e["ratio"].get<double>(), 0);
  EXPECT_GT(e["ratio_xT"].get<double>(), e["ratio"].get<double>());
  EXPECT_GT(s["energy"]["hardware"]["total_pj"].get<double>(), 0);
  EXPECT_EQ(s["eval"]["ablation"]["results"].size(), 8u * 3);  // 8 variants x T {4, 8, 16}
  // The paper's Table III rows come from report/paper_tables.json, their ratio computed there
  // (0.030 J / 0.097 J and 0.098 J / 0.128 J).
  std::ifstream hf(d + "/index.html");
  const std::string html((std::istreambuf_iterator<char>(hf)), std::istreambuf_iterator<char>());
  for (const char* row : {"paper (Table III, T=4): SlowOnly w SDM", "paper (Table III, T=4): SlowFast w SDM",
                          "<td>0.31</td>", "<td>0.77</td>"})
    EXPECT_NE(html.find(row), std::string::npos) << row;
  // the rerun takes every stage from the cache
  o = sh(args);
  ASSERT_EQ(o.code, 0) << o.text;
  for (const char* stage : {"convert: cached", "Table I: accuracy vs T per method (float + int): cached",
                            "Table II: ablation", "rtl: cached"})
    EXPECT_NE(o.text.find(stage), std::string::npos) << stage << "\n" << o.text;
  EXPECT_EQ(o.text.find("eval 1/"), std::string::npos) << o.text;
  // a changed option redoes what depends on it
  o = sh(args + " --lanes 3");  // the default is 2
  ASSERT_EQ(o.code, 0) << o.text;
  EXPECT_NE(o.text.find("rtl: generating the accelerator (3 lanes)"), std::string::npos) << o.text;
  EXPECT_NE(o.text.find("Table II: ablation M/D/B/S (beta=2, alpha=0.5; float): cached"), std::string::npos);
}

TEST(EnergyCli, JsonAndErrors) {
  const std::string d = tmpdir("energy");
  Out o = sh("data synth --out " + d + "/data --train 0 --test 20");
  ASSERT_EQ(o.code, 0) << o.text;
  o = sh("energy " + kModel + " --data " + d + "/data --clips 4 --json " + d + "/e.json -q");
  ASSERT_EQ(o.code, 0) << o.text;
  std::ifstream f(d + "/e.json");
  nlohmann::json j = nlohmann::json::parse(f);
  EXPECT_EQ(j["clips"], 4);
  EXPECT_EQ(j["mode"], "int");
  EXPECT_EQ(j["eq13"]["layers"].size(), 5u);
  EXPECT_DOUBLE_EQ(j["eq13"]["snn_macs"].get<double>(), 442368);
  EXPECT_DOUBLE_EQ(j["eq13"]["snn_macs_xT"].get<double>(), 4 * 442368.0);
  EXPECT_GT(j["hardware"]["synapse_cycles"].get<double>(), 0);
  o = sh("energy " + kModel + " --data " + d + "/data --alpha 0");
  EXPECT_EQ(o.code, 2);
  EXPECT_NE(o.text.find("sdmforge: error:"), std::string::npos) << o.text;
  o = sh("energy " + kModel + " --data " + d + "/nowhere");
  EXPECT_EQ(o.code, 2);
  o = sh("energy " + kModel + " --data " + d + "/data --lanes 99");
  EXPECT_EQ(o.code, 2);
  EXPECT_NE(o.text.find("lanes = 99"), std::string::npos) << o.text;
}

TEST(CamCli, MapsExplainTheLogitAndErrors) {
  const std::string d = tmpdir("cam");
  Out o = sh("data synth --out " + d + "/data --train 0 --test 6");
  ASSERT_EQ(o.code, 0) << o.text;
  o = sh("cam " + kModel + " --data " + d + "/data --clips 0,5 --T 2,64 --json " + d + "/c.json");
  ASSERT_EQ(o.code, 0) << o.text;
  std::ifstream f(d + "/c.json");
  nlohmann::json j = nlohmann::json::parse(f);
  EXPECT_EQ(j["layer_shape"], nlohmann::json({16, 2, 4, 4}));
  ASSERT_EQ(j["clips"].size(), 2u);
  for (const auto& c : j["clips"]) {
    const auto cam = c["ann"]["cam"].get<std::vector<double>>();
    ASSERT_EQ(cam.size(), 32u);
    // Global average pool + Linear: the map's mean plus the class bias is the ANN logit.
    double mean = 0;
    for (double v : cam) mean += v / double(cam.size());
    const int k = c["class"];
    EXPECT_NEAR(mean + j["bias"][size_t(k)].get<double>(), c["ann"]["logit"].get<double>(), 1e-4);
    ASSERT_EQ(c["snn"].size(), 2u);
    EXPECT_EQ(c["snn"][1]["T"], 64);
    // sdm converges to the ANN: at T = 64 the SNN map is close to the ANN's cell by cell.
    const auto s64 = c["snn"][1]["cam"].get<std::vector<double>>();
    double err = 0, scale = 0;
    for (size_t i = 0; i < cam.size(); ++i) err += std::fabs(s64[i] - cam[i]), scale += std::fabs(cam[i]);
    EXPECT_LT(err, 0.1 * scale);
  }
  o = sh("cam " + kModel + " --data " + d + "/data --clips 6");
  EXPECT_EQ(o.code, 2);
  EXPECT_NE(o.text.find("clip index 6 is outside 0..5"), std::string::npos) << o.text;
  o = sh("cam " + kModel + " --data " + d + "/data --T 0");
  EXPECT_EQ(o.code, 2);
  EXPECT_NE(o.text.find("T = 0"), std::string::npos) << o.text;
  o = sh("cam " + kModel + " --data " + d + "/data --clips x");
  EXPECT_EQ(o.code, 2);
  EXPECT_NE(o.text.find("clip index 'x' is not an integer"), std::string::npos) << o.text;
}
