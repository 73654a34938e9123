// The boards the flow builds for: device, package, clock, UART and LED pins, the wrapper
// they use (rtl/board_ice40.v or rtl/board_ecp5.v) and how to program them.
#pragma once

#include <string>
#include <vector>

namespace sdm::fpga {

enum class Family { ice40, ecp5 };

struct Board {
  std::string name;      // CLI name: icebreaker, hx8k, ulx3s, orangecrab
  std::string title;     // human name
  Family family;
  std::string device;    // nextpnr device flag without dashes: up5k, hx8k, 85k, 25k
  std::string package;   // nextpnr --package
  std::string part;      // vendor part number, for reports
  double osc_mhz;        // on-board oscillator
  double default_mhz;    // design clock of a fixed-clock search (synth --fit)
  double auto_mhz;       // --freq auto's first placement: the board's Fmax target (issue 16)
  std::string clk_pin;
  bool pll_pad;          // iCE40: the oscillator pin is a PLL pad (SB_PLL40_PAD)
  std::string uart_rx_pin;  // FPGA input (host -> board)
  std::string uart_tx_pin;  // FPGA output (board -> host)
  std::vector<std::string> led_pins;  // led 0 = busy, 1 = done, 2.. = class bits
  unsigned led_invert;   // bit i set: LED i is active low
  bool dsp;              // synth_ice40 -dsp (UP5K has SB_MAC16)
  std::string program;   // command that programs the bitstream ({bit} = file)
};

const std::vector<Board>& boards();
// Throws sdm::Error naming `name` and listing the known boards.
const Board& find_board(const std::string& name);

std::string family_name(Family f);
std::string wrapper_module(const Board& b);  // board_ice40 / board_ecp5
// Pin constraints for the wrapper's ports: .pcf text (iCE40) or .lpf text (ECP5).
std::string constraints(const Board& b);
std::string constraints_file_name(const Board& b);  // board.pcf / board.lpf

}  // namespace sdm::fpga
