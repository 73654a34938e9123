// NumPy .npy reader/writer (format versions 1.0, 2.0 and 3.0; C order; little-endian).
//
// Supported dtypes (descr): '|u1' (uint8), '<i8' (int64), '<f4' (float32); reading also
// accepts '<i4' (int32) so label files written by other tools load. Anything else —
// big-endian data, Fortran order, object arrays, a truncated payload, trailing garbage, a
// malformed header — throws sdm::Error with a one-line message naming the file and the
// problem. The reader never trusts sizes from the header before checking them against
// the real payload length, so corrupt files cannot crash it or make it allocate wildly.
//
// Typical use (the golden model loading a data split):
//   sdm::npy::NpyArray a = sdm::npy::load("data/test/clips.npy");
//   a.expect("u1", {}, "clips");                // dtype check with a clear error
//   const uint8_t* px = a.data<uint8_t>();      // a.shape = {N, C, F, H, W}
//   std::vector<int64_t> y = sdm::npy::load_i64("data/test/labels.npy");
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

namespace sdm::npy {

// One array. dtype is the canonical short code: "u1", "i8", "i4" or "f4". bytes holds the
// raw little-endian payload in C order (size == numel() * itemsize()).
struct NpyArray {
  std::string dtype;
  std::vector<int64_t> shape;
  std::vector<uint8_t> bytes;

  int64_t numel() const;
  size_t itemsize() const;  // 1, 4 or 8
  size_t ndim() const { return shape.size(); }
  // Typed view of the payload. T must match dtype (uint8_t/u1, int64_t/i8, int32_t/i4,
  // float/f4); a mismatch throws sdm::Error. (The host must be little-endian, which is
  // checked at compile time in npy.cc.)
  template <typename T>
  const T* data() const {
    check_type(code_of<T>());
    return reinterpret_cast<const T*>(bytes.data());
  }
  template <typename T>
  T* data() {
    check_type(code_of<T>());
    return reinterpret_cast<T*>(bytes.data());
  }
  // Throws sdm::Error "<what>: expected dtype X, got Y" (or ndim mismatch) when the array
  // does not have this dtype or (if ndims is not empty) one of the allowed ranks.
  void expect(const std::string& dtype, const std::vector<size_t>& ndims,
              const std::string& what) const;
  std::string shape_str() const;  // "(N, 1, 8, 16, 16)"

  template <typename T>
  static const char* code_of();

 private:
  void check_type(const char* code) const;
};

template <> inline const char* NpyArray::code_of<uint8_t>() { return "u1"; }
template <> inline const char* NpyArray::code_of<int64_t>() { return "i8"; }
template <> inline const char* NpyArray::code_of<int32_t>() { return "i4"; }
template <> inline const char* NpyArray::code_of<float>() { return "f4"; }

// Parses an in-memory .npy image; `name` is used in error messages only.
NpyArray parse(const uint8_t* data, size_t size, const std::string& name);
// Reads a file; errors name the path.
NpyArray load(const std::string& path);
// Writes a file (format 1.0, or 2.0 when the header does not fit 1.0). The payload size
// must match the shape. Written by write_file_atomic (golden/fileio.h): a failed write never
// leaves a half file under the real name.
void save(const std::string& path, const NpyArray& a);
// Serialises to bytes (what save writes).
std::vector<uint8_t> serialize(const NpyArray& a);

// Convenience constructors / loaders.
NpyArray make_u8(std::vector<int64_t> shape, std::vector<uint8_t> values);
NpyArray make_i64(std::vector<int64_t> shape, const std::vector<int64_t>& values);
NpyArray make_f32(std::vector<int64_t> shape, const std::vector<float>& values);
// Loads a 1-D-or-any-shape integer array as int64 (accepts i8 and i4).
std::vector<int64_t> load_i64(const std::string& path, std::vector<int64_t>* shape = nullptr);
std::vector<float> load_f32(const std::string& path, std::vector<int64_t>* shape = nullptr);
std::vector<uint8_t> load_u8(const std::string& path, std::vector<int64_t>* shape = nullptr);

}  // namespace sdm::npy
