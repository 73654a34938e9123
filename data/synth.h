// Deterministic synthetic action dataset (SPEC §5): grey-scale clips of one shape whose
// class is its *motion*. See docs/data.md for the classes, presets and the single-frame
// invariance argument.
//
// Determinism rule: every random number comes from std::mt19937_64's raw 64-bit output
// (fully specified by the C++ standard) mapped to floats/ranges by our own code; sin, cos
// and exp are our own polynomial evaluations (IEEE + - * / and sqrt only), and the library
// is compiled with -ffp-contract=off. So a seed gives byte-identical files everywhere.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace sdm::synth {

struct Options {
  std::string preset = "easy";  // "easy" (10 classes) or "hard" (14 classes)
  int size = 16;                // frame height = width: 16 or 32
  int frames = 8;               // frames per clip, 2..64
  int64_t train = 4000;         // clips in the train split
  int64_t test = 1000;          // clips in the test split
  uint64_t seed = 1;
};

// Throws sdm::Error naming the bad value (unknown preset, size not 16/32, frames out of
// range, negative counts).
void validate(const Options& o);

// Class names of a preset, in label order. The easy classes are a prefix of the hard ones.
std::vector<std::string> class_names(const std::string& preset);

// Renders one clip of class `label` as frames×size×size uint8 (C order), from the
// per-clip seed. Pure function of its arguments.
std::vector<uint8_t> render_clip(const Options& o, int label, uint64_t clip_seed);

// The per-clip seed of clip `index` in split "train" or "test".
uint64_t clip_seed(uint64_t seed, const std::string& split, int64_t index);

struct Split {
  std::vector<uint8_t> clips;   // count × 1 × F × H × W
  std::vector<int64_t> labels;  // count, balanced (count/K or +1 per class), shuffled
};

// Generates a split. `count` clips; labels are balanced and shuffled deterministically.
Split generate_split(const Options& o, const std::string& split, int64_t count);

// Writes out/{train,test}/{clips,labels}.npy and out/classes.json. Throws sdm::Error if the
// folder cannot be created or written.
void write_dataset(const std::string& out, const Options& o);

// classes.json text for these options.
std::string classes_json(const Options& o);

// Deterministic helpers, exposed for tests.
double det_sin(double x);
double det_cos(double x);
double det_exp(double x);

}  // namespace sdm::synth
