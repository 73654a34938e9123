#include "data/npy.h"

#include <cstdio>
#include <limits>

#include <fmt/core.h>

#include "golden/error.h"
#include "golden/fileio.h"

static_assert(sizeof(float) == 4, "float must be IEEE binary32");
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "sdm::npy assumes a little-endian host"
#endif

namespace sdm::npy {

namespace {

size_t itemsize_of(const std::string& code) {
  if (code == "u1") return 1;
  if (code == "i4" || code == "f4") return 4;
  if (code == "i8") return 8;
  return 0;
}

// Header dictionary parser: {'descr': '<u1', 'fortran_order': False, 'shape': (2, 3), }
struct HeaderParser {
  const std::string& s;
  const std::string& name;
  size_t i = 0;

  [[noreturn]] void fail(const std::string& what) const {
    throw Error(fmt::format("{}: bad .npy header: {}", name, what));
  }
  void ws() {
    while (i < s.size() && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r')) ++i;
  }
  bool peek(char c) {
    ws();
    return i < s.size() && s[i] == c;
  }
  void expect(char c) {
    ws();
    if (i >= s.size() || s[i] != c) fail(fmt::format("expected '{}' at offset {}", c, i));
    ++i;
  }
  std::string str() {
    ws();
    if (i >= s.size() || (s[i] != '\'' && s[i] != '"')) fail("expected a quoted string");
    char q = s[i++];
    size_t j = s.find(q, i);
    if (j == std::string::npos) fail("unterminated string");
    std::string out = s.substr(i, j - i);
    i = j + 1;
    return out;
  }
  std::string word() {
    ws();
    size_t j = i;
    while (j < s.size() && isalpha(static_cast<unsigned char>(s[j]))) ++j;
    std::string out = s.substr(i, j - i);
    i = j;
    return out;
  }
  int64_t integer() {
    ws();
    size_t j = i;
    int64_t v = 0;
    while (j < s.size() && isdigit(static_cast<unsigned char>(s[j]))) {
      if (v > (std::numeric_limits<int64_t>::max() - 9) / 10) fail("dimension too large");
      v = v * 10 + (s[j] - '0');
      ++j;
    }
    if (j == i) fail(fmt::format("expected a dimension at offset {}", i));
    // numpy on some platforms writes 3L
    if (j < s.size() && s[j] == 'L') ++j;
    i = j;
    return v;
  }
};

struct Header {
  std::string descr;
  bool fortran = false;
  std::vector<int64_t> shape;
};

Header parse_header(const std::string& h, const std::string& name) {
  HeaderParser p{h, name};
  Header out;
  bool have_descr = false, have_order = false, have_shape = false;
  p.expect('{');
  while (!p.peek('}')) {
    std::string key = p.str();
    p.expect(':');
    if (key == "descr") {
      if (!p.peek('\'') && !p.peek('"')) p.fail("descr is not a simple dtype string (structured arrays are not supported)");
      out.descr = p.str();
      have_descr = true;
    } else if (key == "fortran_order") {
      std::string w = p.word();
      if (w == "True") out.fortran = true;
      else if (w == "False") out.fortran = false;
      else p.fail("fortran_order is neither True nor False");
      have_order = true;
    } else if (key == "shape") {
      p.expect('(');
      while (!p.peek(')')) {
        out.shape.push_back(p.integer());
        if (p.peek(',')) p.expect(',');
        else break;
      }
      p.expect(')');
      have_shape = true;
    } else {
      p.fail(fmt::format("unknown key '{}'", key));
    }
    if (p.peek(',')) p.expect(',');
    else break;
  }
  p.expect('}');
  if (!have_descr || !have_order || !have_shape)
    p.fail("missing one of 'descr', 'fortran_order', 'shape'");
  return out;
}

std::string canonical_dtype(const std::string& descr, const std::string& name) {
  if (descr.size() < 2) throw Error(fmt::format("{}: unsupported dtype '{}'", name, descr));
  char order = descr[0];
  std::string code = descr.substr(1);
  if (order != '<' && order != '|' && order != '=') {
    if (order == '>') throw Error(fmt::format("{}: big-endian dtype '{}' is not supported", name, descr));
    code = descr;  // e.g. "u1" without byte-order prefix
  }
  if (itemsize_of(code) == 0)
    throw Error(fmt::format("{}: unsupported dtype '{}' (supported: uint8 '|u1', int64 '<i8', int32 '<i4', float32 '<f4')", name, descr));
  if (order == '|' && code != "u1")
    throw Error(fmt::format("{}: dtype '{}' has no byte order", name, descr));
  return code;
}

}  // namespace

int64_t NpyArray::numel() const {
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  return n;
}

size_t NpyArray::itemsize() const { return itemsize_of(dtype); }

void NpyArray::check_type(const char* code) const {
  if (dtype != code)
    throw Error(fmt::format("npy array of dtype '{}' accessed as '{}'", dtype, code));
}

std::string NpyArray::shape_str() const {
  std::string s = "(";
  for (size_t k = 0; k < shape.size(); ++k) s += (k ? ", " : "") + std::to_string(shape[k]);
  if (shape.size() == 1) s += ",";
  return s + ")";
}

void NpyArray::expect(const std::string& want, const std::vector<size_t>& ndims,
                      const std::string& what) const {
  if (dtype != want)
    throw Error(fmt::format("{}: expected dtype '{}', got '{}'", what, want, dtype));
  if (ndims.empty()) return;
  for (size_t n : ndims)
    if (shape.size() == n) return;
  std::string allowed;
  for (size_t k = 0; k < ndims.size(); ++k) allowed += (k ? " or " : "") + std::to_string(ndims[k]);
  throw Error(fmt::format("{}: expected {} dimensions, got shape {}", what, allowed, shape_str()));
}

NpyArray parse(const uint8_t* d, size_t size, const std::string& name) {
  static const uint8_t magic[6] = {0x93, 'N', 'U', 'M', 'P', 'Y'};
  if (size < 10 || std::memcmp(d, magic, 6) != 0)
    throw Error(fmt::format("{}: not a .npy file (bad magic)", name));
  int major = d[6];
  size_t hlen = 0, off = 0;
  if (major == 1) {
    hlen = d[8] | (size_t(d[9]) << 8);
    off = 10;
  } else if (major == 2 || major == 3) {
    if (size < 12) throw Error(fmt::format("{}: truncated .npy header", name));
    hlen = d[8] | (size_t(d[9]) << 8) | (size_t(d[10]) << 16) | (size_t(d[11]) << 24);
    off = 12;
  } else {
    throw Error(fmt::format("{}: unsupported .npy format version {}.{}", name, major, int(d[7])));
  }
  if (hlen > size - off) throw Error(fmt::format("{}: truncated .npy header", name));
  std::string h(reinterpret_cast<const char*>(d + off), hlen);
  Header hd = parse_header(h, name);
  if (hd.fortran) throw Error(fmt::format("{}: Fortran-order arrays are not supported", name));
  NpyArray a;
  a.dtype = canonical_dtype(hd.descr, name);
  a.shape = hd.shape;
  size_t payload = size - off - hlen;
  // Overflow-safe element count. The product of the non-zero dimensions must fit int64
  // too: code downstream multiplies trailing dimensions (a clip's size) even when N = 0.
  unsigned __int128 n = 1, nonzero = 1;
  for (int64_t dim : a.shape) {
    if (dim == 0) n = 0;
    else if ((nonzero *= static_cast<unsigned __int128>(dim)) > (unsigned __int128)INT64_MAX)
      throw Error(fmt::format("{}: shape {} has more elements than an int64 counts", name,
                              a.shape_str()));
  }
  if (n) n = nonzero;
  unsigned __int128 need = n * a.itemsize();
  if (need > payload) {
    std::string needs = n > (unsigned __int128)size ? std::string("more bytes than the file has")
                                                    : fmt::format("{} bytes", (unsigned long long)need);
    throw Error(fmt::format("{}: truncated data: shape {} needs {}, file has {}", name,
                            a.shape_str(), needs, payload));
  }
  if (need < payload)
    throw Error(fmt::format("{}: {} trailing bytes after the data of shape {}", name,
                            static_cast<unsigned long long>(payload - (size_t)need), a.shape_str()));
  a.bytes.assign(d + off + hlen, d + size);
  return a;
}

NpyArray load(const std::string& path) {
  // Magic first, then exactly the file's size: never stream an unbounded input.
  const std::string buf = read_file_checked(path, "\x93NUMPY", ".npy file");
  return parse(reinterpret_cast<const uint8_t*>(buf.data()), buf.size(), path);
}

std::vector<uint8_t> serialize(const NpyArray& a) {
  size_t isz = itemsize_of(a.dtype);
  if (isz == 0) throw Error(fmt::format("npy: cannot write dtype '{}'", a.dtype));
  for (int64_t dim : a.shape)
    if (dim < 0) throw Error(fmt::format("npy: negative dimension in shape {}", a.shape_str()));
  if (static_cast<size_t>(a.numel()) * isz != a.bytes.size())
    throw Error(fmt::format("npy: shape {} needs {} bytes, array holds {}", a.shape_str(),
                            static_cast<size_t>(a.numel()) * isz, a.bytes.size()));
  std::string descr = (a.dtype == "u1" ? "|" : "<") + a.dtype;
  std::string dict = "{'descr': '" + descr + "', 'fortran_order': False, 'shape': " + a.shape_str() + ", }";
  // Pad so that magic + length field + header is a multiple of 64, ending in '\n'.
  int major = 1;
  size_t pre = 10;
  size_t total = pre + dict.size() + 1;
  size_t padded = (total + 63) / 64 * 64;
  if (padded - pre > 65535) {
    major = 2;
    pre = 12;
    total = pre + dict.size() + 1;
    padded = (total + 63) / 64 * 64;
  }
  size_t hlen = padded - pre;
  dict.append(hlen - dict.size() - 1, ' ');
  dict.push_back('\n');
  // Assembled with explicit offsets (vector::insert here trips a GCC 12 false
  // -Wstringop-overflow warning).
  std::vector<uint8_t> out(pre + hlen + a.bytes.size());
  const uint8_t fixed[8] = {0x93, 'N', 'U', 'M', 'P', 'Y', static_cast<uint8_t>(major), 0};
  std::memcpy(out.data(), fixed, 8);
  for (size_t k = 0; k < pre - 8; ++k) out[8 + k] = static_cast<uint8_t>((hlen >> (8 * k)) & 0xff);
  std::memcpy(out.data() + pre, dict.data(), hlen);
  if (!a.bytes.empty()) std::memcpy(out.data() + pre + hlen, a.bytes.data(), a.bytes.size());
  return out;
}

void save(const std::string& path, const NpyArray& a) {
  const std::vector<uint8_t> buf = serialize(a);
  write_file_atomic(path, std::string_view(reinterpret_cast<const char*>(buf.data()), buf.size()));
}

NpyArray make_u8(std::vector<int64_t> shape, std::vector<uint8_t> values) {
  NpyArray a{"u1", std::move(shape), std::move(values)};
  if (a.numel() != static_cast<int64_t>(a.bytes.size()))
    throw Error(fmt::format("npy: shape {} does not match {} values", a.shape_str(), a.bytes.size()));
  return a;
}

template <typename T>
static NpyArray make_typed(const char* code, std::vector<int64_t> shape, const std::vector<T>& v) {
  NpyArray a{code, std::move(shape), {}};
  if (a.numel() != static_cast<int64_t>(v.size()))
    throw Error(fmt::format("npy: shape {} does not match {} values", a.shape_str(), v.size()));
  a.bytes.resize(v.size() * sizeof(T));
  if (!v.empty()) std::memcpy(a.bytes.data(), v.data(), a.bytes.size());
  return a;
}

NpyArray make_i64(std::vector<int64_t> shape, const std::vector<int64_t>& v) {
  return make_typed("i8", std::move(shape), v);
}
NpyArray make_f32(std::vector<int64_t> shape, const std::vector<float>& v) {
  return make_typed("f4", std::move(shape), v);
}

std::vector<int64_t> load_i64(const std::string& path, std::vector<int64_t>* shape) {
  NpyArray a = load(path);
  std::vector<int64_t> out(static_cast<size_t>(a.numel()));
  if (a.dtype == "i8") {
    if (!out.empty()) std::memcpy(out.data(), a.bytes.data(), a.bytes.size());
  } else if (a.dtype == "i4") {
    const int32_t* p = a.data<int32_t>();
    for (size_t k = 0; k < out.size(); ++k) out[k] = p[k];
  } else {
    throw Error(fmt::format("{}: expected an integer array (int64), got dtype '{}'", path, a.dtype));
  }
  if (shape) *shape = a.shape;
  return out;
}

std::vector<float> load_f32(const std::string& path, std::vector<int64_t>* shape) {
  NpyArray a = load(path);
  a.expect("f4", {}, path);
  std::vector<float> out(static_cast<size_t>(a.numel()));
  if (!out.empty()) std::memcpy(out.data(), a.bytes.data(), a.bytes.size());
  if (shape) *shape = a.shape;
  return out;
}

std::vector<uint8_t> load_u8(const std::string& path, std::vector<int64_t>* shape) {
  NpyArray a = load(path);
  a.expect("u1", {}, path);
  if (shape) *shape = a.shape;
  return std::move(a.bytes);
}

}  // namespace sdm::npy
