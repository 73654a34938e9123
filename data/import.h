// Real-data import (SPEC §5): UCF-101 / HMDB-51 videos given as frame folders (one folder
// per video, frames as PGM/PPM images sorted by file name) plus the official split files,
// converted to the clips.npy + labels.npy layout of `data synth` (grey-scale, C = 1).
// JPEG/PNG frames: use python/import_frames.py (same options, uses Pillow) or convert the
// frames to PGM first (e.g. `ffmpeg -i v.avi f%04d.pgm`). See docs/data.md.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace sdm::import {

struct Image {
  int width = 0, height = 0, channels = 0;  // channels 1 (grey) or 3 (RGB)
  std::vector<uint8_t> pixels;              // row-major, interleaved channels
};

// Reads binary or ASCII PGM/PPM (P2, P3, P5, P6; maxval up to 65535, scaled to 0..255).
// Throws sdm::Error naming the file on malformed or truncated input.
Image read_pnm(const std::string& path);
// Writes a binary PGM (P5) or PPM (P6) (used by tests and to export previews).
void write_pnm(const std::string& path, const Image& img);

// Grey level of a pixel: (299 R + 587 G + 114 B + 500) / 1000, integer.
// Resizes one image to size×size grey: centre square crop, then box-filter (area mean,
// rounded half up) down-sampling, or nearest-neighbour when the crop is smaller than size.
std::vector<uint8_t> to_grey_square(const Image& img, int size);

// Builds one clip (frames×size×size) from the sorted frame paths of a video: frame i of
// the clip is source frame floor((i + 0.5) * n / frames).
std::vector<uint8_t> clip_from_frames(const std::vector<std::string>& frame_paths, int size,
                                      int frames);

// Sorted PGM/PPM frame files of a video folder; throws if the folder holds JPEG/PNG frames
// only (pointing to python/import_frames.py) or no frames at all.
std::vector<std::string> list_frames(const std::string& video_dir);

struct Options {
  std::string dataset;      // "ucf101" or "hmdb51"
  std::string frames_dir;   // FRAMES_DIR/<Class>/<video>/ or FRAMES_DIR/<video>/
  std::string splits_dir;   // UCF: trainlist0N.txt, testlist0N.txt, classInd.txt;
                            // HMDB: <class>_test_splitN.txt (1 = train, 2 = test)
  int split = 1;            // 1..3
  std::string out;
  int size = 16;
  int frames = 8;
  bool skip_missing = false;  // skip videos whose frame folder is missing (else error)
};

struct Report {
  int64_t train = 0, test = 0, skipped = 0;
  std::vector<std::string> classes;
};

// Validates the options (sdm::Error one-liners), converts and writes out/{train,test}/ and
// out/classes.json.
Report run(const Options& o);

}  // namespace sdm::import
