// sdm_data: .npy I/O (round trips, corrupt files), data-split loading, and the synthetic
// action generator (determinism, layout, "a class cannot be read from one frame").
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>

#include <unistd.h>

#include "data/dataset.h"
#include "data/npy.h"
#include "data/synth.h"
#include "golden/error.h"

namespace fs = std::filesystem;
using sdm::Error;

namespace {

fs::path tmpdir(const std::string& name) {
  fs::path p = fs::temp_directory_path() / ("sdm_test_data_" + name + "_" + std::to_string(::getpid()));
  fs::remove_all(p);
  fs::create_directories(p);
  return p;
}

void write_bytes(const fs::path& p, const std::vector<uint8_t>& b) {
  std::ofstream f(p, std::ios::binary);
  f.write(reinterpret_cast<const char*>(b.data()), static_cast<std::streamsize>(b.size()));
}

std::vector<uint8_t> read_bytes(const fs::path& p) {
  std::ifstream f(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>()};
}

uint64_t fnv1a(const std::vector<uint8_t>& b) {
  uint64_t h = 1469598103934665603ULL;
  for (uint8_t c : b) h = (h ^ c) * 1099511628211ULL;
  return h;
}

// Error message must mention `what` and be a single line.
template <typename F>
void expect_error(F f, const std::string& what) {
  try {
    f();
    ADD_FAILURE() << "no sdm::Error thrown (expected one mentioning '" << what << "')";
  } catch (const Error& e) {
    std::string m = e.what();
    EXPECT_NE(m.find(what), std::string::npos) << "message: " << m;
    EXPECT_EQ(m.find('\n'), std::string::npos) << "multi-line message: " << m;
  }
}

std::vector<uint8_t> header_file(const std::string& dict, size_t payload, int major = 1) {
  std::string d = dict;
  size_t pre = major == 1 ? 10 : 12;
  while ((pre + d.size() + 1) % 64) d.push_back(' ');
  d.push_back('\n');
  std::vector<uint8_t> b = {0x93, 'N', 'U', 'M', 'P', 'Y', static_cast<uint8_t>(major), 0};
  b.push_back(d.size() & 0xff);
  b.push_back((d.size() >> 8) & 0xff);
  if (major != 1) {
    b.push_back(0);
    b.push_back(0);
  }
  b.insert(b.end(), d.begin(), d.end());
  b.resize(b.size() + payload, 7);
  return b;
}

}  // namespace

// ------------------------------------------------------------------ npy

TEST(Npy, RoundTripAllDtypes) {
  fs::path d = tmpdir("rt");
  std::vector<uint8_t> u(2 * 3 * 4);
  for (size_t i = 0; i < u.size(); ++i) u[i] = static_cast<uint8_t>(i * 11);
  sdm::npy::save((d / "u.npy").string(), sdm::npy::make_u8({2, 3, 4}, u));
  std::vector<int64_t> shape;
  EXPECT_EQ(sdm::npy::load_u8((d / "u.npy").string(), &shape), u);
  EXPECT_EQ(shape, (std::vector<int64_t>{2, 3, 4}));

  std::vector<int64_t> l = {0, -1, 5, int64_t(1) << 40, 9};
  sdm::npy::save((d / "l.npy").string(), sdm::npy::make_i64({5}, l));
  EXPECT_EQ(sdm::npy::load_i64((d / "l.npy").string(), &shape), l);
  EXPECT_EQ(shape, (std::vector<int64_t>{5}));

  std::vector<float> f = {0.5f, -1.25f, 3e-8f, 1e30f, 0.f, -0.f};
  sdm::npy::save((d / "f.npy").string(), sdm::npy::make_f32({2, 3}, f));
  auto g = sdm::npy::load_f32((d / "f.npy").string(), &shape);
  ASSERT_EQ(g.size(), f.size());
  for (size_t i = 0; i < f.size(); ++i) EXPECT_EQ(std::memcmp(&g[i], &f[i], 4), 0);

  // Scalars and empty arrays.
  sdm::npy::save((d / "s.npy").string(), sdm::npy::make_i64({}, {42}));
  sdm::npy::NpyArray s = sdm::npy::load((d / "s.npy").string());
  EXPECT_TRUE(s.shape.empty());
  EXPECT_EQ(s.data<int64_t>()[0], 42);
  sdm::npy::save((d / "e.npy").string(), sdm::npy::make_u8({0, 4}, {}));
  EXPECT_EQ(sdm::npy::load((d / "e.npy").string()).numel(), 0);
  fs::remove_all(d);
}

