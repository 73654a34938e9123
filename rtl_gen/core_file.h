// FuseSoC packaging of a generated accelerator: a CAPI2 core file (`sdm_accel.core`) that
// lists the folder's Verilog, the leaf RTL it copies in (sd_neuron.v) and its ROM init
// files, with a Verilator lint target and an Icarus simulation target, so the accelerator
// drops into a FuseSoC/Edalize project as `sdmforge:sdm:sdm_accel`.
//
//   fusesoc --cores-root OUT run --target lint sdmforge:sdm:sdm_accel
//   fusesoc --cores-root OUT run --target sim --setup --build sdmforge:sdm:sdm_accel
#pragma once

#include <string>

#include <nlohmann/json.hpp>

namespace sdm {

// The core file's text for a design whose signature.json is `signature` (fields used:
// top, files; model/config/lanes go into the description). Throws sdm::Error naming the
// field when `files` lists no Verilog or a file name that is not a plain file name.
std::string fusesoc_core(const nlohmann::json& signature);

// Reads DIR/signature.json and writes DIR/sdm_accel.core; returns the core file's path.
std::string write_fusesoc_core(const std::string& dir);

}  // namespace sdm
