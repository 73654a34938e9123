// sdm_data importer: PGM/PPM frames, UCF-101 / HMDB-51 split files -> clips.npy layout,
// and the `sdmforge data` CLI end to end when the executable exists.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include <unistd.h>

#include "data/dataset.h"
#include "data/import.h"
#include "data/npy.h"
#include "golden/error.h"

namespace fs = std::filesystem;
using sdm::Error;

namespace {

fs::path tmpdir(const std::string& name) {
  fs::path p = fs::temp_directory_path() / ("sdm_test_import_" + name + "_" + std::to_string(::getpid()));
  fs::remove_all(p);
  fs::create_directories(p);
  return p;
}

// A video of n frames, frame k uniformly grey (value base + k), w x h, grey or RGB.
void make_video(const fs::path& dir, int n, int base, int w = 40, int h = 30, bool rgb = false) {
  fs::create_directories(dir);
  for (int k = 0; k < n; ++k) {
    sdm::import::Image img;
    img.width = w;
    img.height = h;
    img.channels = rgb ? 3 : 1;
    img.pixels.assign(static_cast<size_t>(w) * h * img.channels, static_cast<uint8_t>(base + k));
    char name[32];
    std::snprintf(name, sizeof name, "img_%05d.%s", k + 1, rgb ? "ppm" : "pgm");
    sdm::import::write_pnm((dir / name).string(), img);
  }
}

template <typename F>
void expect_error(F f, const std::string& what) {
  try {
    f();
    ADD_FAILURE() << "no sdm::Error thrown (expected '" << what << "')";
  } catch (const Error& e) {
    std::string m = e.what();
    EXPECT_NE(m.find(what), std::string::npos) << "message: " << m;
    EXPECT_EQ(m.find('\n'), std::string::npos);
  }
}

}  // namespace

TEST(Pnm, ReadsAllVariantsAndRejectsBadFiles) {
  fs::path d = tmpdir("pnm");
  std::ofstream(d / "a.pgm") << "P2\n# comment\n3 1\n15\n0 15 7\n";
  auto a = sdm::import::read_pnm((d / "a.pgm").string());
  EXPECT_EQ(a.width, 3);
  EXPECT_EQ(a.pixels, (std::vector<uint8_t>{0, 255, 119}));
  std::ofstream(d / "b.ppm") << "P3 1 1 255 10 20 30\n";
  auto b = sdm::import::read_pnm((d / "b.ppm").string());
  EXPECT_EQ(b.channels, 3);
  // Grey conversion (299 R + 587 G + 114 B + 500) / 1000 = 18.
  EXPECT_EQ(sdm::import::to_grey_square(b, 16)[0], 18);
  {
    std::ofstream f(d / "c.pgm", std::ios::binary);
    f << "P5\n2 2\n255\n";
    f.write("\x01\x02\x03", 3);  // one byte short
  }
  expect_error([&] { sdm::import::read_pnm((d / "c.pgm").string()); }, "truncated pixel data");
  std::ofstream(d / "d.pgm") << "P9\n";
  expect_error([&] { sdm::import::read_pnm((d / "d.pgm").string()); }, "not a PGM/PPM");
  std::ofstream(d / "e.pgm") << "P2 2 1 10 3 11\n";
  expect_error([&] { sdm::import::read_pnm((d / "e.pgm").string()); }, "exceeds maxval");
  std::ofstream(d / "f.pgm") << "P5 0 5 255\n";
  expect_error([&] { sdm::import::read_pnm((d / "f.pgm").string()); }, "bad image size");
  fs::remove_all(d);
}

TEST(Pnm, ResizeIsCentreCropAreaMean) {
  sdm::import::Image img;
  img.width = 6;
  img.height = 4;
  img.channels = 1;
  // Left column block (x = 0) is 200 and cropped away; the 4x4 centre crop is x = 1..4.
  img.pixels.resize(24);
  for (int y = 0; y < 4; ++y)
    for (int x = 0; x < 6; ++x) img.pixels[y * 6 + x] = x == 0 ? 200 : static_cast<uint8_t>(10 * x + y);
  auto g = sdm::import::to_grey_square(img, 2);
  // Output (0,0) = mean of x=1..2, y=0..1: (10+20+11+21)/4 = 15.5 -> 16 (half up).
  EXPECT_EQ(g[0], 16);
  EXPECT_EQ(g[3], (32 + 42 + 33 + 43 + 2) / 4);  // x = 3..4, y = 2..3
}

