// A weight matrix W[rows, cols] as the CPU kernels read it: output-major (row r holds the `cols`
// input weights of output r), rows contiguous, in one of the storage types below.
//
// The storage type is what a kernel dispatches on. Int4 (group-128, next issue) becomes one more
// WeightType with its own row layout (packed nibbles + per-group scales) and its own row kernel;
// nothing above the kernels changes.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <memory>

namespace scout::cpu {

enum class WeightType : uint8_t { F32, BF16 };

size_t weight_type_size(WeightType type) noexcept;  // bytes per element

// 64-byte aligned heap bytes; throws scout::Error(OutOfMemory) when the allocation fails.
class AlignedBytes {
 public:
  AlignedBytes() = default;
  explicit AlignedBytes(size_t bytes);
  uint8_t* data() const { return data_.get(); }
  size_t size() const { return size_; }

 private:
  struct Free {
    void operator()(uint8_t* p) const { std::free(p); }
  };
  std::unique_ptr<uint8_t, Free> data_;
  size_t size_ = 0;
};

class Matrix {
 public:
  Matrix() = default;
  // An owned, uninitialised matrix; fill it through mutable_data().
  Matrix(WeightType type, int64_t rows, int64_t cols);
  // A matrix over bytes someone else keeps alive (a memory-mapped checkpoint tensor). `data`
  // must be aligned to the element size.
  static Matrix borrow(WeightType type, int64_t rows, int64_t cols, const uint8_t* data);

  WeightType type() const { return type_; }
  int64_t rows() const { return rows_; }
  int64_t cols() const { return cols_; }
  size_t row_bytes() const { return static_cast<size_t>(cols_) * weight_type_size(type_); }
  size_t bytes() const { return row_bytes() * static_cast<size_t>(rows_); }
  const uint8_t* row(int64_t r) const { return data_ + static_cast<size_t>(r) * row_bytes(); }
  uint8_t* mutable_data() { return owned_.data(); }
  bool empty() const { return rows_ == 0; }

  // Widens row r into `out` (cols floats).
  void row_to_f32(int64_t r, float* out) const;

 private:
  WeightType type_ = WeightType::F32;
  int64_t rows_ = 0;
  int64_t cols_ = 0;
  const uint8_t* data_ = nullptr;
  AlignedBytes owned_;
};

}  // namespace scout::cpu
