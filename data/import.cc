#include "data/import.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include <fmt/core.h>
#include <nlohmann/json.hpp>

#include "data/dataset.h"
#include "golden/error.h"
#include "golden/fileio.h"

namespace fs = std::filesystem;

namespace sdm::import {

namespace {

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

std::string trim(const std::string& s) {
  size_t a = s.find_first_not_of(" \t\r\n");
  if (a == std::string::npos) return "";
  size_t b = s.find_last_not_of(" \t\r\n");
  return s.substr(a, b - a + 1);
}

struct PnmReader {
  const std::string& path;
  const std::vector<uint8_t>& d;
  size_t i = 0;
  [[noreturn]] void fail(const std::string& what) const {
    throw Error(fmt::format("{}: {}", path, what));
  }
  void skip_ws() {
    while (i < d.size()) {
      if (d[i] == '#') {
        while (i < d.size() && d[i] != '\n') ++i;
      } else if (std::isspace(d[i])) {
        ++i;
      } else {
        break;
      }
    }
  }
  int64_t number(const char* what) {
    skip_ws();
    if (i >= d.size() || !std::isdigit(d[i])) fail(fmt::format("malformed PNM header ({})", what));
    int64_t v = 0;
    while (i < d.size() && std::isdigit(d[i])) {
      v = v * 10 + (d[i] - '0');
      if (v > 100000000) fail(fmt::format("PNM {} too large", what));
      ++i;
    }
    return v;
  }
};

}  // namespace

Image read_pnm(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) throw Error(fmt::format("cannot open '{}'", path));
  std::vector<uint8_t> d((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  PnmReader r{path, d};
  if (d.size() < 2 || d[0] != 'P' || (d[1] != '2' && d[1] != '3' && d[1] != '5' && d[1] != '6'))
    r.fail("not a PGM/PPM image (expected magic P2, P3, P5 or P6)");
  char kind = static_cast<char>(d[1]);
  r.i = 2;
  Image img;
  int64_t w = r.number("width"), h = r.number("height"), maxval = r.number("maxval");
  if (w <= 0 || h <= 0 || w > 16384 || h > 16384) r.fail(fmt::format("bad image size {}x{}", w, h));
  if (maxval <= 0 || maxval > 65535) r.fail(fmt::format("bad maxval {}", maxval));
  img.width = static_cast<int>(w);
  img.height = static_cast<int>(h);
  img.channels = (kind == '3' || kind == '6') ? 3 : 1;
  size_t n = static_cast<size_t>(w) * h * img.channels;
  img.pixels.resize(n);
  auto scale = [&](int64_t v) -> uint8_t {
    if (v > maxval) r.fail(fmt::format("sample {} exceeds maxval {}", v, maxval));
    return static_cast<uint8_t>((v * 255 + maxval / 2) / maxval);
  };
  if (kind == '2' || kind == '3') {
    for (size_t k = 0; k < n; ++k) img.pixels[k] = scale(r.number("sample"));
  } else {
    ++r.i;  // exactly one whitespace byte after maxval
    size_t bps = maxval > 255 ? 2 : 1;
    if (d.size() < r.i || d.size() - r.i < n * bps)
      r.fail(fmt::format("truncated pixel data ({} bytes, need {})", d.size() - std::min(d.size(), r.i), n * bps));
    for (size_t k = 0; k < n; ++k) {
      int64_t v = bps == 1 ? d[r.i + k] : (int64_t(d[r.i + 2 * k]) << 8) | d[r.i + 2 * k + 1];
      img.pixels[k] = scale(v);
    }
  }
  return img;
}

void write_pnm(const std::string& path, const Image& img) {
  if (img.channels != 1 && img.channels != 3)
    throw Error(fmt::format("write_pnm '{}': {} channels", path, img.channels));
  std::ofstream f(path, std::ios::binary);
  if (!f) throw Error(fmt::format("cannot write '{}'", path));
  f << (img.channels == 1 ? "P5" : "P6") << "\n" << img.width << " " << img.height << "\n255\n";
  f.write(reinterpret_cast<const char*>(img.pixels.data()), static_cast<std::streamsize>(img.pixels.size()));
  if (!f) throw Error(fmt::format("failed writing '{}'", path));
}

std::vector<uint8_t> to_grey_square(const Image& img, int size) {
  const int W = img.width, H = img.height, m = std::min(W, H);
  const int ox = (W - m) / 2, oy = (H - m) / 2;
  auto grey = [&](int x, int y) -> int {
    const uint8_t* p = &img.pixels[(static_cast<size_t>(y) * W + x) * img.channels];
    if (img.channels == 1) return p[0];
    return (299 * p[0] + 587 * p[1] + 114 * p[2] + 500) / 1000;
  };
  std::vector<uint8_t> out(static_cast<size_t>(size) * size);
  for (int y = 0; y < size; ++y)
    for (int x = 0; x < size; ++x) {
      int x0 = x * m / size, x1 = std::max(x0 + 1, (x + 1) * m / size);
      int y0 = y * m / size, y1 = std::max(y0 + 1, (y + 1) * m / size);
      int64_t sum = 0, cnt = 0;
      for (int yy = y0; yy < y1; ++yy)
        for (int xx = x0; xx < x1; ++xx) {
          sum += grey(ox + xx, oy + yy);
          ++cnt;
        }
      out[y * size + x] = static_cast<uint8_t>((sum * 2 + cnt) / (2 * cnt));
    }
  return out;
}

std::vector<uint8_t> clip_from_frames(const std::vector<std::string>& paths, int size, int frames) {
  if (paths.empty()) throw Error("clip_from_frames: no frames");
  std::vector<uint8_t> clip;
  clip.reserve(static_cast<size_t>(frames) * size * size);
  const size_t n = paths.size();
  for (int i = 0; i < frames; ++i) {
    size_t src = std::min(n - 1, static_cast<size_t>((2 * i + 1) * n / (2 * static_cast<size_t>(frames))));
    std::vector<uint8_t> g = to_grey_square(read_pnm(paths[src]), size);
    clip.insert(clip.end(), g.begin(), g.end());
  }
  return clip;
}

std::vector<std::string> list_frames(const std::string& dir) {
  std::vector<std::string> out;
  bool other = false;
  std::error_code ec;
  for (auto& e : fs::directory_iterator(dir, ec)) {
    if (!e.is_regular_file()) continue;
    std::string ext = lower(e.path().extension().string());
    if (ext == ".pgm" || ext == ".ppm" || ext == ".pnm") out.push_back(e.path().string());
    else if (ext == ".jpg" || ext == ".jpeg" || ext == ".png") other = true;
  }
  if (ec) throw Error(fmt::format("cannot list frame folder '{}'", dir));
  if (out.empty() && other)
    throw Error(fmt::format("'{}' holds JPEG/PNG frames: convert with /usr/bin/python3 python/import_frames.py (same options) or to PGM first", dir));
  if (out.empty()) throw Error(fmt::format("frame folder '{}' holds no PGM/PPM frames", dir));
  std::sort(out.begin(), out.end());
  return out;
}

namespace {

struct Entry {
  std::string rel;  // "Class/v_name" (extension stripped) or "name"
  std::string cls;
  bool train;
};

std::vector<std::string> read_lines(const fs::path& p) {
  std::ifstream f(p);
  if (!f) throw Error(fmt::format("cannot open split file '{}'", p.string()));
  std::vector<std::string> lines;
  std::string l;
  while (std::getline(f, l)) {
    l = trim(l);
    if (!l.empty()) lines.push_back(l);
  }
  return lines;
}

std::string strip_ext(const std::string& s) {
  size_t dot = s.rfind('.');
  size_t slash = s.find_last_of('/');
  if (dot == std::string::npos || (slash != std::string::npos && dot < slash)) return s;
  return s.substr(0, dot);
}

std::vector<Entry> ucf_entries(const Options& o, std::vector<std::string>& classes) {
  fs::path sd(o.splits_dir);
  std::string tr = fmt::format("trainlist{:02d}.txt", o.split), te = fmt::format("testlist{:02d}.txt", o.split);
  std::map<std::string, int> index;
  if (fs::exists(sd / "classInd.txt")) {
    for (auto& l : read_lines(sd / "classInd.txt")) {
      std::istringstream is(l);
      int id;
      std::string name;
      if (!(is >> id >> name)) throw Error(fmt::format("{}: malformed line '{}'", (sd / "classInd.txt").string(), l));
      index[name] = id - 1;
    }
  }
  std::vector<Entry> out;
  std::set<std::string> seen;
  for (auto [file, train] : {std::pair{tr, true}, std::pair{te, false}}) {
    for (auto& l : read_lines(sd / file)) {
      std::istringstream is(l);
      std::string path;
      is >> path;
      size_t slash = path.find('/');
      if (slash == std::string::npos)
        throw Error(fmt::format("{}: line '{}' is not Class/video.avi", (sd / file).string(), l));
      Entry e{strip_ext(path), path.substr(0, slash), train};
      seen.insert(e.cls);
      out.push_back(e);
    }
  }
  if (index.empty()) {
    int k = 0;
    for (auto& c : seen) index[c] = k++;
  }
  classes.assign(index.size(), "");
  for (auto& [name, id] : index) {
    if (id < 0 || id >= static_cast<int>(index.size()))
      throw Error(fmt::format("classInd.txt: class id {} out of range", id + 1));
    classes[id] = name;
  }
  for (auto& e : out)
    if (!index.count(e.cls)) throw Error(fmt::format("class '{}' of '{}' is not in classInd.txt", e.cls, e.rel));
  return out;
}

std::vector<Entry> hmdb_entries(const Options& o, std::vector<std::string>& classes) {
  std::string suffix = fmt::format("_test_split{}.txt", o.split);
  std::vector<fs::path> files;
  std::error_code ec;
  for (auto& e : fs::directory_iterator(o.splits_dir, ec)) {
    std::string n = e.path().filename().string();
    if (n.size() > suffix.size() && n.compare(n.size() - suffix.size(), suffix.size(), suffix) == 0)
      files.push_back(e.path());
  }
  if (files.empty())
    throw Error(fmt::format("--splits '{}' holds no *{} files", o.splits_dir, suffix));
  std::sort(files.begin(), files.end());
  std::vector<Entry> out;
  for (auto& p : files) {
    std::string n = p.filename().string();
    std::string cls = n.substr(0, n.size() - suffix.size());
    classes.push_back(cls);
    for (auto& l : read_lines(p)) {
      std::istringstream is(l);
      std::string video;
      int tag = -1;
      if (!(is >> video >> tag) || tag < 0 || tag > 2)
        throw Error(fmt::format("{}: malformed line '{}' (expected 'video.avi 0|1|2')", p.string(), l));
      if (tag == 0) continue;  // not used in this split
      out.push_back({cls + "/" + strip_ext(video), cls, tag == 1});
    }
  }
  return out;
}

}  // namespace

Report run(const Options& o) {
  if (o.dataset != "ucf101" && o.dataset != "hmdb51")
    throw Error(fmt::format("unknown dataset '{}' (use --ucf101 or --hmdb51)", o.dataset));
  if (o.size != 16 && o.size != 32) throw Error(fmt::format("--size {} is not 16 or 32", o.size));
  if (o.frames < 1 || o.frames > 64) throw Error(fmt::format("--frames {} is out of range 1..64", o.frames));
  if (o.split < 1 || o.split > 3) throw Error(fmt::format("--split {} is not 1, 2 or 3", o.split));
  std::error_code ec;
  if (!fs::is_directory(o.frames_dir, ec))
    throw Error(fmt::format("frames folder '{}' does not exist", o.frames_dir));
  if (!fs::is_directory(o.splits_dir, ec))
    throw Error(fmt::format("--splits folder '{}' does not exist", o.splits_dir));
  Report rep;
  std::vector<Entry> entries = o.dataset == "ucf101" ? ucf_entries(o, rep.classes) : hmdb_entries(o, rep.classes);
  std::map<std::string, int> idx;
  for (size_t k = 0; k < rep.classes.size(); ++k) idx[rep.classes[k]] = static_cast<int>(k);
  std::vector<uint8_t> clips[2];
  std::vector<int64_t> labels[2];
  for (auto& e : entries) {
    fs::path dir = fs::path(o.frames_dir) / e.rel;
    if (!fs::is_directory(dir, ec)) dir = fs::path(o.frames_dir) / fs::path(e.rel).filename();
    if (!fs::is_directory(dir, ec)) {
      if (o.skip_missing) {
        ++rep.skipped;
        continue;
      }
      throw Error(fmt::format("frame folder of video '{}' not found under '{}' (use --skip-missing to skip)", e.rel, o.frames_dir));
    }
    std::vector<uint8_t> c = clip_from_frames(list_frames(dir.string()), o.size, o.frames);
    int s = e.train ? 0 : 1;
    clips[s].insert(clips[s].end(), c.begin(), c.end());
    labels[s].push_back(idx.at(e.cls));
  }
  rep.train = static_cast<int64_t>(labels[0].size());
  rep.test = static_cast<int64_t>(labels[1].size());
  if (rep.train + rep.test == 0) throw Error(fmt::format("no videos imported from '{}'", o.frames_dir));
  std::vector<int64_t> shape{1, o.frames, o.size, o.size};
  save_split((fs::path(o.out) / "train").string(), shape, clips[0], labels[0]);
  save_split((fs::path(o.out) / "test").string(), shape, clips[1], labels[1]);
  nlohmann::ordered_json j;
  j["format"] = "sdmforge-import";
  j["version"] = 1;
  j["dataset"] = o.dataset;
  j["split"] = o.split;
  j["classes"] = rep.classes;
  j["num_classes"] = rep.classes.size();
  j["size"] = o.size;
  j["frames"] = o.frames;
  j["channels"] = 1;
  j["counts"] = {{"train", rep.train}, {"test", rep.test}, {"skipped", rep.skipped}};
  j["layout"] = "clips.npy: N x C x F x H x W uint8; labels.npy: N int64";
  j["input_scale"] = "pixel / 255";
  write_file_atomic((fs::path(o.out) / "classes.json").string(), j.dump(2) + "\n");
  return rep;
}

}  // namespace sdm::import
