// One .safetensors file, validated completely and memory-mapped read-only.
//
// Layout: an 8-byte little-endian header length N, N bytes of JSON header, then the data
// section. The header maps each tensor name to {dtype, shape, data_offsets: [begin, end]} with
// offsets relative to the data section, plus an optional "__metadata__" string→string map.
//
// Policy (see shared/docs/bad-inputs.md, "safetensors (ST)"): everything in the header is checked
// before any tensor is exposed, and anything suspicious is rejected rather than repaired:
//   * N must be in [2, 100 MiB] and fit in the file; the header is read with pread (never mapped)
//     only after both checks, so a hostile N cannot make us allocate;
//   * the non-empty tensors must tile the data section exactly: no overlap, no hole and no
//     trailing bytes after the last tensor. The format allows none of these when written by the
//     reference library, and a file that has them is either corrupt or a polyglot hiding data;
//   * every span must equal numel × dtype size, computed with overflow-checked arithmetic;
//   * zero-size tensors are allowed at any offset within the data section; their data is nullptr;
//   * duplicate names are rejected (the JSON reader rejects duplicate keys);
//   * names are 1..1024 bytes of valid UTF-8 without NUL or other control characters. They are
//     never used as paths, so "../" inside a name is harmless and allowed;
//   * at most 65,536 tensors per file. Scout holds about 1,300 tensors in all; the largest public
//     checkpoints hold a few thousand per shard. The cap bounds the parse (a 100 MiB header of
//     tiny entries would otherwise describe ~2 million tensors) in memory and time. The header is
//     read member by member (json::parse_members), so no JSON tree of the whole header is built:
//     a full 65,536-tensor header peaks at about 30 MB and a 1e6-tensor one is refused after
//     reading its first 65,537 entries;
//   * __metadata__ must be an object of at most 1,024 string values of at most 1 MiB each.
//
// Truncation while mapped (ST14): the file size is validated against the header at open time,
// and the mapping is MAP_PRIVATE + PROT_READ. If another process truncates the file afterwards,
// touching a page past the new end raises SIGBUS, which a library cannot turn into an exception
// safely. That belongs at the process level: the engine runs in a sidecar process, so a SIGBUS
// ends only the sidecar, and its supervisor in the extension restarts it and reports the failure.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "engine/error.hpp"
#include "engine/tensor.hpp"

namespace scout {

// Header limits, exposed for tests and for the error messages.
inline constexpr uint64_t kSafetensorsMaxHeaderBytes = uint64_t{100} << 20;
inline constexpr size_t kSafetensorsMaxTensors = 65536;
inline constexpr size_t kSafetensorsMaxNameBytes = 1024;
inline constexpr size_t kSafetensorsMaxRank = 64;
inline constexpr size_t kSafetensorsMaxMetadataEntries = 1024;
inline constexpr size_t kSafetensorsMaxMetadataValueBytes = size_t{1} << 20;

// Every tensor of the file, whatever its dtype. Only F32/BF16/F16 ones also get a TensorView.
struct SafetensorsEntry {
  std::string name;
  std::string dtype;             // as written, e.g. "BF16", "I8", "F8_E4M3"
  std::optional<DType> compute;  // set for the dtypes the engine computes with
  std::vector<int64_t> shape;
  uint64_t begin = 0, end = 0;  // byte range within the data section
};

class SafetensorsFile {
 public:
  // Validates and maps `path`. Throws Error(NotFound) when it does not exist, Error(Io) when the
  // OS refuses, Error(Safetensors) naming the file (and tensor) for any malformed content.
  // `display_path` (default: `path`) is the name used in messages and TensorView::file, e.g. the
  // shard's name in the model folder when `path` is the symlink target it resolved to.
  static std::unique_ptr<SafetensorsFile> open(const std::string& path, const std::string& display_path = "");
  ~SafetensorsFile();
  SafetensorsFile(const SafetensorsFile&) = delete;
  SafetensorsFile& operator=(const SafetensorsFile&) = delete;

  const std::string& path() const { return path_; }  // the display path
  uint64_t file_size() const { return file_size_; }
  // Entries in header order; views (F32/BF16/F16 only) in the same relative order. The views'
  // data pointers are not necessarily aligned to the element size: read through memcpy or check.
  const std::vector<SafetensorsEntry>& entries() const { return entries_; }
  const std::vector<TensorView>& views() const { return views_; }
  const std::vector<std::pair<std::string, std::string>>& metadata() const { return metadata_; }

 private:
  SafetensorsFile() = default;
  std::string path_;
  uint64_t file_size_ = 0;
  void* map_ = nullptr;  // the whole file, MAP_PRIVATE | PROT_READ
  std::vector<SafetensorsEntry> entries_;
  std::vector<TensorView> views_;
  std::vector<std::pair<std::string, std::string>> metadata_;
};

// Bytes per element for a safetensors dtype name, in bits (sub-byte types exist: F4 is 4 bits),
// or 0 when the name is not a safetensors dtype.
unsigned safetensors_dtype_bits(const std::string& dtype) noexcept;

// "[2, 3]": a shape as error messages print it.
std::string shape_text(const std::vector<int64_t>& shape);

// An opt-in scan for weights that would make the model produce garbage (ST13); the loader runs
// it only when asked (it reads every byte of the tensor).
struct NonFiniteCounts {
  uint64_t nan = 0;
  uint64_t inf = 0;
  uint64_t subnormal = 0;
  uint64_t zero = 0;
  bool all_finite() const { return nan == 0 && inf == 0; }
};
NonFiniteCounts scan_non_finite(const TensorView& tensor);

}  // namespace scout
