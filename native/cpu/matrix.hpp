// A weight matrix W[rows, cols] as the CPU kernels read it: output-major (row r holds the `cols`
// input weights of output r), rows contiguous, in one of the storage types below.
//
// The storage type is what a kernel dispatches on; each type has its own row layout and row
// kernel, and nothing above the kernels changes. The int4 types (cpu/int4.hpp) hold groups of 128
// weights along the input dimension as packed nibbles followed by one scale per group.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <memory>

namespace scout::cpu {

//   F32, BF16   one element per weight
//   Int4        Scout's int4: group-128 symmetric nibbles, bf16 scales
//   Int4F32     Meta's on-the-fly int4 (llama4.md §6.1): the same nibbles, f32 scales
//   Int8        row-wise symmetric int8 with one bf16 scale per row (cpu/int8.hpp)
enum class WeightType : uint8_t { F32, BF16, Int4, Int4F32, Int8 };
constexpr int kWeightTypes = 5;

bool is_int4(WeightType type) noexcept;
size_t weight_type_size(WeightType type) noexcept;          // bytes per element; F32 and BF16 only
size_t row_bytes(WeightType type, int64_t cols) noexcept;  // bytes of one row of `cols` weights

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
  size_t row_bytes() const { return cpu::row_bytes(type_, cols_); }
  size_t bytes() const { return row_bytes() * static_cast<size_t>(rows_); }
  const uint8_t* row(int64_t r) const { return data_ + static_cast<size_t>(r) * row_bytes(); }
  uint8_t* mutable_data() { return owned_.data(); }
  bool empty() const { return rows_ == 0; }

  // Widens row r into `out` (cols floats); int4 and int8 rows are dequantized (q · scale).
  void row_to_f32(int64_t r, float* out) const;
  // Stores `cols` f32 values as row r of an owned matrix: copied, rounded to bf16, or quantized.
  void set_row_from_f32(int64_t r, const float* values);

 private:
  WeightType type_ = WeightType::F32;
  int64_t rows_ = 0;
  int64_t cols_ = 0;
  const uint8_t* data_ = nullptr;
  AlignedBytes owned_;
};

}  // namespace scout::cpu