// npy::save goes through write_file_atomic (golden/fileio.h), the project's one writer: an
// overwrite replaces the file whole, a failed write keeps what was there, and no temporary
// file is left behind either way.
TEST(Npy, SaveIsAtomicAndLeavesNoTemporary) {
  fs::path d = tmpdir("atomic");
  const std::string p = (d / "a.npy").string();
  sdm::npy::save(p, sdm::npy::make_u8({4}, {1, 2, 3, 4}));
  sdm::npy::save(p, sdm::npy::make_u8({1}, {9}));
  EXPECT_EQ(sdm::npy::load_u8(p, nullptr), std::vector<uint8_t>{9});
  fs::create_directory(d / "dir.npy");  // rename(2) onto a folder fails
  try {
    sdm::npy::save((d / "dir.npy").string(), sdm::npy::make_u8({1}, {7}));
    ADD_FAILURE() << "saving onto a folder did not throw";
  } catch (const sdm::Error& e) {
    EXPECT_NE(std::string(e.what()).find("dir.npy"), std::string::npos) << e.what();
  }
  EXPECT_TRUE(fs::is_directory(d / "dir.npy"));
  EXPECT_THROW(sdm::npy::save((d / "missing" / "b.npy").string(), sdm::npy::make_u8({1}, {7})),
               sdm::Error);
  std::vector<std::string> names;
  for (const auto& e : fs::directory_iterator(d)) names.push_back(e.path().filename().string());
  std::sort(names.begin(), names.end());
  EXPECT_EQ(names, (std::vector<std::string>{"a.npy", "dir.npy"}));
  fs::remove_all(d);
}

TEST(Npy, HeaderIsNumpyCompatible) {
  std::vector<uint8_t> b = sdm::npy::serialize(sdm::npy::make_u8({3, 1}, {1, 2, 3}));
  ASSERT_GE(b.size(), 64u + 3);
  EXPECT_EQ(b[6], 1);  // version 1.0
  size_t hlen = b[8] | (b[9] << 8);
  EXPECT_EQ((10 + hlen) % 64, 0u);
  std::string h(b.begin() + 10, b.begin() + 10 + hlen);
  EXPECT_EQ(h.rfind("{'descr': '|u1', 'fortran_order': False, 'shape': (3, 1), }", 0), 0u) << h;
  EXPECT_EQ(h.back(), '\n');
  std::string one(reinterpret_cast<const char*>(sdm::npy::serialize(sdm::npy::make_i64({2}, {1, 2})).data()) + 10, 60);
  EXPECT_NE(one.find("'<i8'"), std::string::npos);
  EXPECT_NE(one.find("(2,)"), std::string::npos);
}

TEST(Npy, ParsesVersion2AndOtherWriters) {
  // Version 2.0 header, double quotes, no trailing comma, 'L' suffix (old numpy).
  auto b = header_file("{\"descr\": \"<f4\", \"shape\": (2L, 1L), \"fortran_order\": False}", 8, 2);
  sdm::npy::NpyArray a = sdm::npy::parse(b.data(), b.size(), "v2.npy");
  EXPECT_EQ(a.dtype, "f4");
  EXPECT_EQ(a.shape, (std::vector<int64_t>{2, 1}));
  auto c = header_file("{'descr': '<i4', 'fortran_order': False, 'shape': (2,), }", 8);
  fs::path d = tmpdir("i4");
  write_bytes(d / "i4.npy", c);
  auto v = sdm::npy::load_i64((d / "i4.npy").string());
  EXPECT_EQ(v.size(), 2u);
  EXPECT_EQ(v[0], 0x07070707);
  fs::remove_all(d);
}

