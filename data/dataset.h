// A data split as the golden model, co-simulation and evaluation read it: clips.npy
// (uint8, N×C×F×H×W for 3D models or N×C×H×W for 2D models, C order) and labels.npy
// (int64 or int32, shape N or N×1, values 0..kMaxClasses-1). See docs/data.md.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace sdm {

// Largest number of classes a data set may have (labels 0..kMaxClasses-1).
constexpr int64_t kMaxClasses = 65536;

struct Dataset {
  std::string dir;                 // the split folder actually read
  std::vector<int64_t> clip_shape; // per clip: {C, F, H, W} or {C, H, W}
  std::vector<uint8_t> clips;      // N * clip_size() pixels, C order
  std::vector<int64_t> labels;     // N labels, each in [0, num_classes)
  std::vector<std::string> class_names;  // from classes.json if present, else "0", "1", ...
  int num_classes = 0;             // classes.json count, else max label + 1

  size_t size() const { return labels.size(); }
  size_t clip_size() const;        // C*F*H*W (or C*H*W)
  bool is_video() const { return clip_shape.size() == 4; }
  const uint8_t* clip(size_t i) const { return clips.data() + i * clip_size(); }
};

// `dir` is either a split folder holding clips.npy + labels.npy, or a dataset root whose
// `test` split is used (SPEC §11). classes.json is looked up in the split folder and its
// parent. max_clips > 0 keeps only the first max_clips clips. Throws sdm::Error naming the
// folder or file on any problem (missing files, wrong dtype/rank, count mismatch, label
// out of range).
Dataset load_dataset(const std::string& dir, size_t max_clips = 0);

// Resolves `dir` as load_dataset does and returns the split folder (throws if neither).
std::string resolve_split_dir(const std::string& dir);

// Writes a split folder (creates it): clips.npy and labels.npy. Checks the sizes.
void save_split(const std::string& dir, const std::vector<int64_t>& clip_shape,
                const std::vector<uint8_t>& clips, const std::vector<int64_t>& labels);

}  // namespace sdm