TEST(Import, Ucf101FramesWithOfficialSplits) {
  fs::path d = tmpdir("ucf");
  fs::path fr = d / "frames", sp = d / "splits";
  fs::create_directories(sp);
  std::ofstream(sp / "classInd.txt") << "1 ApplyLipstick\n2 Basketball\n";
  std::ofstream(sp / "trainlist01.txt") << "ApplyLipstick/v_ApplyLipstick_g08_c01.avi 1\n"
                                            "Basketball/v_Basketball_g08_c01.avi 2\n"
                                            "Basketball/v_Basketball_g09_c01.avi 2\n";
  std::ofstream(sp / "testlist01.txt") << "ApplyLipstick/v_ApplyLipstick_g01_c01.avi\r\n"
                                           "Basketball/v_Basketball_g01_c01.avi\n";
  make_video(fr / "ApplyLipstick" / "v_ApplyLipstick_g08_c01", 16, 10);
  make_video(fr / "Basketball" / "v_Basketball_g08_c01", 4, 100, 20, 20, true);
  make_video(fr / "v_Basketball_g09_c01", 9, 50);  // flat layout also accepted
  make_video(fr / "ApplyLipstick" / "v_ApplyLipstick_g01_c01", 8, 0);
  make_video(fr / "Basketball" / "v_Basketball_g01_c01", 8, 200);
  sdm::import::Options o;
  o.dataset = "ucf101";
  o.frames_dir = fr.string();
  o.splits_dir = sp.string();
  o.out = (d / "out").string();
  o.frames = 4;
  auto r = sdm::import::run(o);
  EXPECT_EQ(r.train, 3);
  EXPECT_EQ(r.test, 2);
  EXPECT_EQ(r.classes, (std::vector<std::string>{"ApplyLipstick", "Basketball"}));
  sdm::Dataset tr = sdm::load_dataset((d / "out" / "train").string());
  EXPECT_EQ(tr.labels, (std::vector<int64_t>{0, 1, 1}));
  EXPECT_EQ(tr.clip_shape, (std::vector<int64_t>{1, 4, 16, 16}));
  // Video 0 has 16 frames of value 10+k: clip frame i = source floor((2i+1)*16/8) = 2, 6, 10, 14.
  EXPECT_EQ(tr.clip(0)[0], 12);
  EXPECT_EQ(tr.clip(0)[3 * 256 + 17], 24);
  // Video 1 has 4 frames: frames 0..3 -> 100..103.
  EXPECT_EQ(tr.clip(1)[2 * 256], 102);
  sdm::Dataset te = sdm::load_dataset((d / "out").string());  // root -> test
  EXPECT_EQ(te.labels, (std::vector<int64_t>{0, 1}));
  EXPECT_EQ(te.class_names[1], "Basketball");

  // Missing video folder: error by default, skipped on request.
  std::ofstream(sp / "testlist01.txt", std::ios::app) << "Basketball/v_Basketball_g02_c01.avi\n";
  expect_error([&] { sdm::import::run(o); }, "v_Basketball_g02_c01");
  o.skip_missing = true;
  EXPECT_EQ(sdm::import::run(o).skipped, 1);
  o.size = 20;
  expect_error([&] { sdm::import::run(o); }, "--size 20");
  o.size = 16;
  o.split = 4;
  expect_error([&] { sdm::import::run(o); }, "--split 4");
  fs::remove_all(d);
}

TEST(Import, Hmdb51SplitTags) {
  fs::path d = tmpdir("hmdb");
  fs::path fr = d / "frames", sp = d / "splits";
  fs::create_directories(sp);
  std::ofstream(sp / "wave_test_split1.txt") << "w1.avi 1 \nw2.avi 2 \nw3.avi 0 \n";
  std::ofstream(sp / "clap_test_split1.txt") << "c1.avi 2 \n";
  std::ofstream(sp / "clap_test_split2.txt") << "c1.avi 1 \n";
  make_video(fr / "wave" / "w1", 3, 1);
  make_video(fr / "wave" / "w2", 3, 2);
  make_video(fr / "clap" / "c1", 3, 3);
  sdm::import::Options o;
  o.dataset = "hmdb51";
  o.frames_dir = fr.string();
  o.splits_dir = sp.string();
  o.out = (d / "out").string();
  auto r = sdm::import::run(o);
  EXPECT_EQ(r.classes, (std::vector<std::string>{"clap", "wave"}));
  EXPECT_EQ(r.train, 1);
  EXPECT_EQ(r.test, 2);  // w3 (tag 0) is unused
  auto te = sdm::load_dataset((d / "out").string());
  EXPECT_EQ(te.labels, (std::vector<int64_t>{0, 1}));
  // JPEG-only folders point to the Python importer.
  fs::create_directories(fr / "clap" / "c9");
  std::ofstream(fr / "clap" / "c9" / "0001.jpg") << "x";
  expect_error([&] { sdm::import::list_frames((fr / "clap" / "c9").string()); }, "import_frames.py");
  std::ofstream(sp / "wave_test_split1.txt", std::ios::app) << "bad line\n";
  expect_error([&] { sdm::import::run(o); }, "malformed line");
  fs::remove_all(d);
}

#ifdef SDM_CLI
TEST(DataCli, SynthAndErrors) {
  fs::path d = tmpdir("cli");
  std::string cli = SDM_CLI;
  std::string out = (d / "ds").string();
  int rc = std::system((cli + " data synth --out " + out + " --train 20 --test 10 --seed 3 2>/dev/null").c_str());
  EXPECT_EQ(rc, 0);
  sdm::Dataset ds = sdm::load_dataset(out);
  EXPECT_EQ(ds.size(), 10u);
  EXPECT_EQ(ds.clip_shape, (std::vector<int64_t>{1, 8, 16, 16}));
  auto run_err = [&](const std::string& args) {
    std::string errf = (d / "err.txt").string();
    int code = std::system((cli + " " + args + " >/dev/null 2>" + errf).c_str());
    std::ifstream f(errf);
    std::string all((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
    return std::make_pair(code, all);
  };
  for (auto [args, what] : std::vector<std::pair<std::string, std::string>>{
           {"data synth --out " + out + " --size 24", "--size 24"},
           {"data synth --out " + out + " --frames 0", "--frames 0"},
           {"data synth --out " + out + " --preset medium", "unknown preset 'medium'"},
           {"data synth --out /proc/nope/x --train 2 --test 2", "cannot create output folder"},
           {"data info " + (d / "missing").string(), "does not exist"}}) {
    auto [code, err] = run_err(args);
    EXPECT_NE(code, 0) << args;
    EXPECT_NE(err.find(what), std::string::npos) << args << " -> " << err;
  }
  fs::remove_all(d);
}
#endif
