// The FPGA flow: accelerator folder (signature.json + *.v + *.hex) -> board wrapper ->
// Yosys -> nextpnr -> bitstream, with utilization, Fmax and tool versions parsed from the
// tools' own outputs. Every tool runs as a subprocess; its log goes to DIR/build-<board>/.
//
//   sdm::fpga::SynthOptions o;  o.board = "icebreaker";  o.freq_mhz = 30;
//   sdm::fpga::SynthResult r = sdm::fpga::synthesize("out/rtl", o);
//   write r.to_json() into the report; r.fits / r.meets_timing / r.overflow say what failed.
#pragma once

#include <functional>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "fpga/boards.h"

namespace sdm::fpga {

enum class Tools { yowasp, debian };
Tools parse_tools(const std::string& s);  // "yowasp" | "debian", else sdm::Error

// The executables of one tool set, resolved on PATH. Throws sdm::Error naming the
// missing tool and "install with: bash scripts/setup.sh".
struct ToolSet {
  std::string yosys, nextpnr, pack, bram;
  Tools kind;
};
ToolSet find_tools(Tools kind, Family family);
// First line of `<tool> --version` (yosys: -V) for each tool of the set.
std::map<std::string, std::string> tool_versions(const ToolSet& t);

// The part of signature.json the flow needs.
struct Signature {
  std::string top;
  int num_classes = 0, class_width = 0, logit_width = 0, lanes = 0;
  long long clip_bytes = 0;
  std::vector<int> clip_shape;
  std::vector<std::string> files;  // Verilog sources, relative to the folder
  long long predicted_cycles = 0;  // per clip, 0 when absent
  nlohmann::json raw;
};
// Reads DIR/signature.json; throws sdm::Error naming the file and the bad field.
Signature read_signature(const std::string& dir);

struct Usage {
  int used = 0, avail = 0;
};

// What nextpnr's --report JSON says.
struct PnrReport {
  std::map<std::string, Usage> cells;    // per bel type, e.g. ICESTORM_LC
  std::map<std::string, double> fmax;    // achieved MHz per clock net
  std::map<std::string, double> target;  // constraint MHz per clock net
};
PnrReport parse_nextpnr_report(const std::string& json_text);
// The resource nextpnr ran out of, from its log ("" when the log shows no overflow),
// e.g. "ICESTORM_RAM: 48 used, 30 available".
std::string parse_nextpnr_overflow(const std::string& log_text);
// Cell counts by type in a Yosys JSON netlist (top module).
std::map<std::string, int> count_netlist_cells(const std::string& json_text);

struct SynthOptions {
  std::string board = "icebreaker";
  double freq_mhz = 0;  // design clock; 0 = the board's default
  Tools tools = Tools::yowasp;
  int baud = 115200;
  int seed = 1;
  std::string build_dir;  // default DIR/build-<board>
  std::function<void(const std::string&)> progress;  // one line per step, may be empty
};

struct SynthResult {
  std::string board, device, build_dir, bitstream;
  bool fits = false, meets_timing = false;
  Usage lut, ff, bram, spram, dsp;
  double fmax_mhz = 0, target_mhz = 0, pll_mhz = 0;
  std::string overflow;  // "" when it fits
  std::map<std::string, std::string> tool_versions;
  std::map<std::string, Usage> cells;
  int lanes = 0;
  double synth_seconds = 0, pnr_seconds = 0;
  std::string tools;
  nlohmann::json to_json() const;
};

// Full flow for one folder and board. Throws sdm::Error for bad input or a failing tool
// (naming the tool and its log); a design that does not fit is a result (fits = false),
// not an exception. On iCE40 and ECP5 the ROMs are built with random contents and then
// patched with the real .hex files, so patch_weights() can later swap them in seconds.
SynthResult synthesize(const std::string& dir, const SynthOptions& opt);

// Largest lane count that fits and meets the clock: tries lanes = lo, 2lo, 4lo, ... hi,
// calling regenerate(lanes) to get a folder for each (it returns the folder path).
struct FitResult {
  int best_lanes = 0;  // 0 when not even `lo` fits
  std::string best_dir;
  SynthResult best;
  std::vector<SynthResult> tried;
  nlohmann::json to_json() const;
};
using Regenerate = std::function<std::string(int lanes)>;
FitResult fit_lanes(const Regenerate& regenerate, const SynthOptions& opt, int lo, int hi);

// New ROM contents into an existing build of the same architecture: compares the folder's
// architecture fingerprint (signature.json without weight fields, Verilog sources, ROM
// shapes) with the one recorded by synthesize(); refuses with the differing item;
// otherwise patches the recorded random-content bitstream with icebram/ecpbram and packs.
SynthResult patch_weights(const std::string& dir, const SynthOptions& opt);

// Architecture fingerprint of a folder (exposed for tests).
nlohmann::json architecture(const std::string& dir);

// Runs argv with stdout+stderr appended to log_path, optional stdin file, in cwd.
// Returns the exit code (or 128+signal).
int run_tool(const std::vector<std::string>& argv, const std::string& cwd,
             const std::string& log_path, const std::string& stdin_path = "",
             const std::string& stdout_path = "");

}  // namespace sdm::fpga
