// sdm_synth_tool: `sdmforge data synth` without the rest of sdmforge (used by python tests
// and python/retrain.sh). Same options, same output bytes.
#include <cstdio>

#include <CLI/CLI.hpp>

#include "data/synth.h"
#include "golden/error.h"

int main(int argc, char** argv) {
  CLI::App app{"sdm_synth_tool: write the synthetic action dataset (same as `sdmforge data synth`)"};
  sdm::synth::Options o;
  std::string out;
  app.add_option("--out", out, "output folder")->required();
  app.add_option("--preset", o.preset, "easy | hard")->capture_default_str();
  app.add_option("--size", o.size, "16 | 32")->capture_default_str();
  app.add_option("--frames", o.frames, "frames per clip")->capture_default_str();
  app.add_option("--train", o.train, "train clips")->capture_default_str();
  app.add_option("--test", o.test, "test clips")->capture_default_str();
  app.add_option("--seed", o.seed, "seed")->capture_default_str();
  try {
    app.parse(argc, argv);
    sdm::synth::write_dataset(out, o);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "sdm_synth_tool: error: %s\n", e.what());
    return 2;
  }
  return 0;
}
