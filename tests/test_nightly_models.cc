// Integer mode vs float on the bundled models, at the hardware's 8-bit weights, against
// the tolerance each model card states (row "integer vs float"): a retrained model with a
// larger gap fails here instead of silently changing the test. Label nightly (~2 min).
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <string>

#include <gtest/gtest.h>

#include "data/dataset.h"
#include "golden/eval.h"
#include "golden/onnx_import.h"

namespace fs = std::filesystem;
using namespace sdm;

namespace {

std::string read(const std::string& path) {
  std::ifstream f(path);
  std::stringstream s;
  s << f.rdbuf();
  return s.str();
}

// The model's test split: the bundled data folder, or the card's `sdmforge data synth`
// command run with --train 0 (test clips do not depend on the train count).
std::string test_data(const std::string& dir, const std::string& card, const std::string& name) {
  if (fs::exists(dir + "/data/test/clips.npy")) return dir + "/data";
  std::smatch m;
  if (!std::regex_search(card, m, std::regex("`sdmforge (data synth [^`]*)`"))) return "";
  std::string cmd = std::regex_replace(m[1].str(), std::regex("--train [0-9]+"), "--train 0");
  const std::string out = std::string(SDM_BINARY_DIR) + "/nightly_models/" + name;
  cmd = std::regex_replace(cmd, std::regex("--out DATA"), "--out " + out);
  if (std::system((std::string(SDM_CLI) + " " + cmd + " 2>/dev/null").c_str()) != 0) return "";
  return out;
}

}  // namespace

TEST(ModelCards, IntegerWithinCardTolerance) {
  int models = 0;
  for (const auto& e : fs::directory_iterator(std::string(SDM_SOURCE_DIR) + "/models")) {
    const std::string dir = e.path().string(), name = e.path().filename().string();
    if (!fs::exists(dir + "/card.md") || !fs::exists(dir + "/model.onnx")) continue;
    const std::string card = read(dir + "/card.md");
    std::smatch m;
    ASSERT_TRUE(std::regex_search(card, m, std::regex(R"(\| integer vs float \| ≤ ([0-9.]+) points)")))
        << name << "/card.md states no integer-vs-float tolerance";
    const double tol = std::stod(m[1]);
    const std::string data = test_data(dir, card, name);
    ASSERT_FALSE(data.empty()) << name << ": no test data";
    Dataset d = load_dataset(data);
    ClipSet cs;
    cs.data = d.clips.data();
    cs.n = long(d.size());
    cs.clip_size = long(d.clip_size());
    cs.labels = d.labels;
    EvalRequest req;
    req.specs = {NeuronSpec{Method::SDM, 0.2, 5, true}};  // the card's setting
    req.Ts = {4};
    req.weight_bits = 8;
    req.threads = 2;
    EvalResult r = evaluate(import_onnx(dir + "/model.onnx"), cs, req);
    ASSERT_EQ(r.rows.size(), 2u) << name;
    EXPECT_LE(std::fabs(r.rows[0].top1 - r.rows[1].top1), tol)
        << name << ": float " << r.rows[0].top1 << " % vs integer " << r.rows[1].top1 << " % on " << cs.n << " clips";
    ++models;
  }
  EXPECT_GE(models, 5);
}
