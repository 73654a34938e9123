// `sdmforge data synth|import|info`: the synthetic action dataset, the UCF-101 / HMDB-51
// frame-folder importer and a summary of a data folder (SPEC §5, §11; docs/data.md).
#include <filesystem>
#include <iostream>
#include <map>
#include <memory>

#include <fmt/core.h>
#include <nlohmann/json.hpp>

#include "apps/cli_util.h"
#include "apps/commands.h"
#include "data/dataset.h"
#include "data/import.h"
#include "data/synth.h"
#include "golden/error.h"

namespace {

struct SynthArgs {
  sdm::synth::Options o;
  std::string out, json;
};

struct ImportArgs {
  sdm::import::Options o;
  std::string ucf, hmdb, json;
};

struct InfoArgs {
  std::string dir, json;
};

void check_out_dir(const std::string& out) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (out.empty()) throw sdm::Error("--out is empty");
  if (fs::exists(out, ec) && !fs::is_directory(out, ec))
    throw sdm::Error(fmt::format("--out '{}' exists and is not a directory", out));
}

void run_synth(const SynthArgs& a) {
  sdm::synth::validate(a.o);
  check_out_dir(a.out);
  sdm::synth::write_dataset(a.out, a.o);
  nlohmann::ordered_json j;
  j["out"] = a.out;
  j["preset"] = a.o.preset;
  j["classes"] = sdm::synth::class_names(a.o.preset).size();
  j["size"] = a.o.size;
  j["frames"] = a.o.frames;
  j["train"] = a.o.train;
  j["test"] = a.o.test;
  j["seed"] = a.o.seed;
  std::cerr << fmt::format("data synth: wrote {} train + {} test clips ({} classes, {}x{}x{}) to {}\n",
                           a.o.train, a.o.test, sdm::synth::class_names(a.o.preset).size(),
                           a.o.frames, a.o.size, a.o.size, a.out);
  if (!a.json.empty()) sdm::cli::write_output(a.json, j.dump(2) + "\n");
}

void run_import(ImportArgs a) {
  if (a.ucf.empty() == a.hmdb.empty())
    throw sdm::Error("give exactly one of --ucf101 FRAMES_DIR or --hmdb51 FRAMES_DIR");
  a.o.dataset = a.ucf.empty() ? "hmdb51" : "ucf101";
  a.o.frames_dir = a.ucf.empty() ? a.hmdb : a.ucf;
  check_out_dir(a.o.out);
  sdm::import::Report r = sdm::import::run(a.o);
  nlohmann::ordered_json j;
  j["out"] = a.o.out;
  j["dataset"] = a.o.dataset;
  j["classes"] = r.classes.size();
  j["train"] = r.train;
  j["test"] = r.test;
  j["skipped"] = r.skipped;
  std::cerr << fmt::format("data import: {} train + {} test clips, {} classes ({} skipped) -> {}\n",
                           r.train, r.test, r.classes.size(), r.skipped, a.o.out);
  if (!a.json.empty()) sdm::cli::write_output(a.json, j.dump(2) + "\n");
}

void run_info(const InfoArgs& a) {
  sdm::check_outputs_not_inputs(sdm::cli::data_inputs(a.dir), {a.json});
  sdm::Dataset ds = sdm::load_dataset(a.dir);
  std::vector<int64_t> counts(ds.num_classes, 0);
  for (int64_t l : ds.labels) ++counts[l];
  nlohmann::ordered_json j;
  j["split_dir"] = ds.dir;
  j["clips"] = ds.size();
  j["clip_shape"] = ds.clip_shape;
  // A .npy stores no axis names: say how the tools will read the clips, and point out a
  // shape that looks channel-last rather than calling it (C,F,H,W).
  j["kind"] = ds.is_video() ? "4-D clips, read as (C, F, H, W)" : "3-D clips, read as (C, H, W)";
  const auto& cs = ds.clip_shape;
  for (size_t k = 1; k < cs.size(); ++k)
    if ((cs[k] == 1 || cs[k] == 3) && cs[0] != 1 && cs[0] != 3) {
      j["warning"] = fmt::format(
          "per-clip axis {} has {} entries and axis 0 has {}: axis {} looks like the channels, but "
          "the tools read axis 0 as channels; transpose the clips to channels first", k, cs[k], cs[0], k);
      break;
    }
  j["num_classes"] = ds.num_classes;
  j["classes"] = ds.class_names;
  j["counts"] = counts;
  sdm::cli::write_output(a.json.empty() ? "-" : a.json, j.dump(2) + "\n");
}

void reg(CLI::App& app) {
  auto* data = app.add_subcommand("data", "Datasets: synthetic action clips, UCF-101/HMDB-51 import, info");
  data->require_subcommand(1);

  auto sa = std::make_shared<SynthArgs>();
  auto* s = data->add_subcommand("synth", "Write the deterministic synthetic action dataset (docs/data.md)");
  s->add_option("--out", sa->out, "output folder: DIR/{train,test}/{clips,labels}.npy, DIR/classes.json")->required();
  s->add_option("--preset", sa->o.preset, "easy (10 classes) | hard (14 classes, distractors, occluders, noise)")->capture_default_str();
  s->add_option("--size", sa->o.size, "frame size: 16 | 32")->capture_default_str();
  s->add_option("--frames", sa->o.frames, "frames per clip (2..64)")->capture_default_str();
  s->add_option("--train", sa->o.train, "clips in the train split")->capture_default_str();
  s->add_option("--test", sa->o.test, "clips in the test split")->capture_default_str();
  s->add_option("--seed", sa->o.seed, "seed (same seed = byte-identical files)")->capture_default_str();
  s->add_option("--json", sa->json, "write a JSON summary to FILE ('-' = stdout)");
  s->callback([sa] { run_synth(*sa); });

  auto ia = std::make_shared<ImportArgs>();
  auto* im = data->add_subcommand("import", "Convert UCF-101/HMDB-51 frame folders (PGM/PPM frames) with the official splits");
  im->add_option("--ucf101", ia->ucf, "UCF-101 frames folder: <Class>/<video>/*.pgm|ppm or <video>/...");
  im->add_option("--hmdb51", ia->hmdb, "HMDB-51 frames folder: <class>/<video>/*.pgm|ppm or <video>/...");
  im->add_option("--splits", ia->o.splits_dir, "split files folder (UCF: trainlist0N/testlist0N/classInd.txt; HMDB: *_test_splitN.txt)")->required();
  im->add_option("--split", ia->o.split, "official split 1..3")->capture_default_str();
  im->add_option("--out", ia->o.out, "output folder (same layout as data synth)")->required();
  im->add_option("--size", ia->o.size, "frame size: 16 | 32")->capture_default_str();
  im->add_option("--frames", ia->o.frames, "frames sampled per video")->capture_default_str();
  im->add_flag("--skip-missing", ia->o.skip_missing, "skip videos whose frame folder is missing");
  im->add_option("--json", ia->json, "write a JSON summary to FILE ('-' = stdout)");
  im->callback([ia] { run_import(*ia); });

  auto fa = std::make_shared<InfoArgs>();
  auto* in = data->add_subcommand("info", "Summarise a data folder (split folder or dataset root: its test split)");
  in->add_option("DIR", fa->dir, "data folder")->required();
  in->add_option("--json", fa->json, "write the JSON to FILE instead of stdout");
  in->callback([fa] { run_info(*fa); });
}

}  // namespace

SDM_REGISTER_COMMAND(10, reg);