TEST(Npy, CorruptFilesGiveClearErrors) {
  auto good = header_file("{'descr': '|u1', 'fortran_order': False, 'shape': (4, 4), }", 16);
  auto parse = [](std::vector<uint8_t> b) { return [b] { sdm::npy::parse(b.data(), b.size(), "x.npy"); }; };
  expect_error(parse({'P', 'K', 3, 4, 0, 0, 0, 0, 0, 0, 0}), "x.npy: not a .npy file");
  auto trunc = good;
  trunc.resize(good.size() - 1);
  expect_error(parse(trunc), "truncated data");
  auto trail = good;
  trail.push_back(0);
  expect_error(parse(trail), "trailing bytes");
  auto hdr = good;
  hdr.resize(30);
  expect_error(parse(hdr), "truncated .npy header");
  expect_error(parse(header_file("{'descr': '>i8', 'fortran_order': False, 'shape': (1,), }", 8)), "big-endian");
  expect_error(parse(header_file("{'descr': '<f8', 'fortran_order': False, 'shape': (1,), }", 8)), "unsupported dtype '<f8'");
  expect_error(parse(header_file("{'descr': '|u1', 'fortran_order': True, 'shape': (2, 2), }", 4)), "Fortran");
  expect_error(parse(header_file("{'descr': [('a', '<i4')], 'fortran_order': False, 'shape': (1,), }", 4)), "structured");
  expect_error(parse(header_file("{'descr': '|u1', 'fortran_order': False, 'shape': (99999999999, 99999999999, 99999999999), }", 4)),
               "more elements than an int64 counts");
  expect_error(parse(header_file("{'descr': '|u1', 'fortran_order': Maybe, 'shape': (1,), }", 1)), "fortran_order");
  expect_error(parse(header_file("{'descr': '|u1', 'shape': (1,), }", 1)), "missing");
  expect_error(parse(header_file("garbage", 1)), "bad .npy header");
  auto ver = good;
  ver[6] = 9;
  expect_error(parse(ver), "version 9");
  expect_error([] { sdm::npy::load("/nonexistent/dir/clips.npy"); }, "/nonexistent/dir/clips.npy");
}

TEST(Npy, EveryTruncationThrowsNeverCrashes) {
  auto good = sdm::npy::serialize(sdm::npy::make_i64({3}, {1, 2, 3}));
  for (size_t n = 0; n < good.size(); ++n) {
    EXPECT_THROW(sdm::npy::parse(good.data(), n, "t.npy"), Error) << "length " << n;
  }
  // Random byte corruption of the header: either parses consistently or throws sdm::Error.
  std::mt19937_64 g(3);
  for (int k = 0; k < 2000; ++k) {
    auto b = good;
    b[g() % 80] = static_cast<uint8_t>(g());
    try {
      auto a = sdm::npy::parse(b.data(), b.size(), "fuzz.npy");
      EXPECT_EQ(a.bytes.size(), static_cast<size_t>(a.numel()) * a.itemsize());
    } catch (const Error&) {
    }
  }
}

TEST(Npy, TypedAccessChecksDtype) {
  auto a = sdm::npy::make_u8({2}, {1, 2});
  EXPECT_EQ(a.data<uint8_t>()[1], 2);
  EXPECT_THROW(a.data<float>(), Error);
  expect_error([&] { a.expect("i8", {}, "labels.npy"); }, "labels.npy: expected dtype 'i8', got 'u1'");
  expect_error([&] { a.expect("u1", {4, 5}, "clips.npy"); }, "expected 4 or 5 dimensions");
  EXPECT_THROW(sdm::npy::make_u8({3}, {1, 2}), Error);
}

// ------------------------------------------------------------------ dataset loader

