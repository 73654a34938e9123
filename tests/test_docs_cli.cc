// docs/cli.md cannot drift from the tool (issue 17, Kind 6): every subcommand that
// `sdmforge --help` lists has a section, and every flag its `--help` prints (from the
// CLI11 option definitions) appears in that section's table with the same default.
#include <sys/wait.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace {

std::string sh(const std::string& args) {
  std::string out;
  FILE* p = popen((std::string(SDM_CLI) + " " + args + " 2>&1").c_str(), "r");
  char buf[4096];
  size_t k;
  while ((k = fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, k);
  pclose(p);
  return out;
}

std::string read(const std::string& path) {
  std::ifstream f(path);
  std::stringstream s;
  s << f.rdbuf();
  return s.str();
}

// Names listed under "Subcommands:" of a --help text.
std::vector<std::string> subcommands(const std::string& help) {
  std::vector<std::string> r;
  const size_t at = help.find("Subcommands:");
  if (at == std::string::npos) return r;
  std::istringstream in(help.substr(at));
  std::string line;
  std::getline(in, line);
  const std::regex re(R"(^  ([a-z]+)\s)");
  std::smatch m;
  while (std::getline(in, line))
    if (std::regex_search(line, m, re)) r.push_back(m[1]);
  return r;
}

// The text of "## <name>" up to the next "## " heading.
std::string section(const std::string& doc, const std::string& name) {
  const std::string h = "\n## " + name + "\n";
  const size_t a = doc.find(h);
  if (a == std::string::npos) return "";
  const size_t b = doc.find("\n## ", a + h.size());
  return doc.substr(a, b == std::string::npos ? std::string::npos : b - a);
}

struct Flag {
  std::string name, def;  // def: "=X" of --help, else "(default X" of its text, else empty
};

std::vector<Flag> flags(const std::string& help) {
  std::vector<Flag> r;
  // "  -o,--out TEXT REQUIRED ..." / "  --lanes INT=8 ..." / "  --no-dual   ..."
  const std::regex re(R"(^  (?:-\w,)?(--[a-z][a-z0-9-]*)(?: [A-Z:]+(?:=(\S+))?)?)");
  std::istringstream in(help);
  std::string line;
  std::smatch m;
  while (std::getline(in, line))
    if (std::regex_search(line, m, re) && m[1] != "--help") {
      Flag f{m[1], m[2]};
      std::smatch d;
      if (f.def.empty() && std::regex_search(line, d, std::regex(R"(\(default ([^;,)\s]+))"))) f.def = d[1];
      r.push_back(f);
    }
  return r;
}

void check(const std::string& doc, const std::string& cmd) {
  const std::string sec = section(doc, cmd);
  ASSERT_FALSE(sec.empty()) << "docs/cli.md has no '## " << cmd << "' section";
  for (const Flag& f : flags(sh(cmd + " --help"))) {
    // the flag's table row: a table line of the section naming it ("`--x N`", "`-o, --x FILE`")
    const std::regex named("[` ,]" + f.name + "([` ,=]|$)");
    std::istringstream in(sec);
    std::string line, row;
    while (std::getline(in, line))
      if (line.rfind("|", 0) == 0 && std::regex_search(line, named)) {
        row = line;
        break;
      }
    EXPECT_FALSE(row.empty()) << cmd << ": docs/cli.md does not list " << f.name;
    if (!row.empty() && !f.def.empty())
      EXPECT_NE(row.find(f.def), std::string::npos)
          << cmd << " " << f.name << ": the tool's default is " << f.def << ", docs/cli.md says: " << row;
  }
}

}  // namespace

