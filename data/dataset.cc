#include "data/dataset.h"

#include <filesystem>
#include <fstream>

#include <fmt/core.h>
#include <nlohmann/json.hpp>

#include "data/npy.h"
#include "golden/error.h"

namespace fs = std::filesystem;

namespace sdm {

size_t Dataset::clip_size() const {
  size_t n = 1;
  for (int64_t d : clip_shape) n *= static_cast<size_t>(d);
  return n;
}

static bool has_split(const fs::path& p) {
  std::error_code ec;
  return fs::is_regular_file(p / "clips.npy", ec) && fs::is_regular_file(p / "labels.npy", ec);
}

std::string resolve_split_dir(const std::string& dir) {
  std::error_code ec;
  fs::path p(dir);
  if (!fs::exists(p, ec)) throw Error(fmt::format("data folder '{}' does not exist", dir));
  if (!fs::is_directory(p, ec))
    throw Error(fmt::format("data folder '{}' is not a directory", dir));
  if (has_split(p)) return p.string();
  if (has_split(p / "test")) return (p / "test").string();
  throw Error(fmt::format(
      "data folder '{}' holds neither clips.npy + labels.npy nor test/clips.npy + test/labels.npy",
      dir));
}

static void read_classes(const fs::path& split, Dataset& ds) {
  for (fs::path p : {split / "classes.json", split.parent_path() / "classes.json"}) {
    std::error_code ec;
    if (!fs::is_regular_file(p, ec)) continue;
    std::ifstream f(p);
    nlohmann::json j;
    try {
      f >> j;
    } catch (const std::exception& e) {
      throw Error(fmt::format("{}: invalid JSON", p.string()));
    }
    if (!j.contains("classes") || !j["classes"].is_array())
      throw Error(fmt::format("{}: missing the 'classes' array", p.string()));
    for (auto& c : j["classes"]) {
      if (!c.is_string()) throw Error(fmt::format("{}: class names must be strings", p.string()));
      ds.class_names.push_back(c.get<std::string>());
    }
    return;
  }
}

Dataset load_dataset(const std::string& dir, size_t max_clips) {
  Dataset ds;
  ds.dir = resolve_split_dir(dir);
  fs::path sp(ds.dir);
  std::string cpath = (sp / "clips.npy").string(), lpath = (sp / "labels.npy").string();
  npy::NpyArray clips = npy::load(cpath);
  clips.expect("u1", {4, 5}, cpath);
  std::vector<int64_t> lshape;
  ds.labels = npy::load_i64(lpath, &lshape);
  // (N,) or an N x 1 column (what many tools write): the same N labels, exactly.
  if (lshape.size() != 1 && !(lshape.size() == 2 && lshape[1] == 1))
    throw Error(fmt::format("{}: expected N labels, shape (N,) or (N, 1), got {} dimensions", lpath,
                            lshape.size()));
  int64_t n = clips.shape[0];
  if (n != lshape[0])
    throw Error(fmt::format("{}: {} labels but {} holds {} clips", lpath, lshape[0], cpath, n));
  if (n == 0) throw Error(fmt::format("{}: the split holds no clips", cpath));
  for (size_t k = 1; k < clips.shape.size(); ++k)
    if (clips.shape[k] <= 0)
      throw Error(fmt::format("{}: empty clip dimension in shape {}", cpath, clips.shape_str()));
  ds.clip_shape.assign(clips.shape.begin() + 1, clips.shape.end());
  ds.clips = std::move(clips.bytes);
  read_classes(sp, ds);
  int64_t maxl = -1;
  for (size_t i = 0; i < ds.labels.size(); ++i) {
    int64_t l = ds.labels[i];
    if (l < 0) throw Error(fmt::format("{}: negative label {} at index {}", lpath, l, i));
    if (!ds.class_names.empty() && l >= static_cast<int64_t>(ds.class_names.size()))
      throw Error(fmt::format("{}: label {} at index {} but classes.json names {} classes", lpath,
                              l, i, ds.class_names.size()));
    // Without classes.json the class count is max label + 1: bound it before anything is
    // sized from it (a label of 2^32 + 1 wrapped to an int; 2e9 made 2e9 class names).
    if (l >= kMaxClasses)
      throw Error(fmt::format("{}: label {} at index {} is outside 0..{} (the class limit)", lpath, l,
                              i, kMaxClasses - 1));
    maxl = std::max(maxl, l);
  }
  ds.num_classes = ds.class_names.empty() ? static_cast<int>(maxl + 1)
                                          : static_cast<int>(ds.class_names.size());
  if (ds.class_names.empty())
    for (int c = 0; c < ds.num_classes; ++c) ds.class_names.push_back(std::to_string(c));
  if (max_clips > 0 && max_clips < ds.labels.size()) {
    ds.labels.resize(max_clips);
    ds.clips.resize(max_clips * ds.clip_size());
  }
  return ds;
}

void save_split(const std::string& dir, const std::vector<int64_t>& clip_shape,
                const std::vector<uint8_t>& clips, const std::vector<int64_t>& labels) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec || !fs::is_directory(dir, ec))
    throw Error(fmt::format("cannot create output folder '{}'", dir));
  std::vector<int64_t> shape{static_cast<int64_t>(labels.size())};
  shape.insert(shape.end(), clip_shape.begin(), clip_shape.end());
  npy::save((fs::path(dir) / "clips.npy").string(), npy::make_u8(shape, clips));
  npy::save((fs::path(dir) / "labels.npy").string(),
            npy::make_i64({static_cast<int64_t>(labels.size())}, labels));
}

}  // namespace sdm