TEST(Dataset, LoadsSplitOrRootAndChecksConsistency) {
  fs::path d = tmpdir("ds");
  std::vector<uint8_t> clips(3 * 1 * 2 * 4 * 4, 9);
  sdm::save_split((d / "test").string(), {1, 2, 4, 4}, clips, {0, 2, 1});
  sdm::save_split((d / "train").string(), {1, 2, 4, 4}, clips, {1, 1, 1});
  sdm::Dataset a = sdm::load_dataset(d.string());  // root -> test split
  EXPECT_EQ(a.size(), 3u);
  EXPECT_EQ(a.labels, (std::vector<int64_t>{0, 2, 1}));
  EXPECT_EQ(a.clip_shape, (std::vector<int64_t>{1, 2, 4, 4}));
  EXPECT_EQ(a.clip_size(), 32u);
  EXPECT_TRUE(a.is_video());
  EXPECT_EQ(a.num_classes, 3);
  sdm::Dataset b = sdm::load_dataset((d / "train").string(), 2);
  EXPECT_EQ(b.size(), 2u);
  EXPECT_EQ(b.clips.size(), 64u);

  // classes.json in the root names the classes.
  std::ofstream(d / "classes.json") << R"({"classes": ["a", "b", "c", "d"]})";
  sdm::Dataset c = sdm::load_dataset(d.string());
  EXPECT_EQ(c.num_classes, 4);
  EXPECT_EQ(c.class_names[3], "d");

  expect_error([&] { sdm::load_dataset((d / "nope").string()); }, "does not exist");
  fs::create_directories(d / "empty");
  expect_error([&] { sdm::load_dataset((d / "empty").string()); }, "holds neither clips.npy");
  sdm::npy::save((d / "test" / "labels.npy").string(), sdm::npy::make_i64({2}, {0, 1}));
  expect_error([&] { sdm::load_dataset(d.string()); }, "2 labels but");
  sdm::npy::save((d / "test" / "labels.npy").string(), sdm::npy::make_i64({3}, {0, -1, 1}));
  expect_error([&] { sdm::load_dataset(d.string()); }, "negative label -1");
  sdm::npy::save((d / "test" / "labels.npy").string(), sdm::npy::make_i64({3}, {0, 7, 1}));
  expect_error([&] { sdm::load_dataset(d.string()); }, "label 7 at index 1");
  sdm::npy::save((d / "test" / "clips.npy").string(), sdm::npy::make_f32({3, 1}, {0, 0, 0}));
  expect_error([&] { sdm::load_dataset(d.string()); }, "expected dtype 'u1'");
  fs::remove_all(d);
}

// ------------------------------------------------------------------ synthetic generator

TEST(Synth, DeterministicMathMatchesLibm) {
  for (double x = -20; x < 20; x += 0.037) {
    EXPECT_NEAR(sdm::synth::det_sin(x), std::sin(x), 1e-12);
    EXPECT_NEAR(sdm::synth::det_cos(x), std::cos(x), 1e-12);
  }
  for (double x = -3; x < 3; x += 0.011) EXPECT_NEAR(sdm::synth::det_exp(x) / std::exp(x), 1.0, 1e-13);
}

TEST(Synth, SameSeedSameBytesDifferentSeedDifferent) {
  sdm::synth::Options o;
  o.train = 30;
  o.test = 12;
  fs::path d = tmpdir("det");
  sdm::synth::write_dataset((d / "a").string(), o);
  sdm::synth::write_dataset((d / "b").string(), o);
  o.seed = 2;
  sdm::synth::write_dataset((d / "c").string(), o);
  for (const char* f : {"train/clips.npy", "train/labels.npy", "test/clips.npy", "test/labels.npy", "classes.json"})
    EXPECT_EQ(read_bytes(d / "a" / f), read_bytes(d / "b" / f)) << f;
  EXPECT_NE(read_bytes(d / "a" / "train/clips.npy"), read_bytes(d / "c" / "train/clips.npy"));
  EXPECT_NE(read_bytes(d / "a" / "test/clips.npy"), read_bytes(d / "a" / "train/clips.npy"));
  fs::remove_all(d);
}

TEST(Synth, PinnedBytesAcrossPlatforms) {
  // The generator's output is part of the contract (bundled models were trained on it).
  // If this hash changes, every shipped model's data changed: retrain and update cards.
  sdm::synth::Options o;
  o.train = 20;
  o.test = 0;
  o.seed = 7;
  auto s = sdm::synth::generate_split(o, "train", 20);
  EXPECT_EQ(fnv1a(s.clips), 0x743e38e8d4dcf4bdULL) << std::hex << fnv1a(s.clips);
  // The hard preset exercises distractors, occluders and flicker; 32x32 the size scaling.
  o.preset = "hard";
  o.size = 32;
  auto h = sdm::synth::generate_split(o, "test", 14);
  EXPECT_EQ(fnv1a(h.clips), 0x49627b93eb0ba9abULL) << std::hex << fnv1a(h.clips);
  EXPECT_EQ(fnv1a(sdm::npy::serialize(sdm::npy::make_i64({14}, h.labels))), 0xf8f7e29abb251e1cULL)
      << std::hex << fnv1a(sdm::npy::serialize(sdm::npy::make_i64({14}, h.labels)));
}