TEST(DocsCli, EverySubcommandFlagAndDefaultIsInCliMd) {
  const std::string doc = read(std::string(SDM_SOURCE_DIR) + "/docs/cli.md");
  ASSERT_FALSE(doc.empty());
  const std::vector<std::string> top = subcommands(sh("--help"));
  ASSERT_GE(top.size(), 10u);
  for (const std::string& c : top) {
    const std::string help = sh(c + " --help");
    const std::vector<std::string> subs = subcommands(help);
    if (subs.empty()) {
      check(doc, c);
    } else {
      for (const std::string& s : subs) check(doc, c + " " + s);
    }
  }
}

// The rule that cites "SPEC" must be stated in the project's own docs: SPEC.md is not in
// the repository, so --help and docs may not send a reader there.
TEST(DocsCli, HelpAndDocsDoNotCiteAFileOutsideTheRepository) {
  const std::vector<std::string> top = subcommands(sh("--help"));
  std::string all = sh("--help");
  for (const std::string& c : top) all += sh(c + " --help");
  EXPECT_EQ(all.find("SPEC"), std::string::npos) << all;
  // Every doc the install ships (README + docs/) and the report's text.
  std::vector<std::string> docs = {std::string(SDM_SOURCE_DIR) + "/README.md",
                                   std::string(SDM_SOURCE_DIR) + "/report/make_report.py"};
  for (const auto& e : std::filesystem::directory_iterator(std::string(SDM_SOURCE_DIR) + "/docs"))
    if (e.path().extension() == ".md") docs.push_back(e.path().string());
  EXPECT_GT(docs.size(), 10u);
  for (const std::string& d : docs) {
    const std::string doc = read(d);
    EXPECT_EQ(doc.find("SPEC"), std::string::npos) << d;
  }
}

// The user guide's ANN figure for the default model is what the command it names prints.
TEST(DocsCli, UserGuideDefaultModelFigureIsReproduced) {
  const std::string guide = read(std::string(SDM_SOURCE_DIR) + "/docs/user-guide.md");
  std::smatch m;
  ASSERT_TRUE(std::regex_search(guide, m, std::regex(R"(([0-9.]+) % ANN top-1 on the\s+1000 synthetic)")));
  const double claimed = std::stod(m[1]);
  const std::string d = std::string(SDM_BINARY_DIR) + "/docs_guide_data";
  sh("data synth --out " + d + " --train 0 --test 1000");
  const std::string out = sh("eval " + std::string(SDM_SOURCE_DIR) + "/models/default/model.onnx --data " + d +
                             " --methods if --T 1 --mode float -q");
  std::smatch a;
  ASSERT_TRUE(std::regex_search(out, a, std::regex(R"("ann_top1": ([0-9.]+))"))) << out;
  EXPECT_NEAR(std::stod(a[1]), claimed, 0.05) << out;
}

// docs/results.md says how its 300-clip sets relate to the cards' 1000-clip split: the
// statement must match the generator.
TEST(DocsCli, ResultsMdStatesHowItsClipSetsWereMade) {
  const std::string doc = read(std::string(SDM_SOURCE_DIR) + "/docs/results.md");
  const bool says_prefix = doc.find("so these are the first N of the 1000-clip") != std::string::npos;
  const bool says_not_prefix = doc.find("it is NOT the first 300 clips of the 1000-clip split") != std::string::npos;
  ASSERT_NE(says_prefix, says_not_prefix) << "docs/results.md must say exactly one of the two";
  const std::string d = std::string(SDM_BINARY_DIR) + "/docs_prefix";
  sh("data synth --out " + d + "/a --train 1 --test 300");
  sh("data synth --out " + d + "/b --train 1 --test 1000");
  const std::string a = read(d + "/a/test/clips.npy"), b = read(d + "/b/test/clips.npy");
  ASSERT_GT(a.size(), 128u);
  ASSERT_GT(b.size(), a.size());
  // payload of the first 300 clips (after each file's own header)
  const size_t ha = a.find('\n') + 1, hb = b.find('\n') + 1;
  const bool prefix = a.compare(ha, std::string::npos, b, hb, a.size() - ha) == 0;
  EXPECT_EQ(prefix, says_prefix);
}
