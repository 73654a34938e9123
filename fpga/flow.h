// The FPGA flow: accelerator folder (signature.json + *.v + *.hex) -> board wrapper ->
// Yosys -> nextpnr -> bitstream, with utilization, Fmax and tool versions parsed from the
// tools' own outputs. Every tool runs as a subprocess; its log goes to DIR/build-<board>/.
//
//   sdm::fpga::SynthOptions o;  o.board = "icebreaker";  // freq_mhz 0: auto clock
//   sdm::fpga::SynthResult r = sdm::fpga::synthesize("out/rtl", o);
//   write r.to_json() into the report; r.clock_mhz is what the bitstream runs at.
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

// The board link's UART: board_top divides the clock by round(CLK_HZ / BAUD). The relative
// error of that bit period, |round(r) - r| / r with r = CLK_HZ / BAUD (CLK_HZ the integer
// Hz the wrapper gets). Receiver and sender drift by this much per bit, so over a 10-bit
// frame 2 % moves the last sample a fifth of a bit: kUartMaxError is the limit `--freq auto`
// keeps to, and an explicit --freq beyond it is refused. Infinite below 4 clocks per bit.
double uart_bit_error(double clk_mhz, int baud);
constexpr double kUartMaxError = 0.02;

// Every clock the board's clock path can make: its oscillator and the PLL outputs
// (fpga/pll.h), MHz ascending.
std::vector<double> board_clocks(const Board& b);
// The highest board clock <= max_mhz whose UART bit error at `baud` is <= kUartMaxError;
// 0 when there is none.
double auto_clock(const Board& b, double max_mhz, int baud);

struct SynthOptions {
  std::string board = "icebreaker";
  // Design clock in MHz. 0 = auto: place at the board's target (or auto_from_mhz), and
  // while nextpnr reports Fmax below the clock, place again at the highest clock
  // auto_clock() allows at or below that Fmax (at most max_attempts placements).
  // > 0 = explicit: the nearest clock the PLL makes; failing timing is an sdm::Error
  // naming the clock and the Fmax, and no bitstream is written, unless allow_timing_fail.
  double freq_mhz = 0;
  double auto_from_mhz = 0;   // auto: upper limit of the first attempt; 0 = board target
  int max_attempts = 4;       // auto: placements before giving up (sdm::Error)
  bool allow_timing_fail = false;  // explicit: write the bitstream anyway, flagged
  // Explicit clock that fails timing: return the result (meets_timing = false, no
  // bitstream) instead of throwing. For the lane search, which treats it as "too big".
  bool timing_fail_is_result = false;
  Tools tools = Tools::yowasp;
  int baud = 3000000;  // the FTDI rate of the iCEBreaker and ULX3S; rtl/uart_rx.v votes 3 samples per bit
  int seed = 1;
  // nextpnr's router: "router1" (nextpnr's default, timing-driven; every Fmax in docs/fpga.md)
  // or "router2" (negotiated congestion: the ULX3S pick's placement routed in 505 s instead of
  // router1's 88 min, but at 41.58 MHz instead of 67.93; docs/fpga.md, "Router").
  // Anything else is an sdm::Error before any tool runs.
  std::string router = "router1";
  std::string build_dir;  // default DIR/build-<board>
  std::function<void(const std::string&)> progress;  // one line per step, may be empty
};

// One placement of a synthesize() call.
struct SynthAttempt {
  double clock_mhz = 0, fmax_mhz = 0;
  bool meets_timing = false;
  double synth_seconds = 0, pnr_seconds = 0;
};

struct SynthResult {
  std::string board, device, build_dir, bitstream;
  bool fits = false, meets_timing = false;
  Usage lut, ff, bram, spram, dsp;
  double fmax_mhz = 0, target_mhz = 0, pll_mhz = 0;
  // The clock the bitstream runs at (the last attempt's PLL output); clock_mhz <= fmax_mhz
  // unless timing_fail_allowed.
  double clock_mhz = 0;
  std::string freq_mode;  // "auto" | "explicit"
  bool timing_fail_allowed = false;  // explicit --freq failed timing, bitstream written anyway
  int baud = 0;
  double uart_error = 0;  // uart_bit_error(clock_mhz, baud)
  int rx_fifo_bytes = 0;  // board_top's receive FIFO (0: none; streaming needs a whole frame)
  std::vector<SynthAttempt> attempts;
  std::string overflow;  // "" when it fits
  std::map<std::string, std::string> tool_versions;
  std::map<std::string, Usage> cells;
  int lanes = 0;
  double synth_seconds = 0, pnr_seconds = 0;  // summed over the attempts
  std::string tools;
  std::string router;  // nextpnr --router of every attempt
  int seed = 0;        // nextpnr --seed of every attempt
  nlohmann::json to_json() const;
};

// Full flow for one folder and board. Throws sdm::Error for bad input, a failing tool
// (naming the tool and its log) or a clock that fails timing (see SynthOptions::freq_mhz);
// a design that does not fit is a result (fits = false), not an exception. Any bitstream
// of an earlier build in the build folder is deleted first, so a failed run leaves none.
// On iCE40 and ECP5 the ROMs are built with random contents and then patched with the
// real .hex files, so patch_weights() can later swap them in seconds.
SynthResult synthesize(const std::string& dir, const SynthOptions& opt);

// Largest lane count that fits and meets the clock (opt.freq_mhz, else the board's target,
// fixed for every try): tries lanes = lo, 2lo, 4lo, ... hi,
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