TEST(Synth, LayoutLabelsAndClassesJson) {
  sdm::synth::Options o;
  o.preset = "hard";
  o.size = 32;
  o.frames = 6;
  o.train = 29;
  o.test = 14;
  o.seed = 5;
  fs::path d = tmpdir("layout");
  sdm::synth::write_dataset(d.string(), o);
  std::vector<int64_t> shape;
  auto clips = sdm::npy::load_u8((d / "train" / "clips.npy").string(), &shape);
  EXPECT_EQ(shape, (std::vector<int64_t>{29, 1, 6, 32, 32}));
  auto labels = sdm::npy::load_i64((d / "train" / "labels.npy").string(), &shape);
  EXPECT_EQ(shape, (std::vector<int64_t>{29}));
  std::map<int64_t, int> count;
  for (auto l : labels) ++count[l];
  EXPECT_EQ(count.size(), 14u);  // balanced: 29 = 14 * 2 + 1
  for (auto& [l, c] : count) {
    EXPECT_GE(l, 0);
    EXPECT_LT(l, 14);
    EXPECT_TRUE(c == 2 || c == 3);
  }
  sdm::Dataset ds = sdm::load_dataset(d.string());
  EXPECT_EQ(ds.size(), 14u);
  EXPECT_EQ(ds.num_classes, 14);
  EXPECT_EQ(ds.class_names[0], "move_right");
  EXPECT_EQ(ds.class_names[13], "shake");
  // Train clip i does not depend on the test count.
  o.test = 3;
  auto s = sdm::synth::generate_split(o, "train", 29);
  EXPECT_EQ(s.clips, clips);
  fs::remove_all(d);
}

TEST(Synth, BadOptionsAreOneLineErrors) {
  sdm::synth::Options o;
  o.size = 24;
  expect_error([&] { sdm::synth::validate(o); }, "--size 24");
  o = {};
  o.frames = 0;
  expect_error([&] { sdm::synth::validate(o); }, "--frames 0");
  o = {};
  o.preset = "medium";
  expect_error([&] { sdm::synth::validate(o); }, "unknown preset 'medium'");
  o = {};
  o.train = -1;
  expect_error([&] { sdm::synth::validate(o); }, "--train -1");
  o = {};
  o.train = o.test = 2;
  fs::path d = tmpdir("unwritable");
  std::ofstream(d / "file") << "x";
  expect_error([&] { sdm::synth::write_dataset((d / "file" / "sub").string(), o); }, "cannot create output folder");
  fs::remove_all(d);
}

