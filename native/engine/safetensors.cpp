#include "engine/safetensors.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstring>

#include "engine/json.hpp"

namespace scout {

namespace {

struct DtypeInfo {
  const char* name;
  unsigned bits;
  std::optional<DType> compute;
};

// The dtypes of the safetensors format (Rust crate `safetensors::Dtype`). Names are upper-case
// and matched exactly.
constexpr DtypeInfo kDtypes[] = {
    {"F32", 32, DType::F32},      {"BF16", 16, DType::BF16},    {"F16", 16, DType::F16},
    {"F64", 64, std::nullopt},    {"I64", 64, std::nullopt},    {"U64", 64, std::nullopt},
    {"I32", 32, std::nullopt},    {"U32", 32, std::nullopt},    {"I16", 16, std::nullopt},
    {"U16", 16, std::nullopt},    {"I8", 8, std::nullopt},      {"U8", 8, std::nullopt},
    {"BOOL", 8, std::nullopt},    {"F8_E4M3", 8, std::nullopt}, {"F8_E5M2", 8, std::nullopt},
    {"F8_E8M0", 8, std::nullopt}, {"C64", 64, std::nullopt},    {"F6_E2M3", 6, std::nullopt},
    {"F6_E3M2", 6, std::nullopt}, {"F4", 4, std::nullopt},
};

const DtypeInfo* find_dtype(const std::string& name) {
  for (const auto& d : kDtypes)
    if (name == d.name) return &d;
  return nullptr;
}

using json::quote;

// Closes a file descriptor on every path out of open().
struct Fd {
  int fd = -1;
  ~Fd() {
    if (fd >= 0) ::close(fd);
  }
};

// Reads exactly `n` bytes at `offset`, or throws.
void read_exact(int fd, uint64_t offset, char* out, size_t n, const std::string& path) {
  size_t done = 0;
  while (done < n) {
    const ssize_t r = ::pread(fd, out + done, n - done, static_cast<off_t>(offset + done));
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) throw Error(ErrorCode::Io, path + ": read failed: " + std::strerror(errno));
    if (r == 0) throw Error(ErrorCode::Safetensors, path + ": file shrank while being read");
    done += static_cast<size_t>(r);
  }
}

// Recognises the two things most often downloaded in place of a model file, to say what to do.
void reject_known_impostors(const std::string& head, const std::string& path) {
  if (head.rfind("version https://git-lfs", 0) == 0)
    throw Error(
        ErrorCode::Safetensors,
        path + ": looks like a git-lfs pointer, not the weights; run `git lfs pull` in the model folder");
  size_t i = 0;
  while (i < head.size() && (head[i] == ' ' || head[i] == '\n' || head[i] == '\r' || head[i] == '\t')) ++i;
  if (i < head.size() && head[i] == '<')
    throw Error(
        ErrorCode::Safetensors,
        path + ": looks like an HTML page (a failed or login-walled download), not a safetensors file");
}

[[noreturn]] void bad(const std::string& path, const std::string& what) {
  throw Error(ErrorCode::Safetensors, path + ": " + what);
}

// Reads one tensor's header entry. `path` is the file, for messages.
SafetensorsEntry parse_entry(const std::string& name, const json::Value& v, const json::Source& src) {
  const std::string& path = src.name;
  const std::string where = "tensor " + quote(name);
  if (name.empty()) bad(path, "a tensor has an empty name");
  if (name.size() > kSafetensorsMaxNameBytes)
    bad(path, where + " has a " + std::to_string(name.size()) + "-byte name (limit " +
                  std::to_string(kSafetensorsMaxNameBytes) + ")");
  for (unsigned char c : name)
    if (c < 0x20 || c == 0x7F) bad(path, where + " has a NUL or control character in its name");
  if (!v.is(json::Type::Object)) bad(path, where + " must be an object, got " + json::describe(v));
  for (const auto& key : v.keys())
    if (key != "dtype" && key != "shape" && key != "data_offsets")
      bad(path, where + " has an unknown field " + quote(key));

  SafetensorsEntry e;
  e.name = name;
  const json::Value* dtype = v.find("dtype");
  const json::Value* shape = v.find("shape");
  const json::Value* offsets = v.find("data_offsets");
  if (!dtype || !shape || !offsets) bad(path, where + " needs dtype, shape and data_offsets");

  e.dtype = json::get_string(*dtype, src, where + " dtype");
  const DtypeInfo* info = find_dtype(e.dtype);
  if (!info) {
    std::string upper = e.dtype;
    for (auto& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    const std::string hint = find_dtype(upper) ? " (dtype names are upper-case: " + upper + ")" : "";
    bad(path, where + " has unknown dtype " + quote(e.dtype) + hint);
  }
  e.compute = info->compute;

  json::get_array(*shape, src, where + " shape");
  if (shape->size() > kSafetensorsMaxRank)
    bad(path, where + " has " + std::to_string(shape->size()) + " dimensions (limit " +
                  std::to_string(kSafetensorsMaxRank) + ")");
  // Every prefix product must fit in int64, not just the final one: TensorView::numel() multiplies
  // left to right in int64, and [2^53, 1024, 0] holds zero elements yet overflows on the way.
  uint64_t numel = 1;
  bool overflow = false;
  for (size_t i = 0; i < shape->size(); ++i) {
    const int64_t d = json::get_int(shape->items()[i], src, json::index_path(where + " shape", i));
    if (d < 0) bad(path, where + " has a negative dimension (" + std::to_string(d) + ") in its shape");
    e.shape.push_back(d);
    overflow |= __builtin_mul_overflow(numel, static_cast<uint64_t>(d), &numel);
    overflow |= numel > static_cast<uint64_t>(INT64_MAX);
  }
  uint64_t bits = 0;
  overflow |= __builtin_mul_overflow(numel, uint64_t{info->bits}, &bits);
  if (overflow)
    bad(path, where + " shape " + shape_text(e.shape) +
                  " has too many elements (the element count or its size in bits overflows)");
  if (bits % 8 != 0)
    bad(path,
        where + " holds " + std::to_string(numel) + " " + e.dtype + " elements, not a whole number of bytes");

  json::get_array(*offsets, src, where + " data_offsets");
  if (offsets->size() != 2) bad(path, where + " data_offsets must be [begin, end]");
  const int64_t begin = json::get_int(offsets->items()[0], src, where + " data_offsets[0]");
  const int64_t end = json::get_int(offsets->items()[1], src, where + " data_offsets[1]");
  if (begin < 0 || end < 0) bad(path, where + " has a negative data offset");
  if (end < begin)
    bad(path,
        where + " data_offsets end " + std::to_string(end) + " is before begin " + std::to_string(begin));
  e.begin = static_cast<uint64_t>(begin);
  e.end = static_cast<uint64_t>(end);
  if (e.end - e.begin != bits / 8)
    bad(path, where + " spans " + std::to_string(e.end - e.begin) + " bytes but shape " +
                  shape_text(e.shape) + " of " + e.dtype + " needs " + std::to_string(bits / 8));
  return e;
}

std::vector<std::pair<std::string, std::string>> parse_metadata(const json::Value& v,
                                                                const json::Source& src) {
  if (!v.is(json::Type::Object))
    bad(src.name, "__metadata__ must be an object of strings, got " + json::describe(v));
  if (v.size() > kSafetensorsMaxMetadataEntries)
    bad(src.name, "__metadata__ has " + std::to_string(v.size()) + " entries (limit " +
                      std::to_string(kSafetensorsMaxMetadataEntries) + ")");
  std::vector<std::pair<std::string, std::string>> out;
  for (size_t i = 0; i < v.size(); ++i) {
    const std::string& key = v.keys()[i];
    const json::Value& value = v.items()[i];
    if (!value.is(json::Type::String))
      bad(src.name, "__metadata__ " + quote(key) + " must be a string, got " + json::describe(value));
    if (value.string().size() > kSafetensorsMaxMetadataValueBytes)
      bad(src.name, "__metadata__ " + quote(key) + " is " + std::to_string(value.string().size()) +
                        " bytes (limit " + std::to_string(kSafetensorsMaxMetadataValueBytes) + ")");
    out.emplace_back(key, value.string());
  }
  return out;
}

// The non-empty tensors must tile [0, data_len) exactly. Sorting by offset makes this
// O(n log n); comparing neighbours finds every overlap, hole and uncovered tail.
void check_coverage(const std::vector<SafetensorsEntry>& entries, uint64_t data_len,
                    const std::string& path) {
  for (const auto& e : entries)
    if (e.end > data_len)
      bad(path, "tensor " + quote(e.name) + " needs bytes [" + std::to_string(e.begin) + ", " +
                    std::to_string(e.end) + ") of the data section, which holds only " +
                    std::to_string(data_len) + ": the file is truncated");
  std::vector<const SafetensorsEntry*> spans;
  for (const auto& e : entries)
    if (e.end > e.begin) spans.push_back(&e);
  std::sort(spans.begin(), spans.end(), [](const auto* a, const auto* b) { return a->begin < b->begin; });
  uint64_t cursor = 0;
  const SafetensorsEntry* previous = nullptr;
  for (const auto* e : spans) {
    if (e->begin < cursor)
      bad(path, "tensors " + quote(previous->name) + " and " + quote(e->name) + " overlap at byte " +
                    std::to_string(e->begin) + " of the data section");
    if (e->begin > cursor)
      bad(path, "bytes [" + std::to_string(cursor) + ", " + std::to_string(e->begin) +
                    ") of the data section belong to no tensor (a hole before " + quote(e->name) + ")");
    cursor = e->end;
    previous = e;
  }
  if (cursor != data_len)
    bad(path, std::to_string(data_len - cursor) + " trailing bytes after the last tensor (data section is " +
                  std::to_string(data_len) + " bytes, tensors cover " + std::to_string(cursor) + ")");
}

}  // namespace

std::string shape_text(const std::vector<int64_t>& shape) {
  std::string out = "[";
  for (size_t i = 0; i < shape.size(); ++i) {
    if (i) out += ", ";
    out += std::to_string(shape[i]);
  }
  return out + "]";
}

unsigned safetensors_dtype_bits(const std::string& dtype) noexcept {
  const DtypeInfo* info = find_dtype(dtype);
  return info ? info->bits : 0;
}

std::unique_ptr<SafetensorsFile> SafetensorsFile::open(const std::string& real_path,
                                                       const std::string& display_path) {
  const std::string& path = display_path.empty() ? real_path : display_path;  // for messages
  Fd fd;
  fd.fd = ::open(real_path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd.fd < 0) {
    if (errno == ENOENT) throw Error(ErrorCode::NotFound, path + ": no such file");
    throw Error(ErrorCode::Io, path + ": cannot open: " + std::strerror(errno));
  }
  struct stat st {};
  if (::fstat(fd.fd, &st) != 0) throw Error(ErrorCode::Io, path + ": cannot stat: " + std::strerror(errno));
  if (!S_ISREG(st.st_mode)) bad(path, "not a regular file");
  const uint64_t size = static_cast<uint64_t>(st.st_size);

  uint64_t n = 0;
  std::string head(static_cast<size_t>(std::min<uint64_t>(size, 64)), '\0');
  read_exact(fd.fd, 0, head.data(), head.size(), path);
  for (size_t i = std::min<size_t>(head.size(), 8); i-- > 0;)
    n = n << 8 | static_cast<unsigned char>(head[i]);
  // A length prefix that cannot be right: before explaining that, see whether the file is one of
  // the usual impostors (their text makes a huge length). A valid length can start with any byte,
  // '<' included, so the sniff only runs here.
  if (size < 8 || n < 2 || n > kSafetensorsMaxHeaderBytes || n > size - 8) reject_known_impostors(head, path);
  if (size < 8)
    bad(path, "file is " + std::to_string(size) + " bytes, too short for the 8-byte header length");
  if (n < 2) bad(path, "header length is " + std::to_string(n) + "; the header must be a JSON object");
  if (n > kSafetensorsMaxHeaderBytes)
    bad(path, "header length " + std::to_string(n) + " is more than the limit of " +
                  std::to_string(kSafetensorsMaxHeaderBytes) + " bytes (not a safetensors file, or corrupt)");
  if (n > size - 8)
    bad(path, "header length " + std::to_string(n) + " exceeds the " + std::to_string(size - 8) +
                  " bytes that follow it: the file is truncated");

  std::string header(static_cast<size_t>(n), '\0');
  read_exact(fd.fd, 8, header.data(), header.size(), path);
  const json::Source src{ErrorCode::Safetensors, path};
  json::Limits limits;
  limits.max_bytes = kSafetensorsMaxHeaderBytes;
  limits.max_depth = 8;                             // object → tensor → shape → number is 3 deep
  limits.max_members = kSafetensorsMaxTensors + 1;  // + __metadata__
  limits.max_values = 16 * (kSafetensorsMaxTensors + 1) + 2 * kSafetensorsMaxMetadataEntries;
  auto file = std::unique_ptr<SafetensorsFile>(new SafetensorsFile());
  file->path_ = path;
  file->file_size_ = size;
  json::parse_members(header, src, limits, [&](const std::string& name, json::Value&& value) {
    if (name == "__metadata__")
      file->metadata_ = parse_metadata(value, src);
    else
      file->entries_.push_back(parse_entry(name, value, src));
  });
  if (file->entries_.size() > kSafetensorsMaxTensors)
    bad(path, "header lists " + std::to_string(file->entries_.size()) + " tensors (limit " +
                  std::to_string(kSafetensorsMaxTensors) + ")");
  const uint64_t data_start = 8 + n;
  check_coverage(file->entries_, size - data_start, path);

  // Only now, with every offset proven inside the file, map it.
  void* map = ::mmap(nullptr, static_cast<size_t>(size), PROT_READ, MAP_PRIVATE, fd.fd, 0);
  if (map == MAP_FAILED) throw Error(ErrorCode::Io, path + ": mmap failed: " + std::strerror(errno));
  file->map_ = map;
  const auto* base = static_cast<const uint8_t*>(map) + data_start;
  for (const auto& e : file->entries_) {
    if (!e.compute) continue;
    TensorView view;
    view.name = e.name;
    view.file = path;
    view.dtype = *e.compute;
    view.shape = e.shape;
    view.nbytes = static_cast<size_t>(e.end - e.begin);
    view.data = view.nbytes ? base + e.begin : nullptr;
    file->views_.push_back(std::move(view));
  }
  return file;
}

SafetensorsFile::~SafetensorsFile() {
  if (map_) ::munmap(map_, static_cast<size_t>(file_size_));
}

NonFiniteCounts scan_non_finite(const TensorView& t) {
  NonFiniteCounts c;
  const size_t n = t.nbytes / dtype_size(t.dtype);
  // Classify by exponent/mantissa bits so the scan needs no float conversion.
  auto classify = [&c](uint32_t exp, uint32_t exp_max, uint64_t mant) {
    if (exp == exp_max) {
      ++(mant ? c.nan : c.inf);
    } else if (exp == 0) {
      ++(mant ? c.subnormal : c.zero);
    }
  };
  for (size_t i = 0; i < n; ++i) {
    switch (t.dtype) {
      case DType::F32: {
        uint32_t v;
        std::memcpy(&v, t.data + 4 * i, 4);
        classify((v >> 23) & 0xFF, 0xFF, v & 0x7FFFFF);
        break;
      }
      case DType::BF16: {
        uint16_t v;
        std::memcpy(&v, t.data + 2 * i, 2);
        classify((v >> 7) & 0xFF, 0xFF, v & 0x7F);
        break;
      }
      case DType::F16: {
        uint16_t v;
        std::memcpy(&v, t.data + 2 * i, 2);
        classify((v >> 10) & 0x1F, 0x1F, v & 0x3FF);
        break;
      }
    }
  }
  return c;
}

}  // namespace scout