namespace {

// Translation-invariant features (the data live on a torus, so absolute positions carry no
// information by construction; these features capture shape, size and contrast).
// Single frame: circular autocorrelation of the mean-removed frame at shifts |d| <= 2.
// Motion: circular cross-correlation of consecutive frames, summed over the clip.
std::vector<double> corr_features(const uint8_t* a, const uint8_t* b, int S) {
  auto centred = [S](const uint8_t* p) {
    double m = 0;
    for (int i = 0; i < S * S; ++i) m += p[i];
    m /= S * S;
    std::vector<double> v(S * S);
    for (int i = 0; i < S * S; ++i) v[i] = p[i] - m;
    return v;
  };
  auto x = centred(a), y = centred(b);
  double nx = 0, ny = 0;
  for (int i = 0; i < S * S; ++i) {
    nx += x[i] * x[i];
    ny += y[i] * y[i];
  }
  double norm = std::sqrt(nx * ny) + 1e-9;
  std::vector<double> f;
  for (int dy = -2; dy <= 2; ++dy)
    for (int dx = -2; dx <= 2; ++dx) {
      double s = 0;
      for (int r = 0; r < S; ++r)
        for (int c = 0; c < S; ++c)
          s += x[r * S + c] * y[((r + dy + S) % S) * S + (c + dx + S) % S];
      f.push_back(s / norm);
    }
  f.push_back(std::sqrt(nx / (S * S)));  // contrast-energy of the frame
  return f;
}

double nearest_centroid_accuracy(const std::vector<std::vector<double>>& xtr, const std::vector<int64_t>& ytr,
                                 const std::vector<std::vector<double>>& xte, const std::vector<int64_t>& yte, int K) {
  size_t D = xtr[0].size();
  std::vector<double> mu(D, 0), sd(D, 0);
  for (auto& v : xtr)
    for (size_t j = 0; j < D; ++j) mu[j] += v[j] / xtr.size();
  for (auto& v : xtr)
    for (size_t j = 0; j < D; ++j) sd[j] += (v[j] - mu[j]) * (v[j] - mu[j]) / xtr.size();
  for (auto& s : sd) s = std::sqrt(s) + 1e-9;
  std::vector<std::vector<double>> cen(K, std::vector<double>(D, 0));
  std::vector<int> cnt(K, 0);
  for (size_t i = 0; i < xtr.size(); ++i) {
    ++cnt[ytr[i]];
    for (size_t j = 0; j < D; ++j) cen[ytr[i]][j] += (xtr[i][j] - mu[j]) / sd[j];
  }
  for (int k = 0; k < K; ++k)
    for (auto& v : cen[k]) v /= std::max(1, cnt[k]);
  int ok = 0;
  for (size_t i = 0; i < xte.size(); ++i) {
    int best = 0;
    double bd = 1e300;
    for (int k = 0; k < K; ++k) {
      double dd = 0;
      for (size_t j = 0; j < D; ++j) {
        double z = (xte[i][j] - mu[j]) / sd[j] - cen[k][j];
        dd += z * z;
      }
      if (dd < bd) {
        bd = dd;
        best = k;
      }
    }
    ok += best == yte[i];
  }
  return static_cast<double>(ok) / xte.size();
}

void check_not_from_one_frame(const std::string& preset) {
  sdm::synth::Options o;
  o.preset = preset;
  const int K = static_cast<int>(sdm::synth::class_names(preset).size());
  const int S = o.size, F = o.frames, fsz = S * S;
  auto tr = sdm::synth::generate_split(o, "train", 150 * K);
  auto te = sdm::synth::generate_split(o, "test", 60 * K);
  auto feats = [&](const sdm::synth::Split& s, bool motion, int frame) {
    std::vector<std::vector<double>> out;
    for (size_t i = 0; i < s.labels.size(); ++i) {
      const uint8_t* c = s.clips.data() + i * F * fsz;
      if (!motion) {
        out.push_back(corr_features(c + frame * fsz, c + frame * fsz, S));
        continue;
      }
      std::vector<double> acc;
      for (int f = 0; f + 1 < F; ++f) {
        auto v = corr_features(c + f * fsz, c + (f + 1) * fsz, S);
        if (acc.empty()) acc.assign(v.size(), 0);
        for (size_t j = 0; j < v.size(); ++j) acc[j] += v[j];
      }
      out.push_back(acc);
    }
    return out;
  };
  const double chance = 1.0 / K;
  for (int frame : {0, F - 1}) {
    double acc = nearest_centroid_accuracy(feats(tr, false, frame), tr.labels, feats(te, false, frame), te.labels, K);
    std::printf("%s: single-frame %d nearest-centroid accuracy %.3f (chance %.3f)\n", preset.c_str(), frame, acc, chance);
    EXPECT_LT(acc, chance + 0.06) << preset << ": single frame " << frame << " reveals the class (acc " << acc << ")";
  }
  double macc = nearest_centroid_accuracy(feats(tr, true, 0), tr.labels, feats(te, true, 0), te.labels, K);
  std::printf("%s: motion-feature nearest-centroid accuracy %.3f\n", preset.c_str(), macc);
  EXPECT_GT(macc, 2.5 * chance) << preset << ": motion features should separate classes (acc " << macc << ")";
}

}  // namespace

TEST(Synth, ClassNotReadableFromOneFrameEasy) { check_not_from_one_frame("easy"); }
TEST(Synth, ClassNotReadableFromOneFrameHard) { check_not_from_one_frame("hard"); }
