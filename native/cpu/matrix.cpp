#include "cpu/matrix.hpp"

#include <cstring>
#include <new>

#include "cpu/int4.hpp"
#include "cpu/int8.hpp"
#include "engine/error.hpp"
#include "engine/tensor.hpp"

namespace scout::cpu {

bool is_int4(WeightType type) noexcept {
  return type == WeightType::Int4 || type == WeightType::Int4F32;
}

size_t weight_type_size(WeightType type) noexcept {
  switch (type) {
    case WeightType::F32: return 4;
    case WeightType::BF16: return 2;
    case WeightType::Int4:
    case WeightType::Int4F32:
    case WeightType::Int8: return 0;  // with scales in the row: see row_bytes
  }
  return 0;
}

size_t row_bytes(WeightType type, int64_t cols) noexcept {
  if (is_int4(type)) return int4_row_bytes(type, cols);
  if (type == WeightType::Int8) return int8_row_bytes(cols);
  return static_cast<size_t>(cols) * weight_type_size(type);
}

AlignedBytes::AlignedBytes(size_t bytes) : size_(bytes) {
  if (bytes == 0) return;
  const size_t rounded = (bytes + 63) / 64 * 64;  // aligned_alloc wants a multiple of the alignment
  auto* p = static_cast<uint8_t*>(std::aligned_alloc(64, rounded));
  if (!p) throw Error(ErrorCode::OutOfMemory, "cannot allocate " + std::to_string(bytes) + " bytes");
  data_.reset(p);
}

Matrix::Matrix(WeightType type, int64_t rows, int64_t cols)
    : type_(type), rows_(rows), cols_(cols), owned_(static_cast<size_t>(rows) * cpu::row_bytes(type, cols)) {
  data_ = owned_.data();
}

Matrix Matrix::borrow(WeightType type, int64_t rows, int64_t cols, const uint8_t* data) {
  Matrix m;
  m.type_ = type;
  m.rows_ = rows;
  m.cols_ = cols;
  m.data_ = data;
  return m;
}

void Matrix::row_to_f32(int64_t r, float* out) const {
  const uint8_t* p = row(r);
  switch (type_) {
    case WeightType::F32: std::memcpy(out, p, row_bytes()); return;
    case WeightType::BF16:
      for (int64_t k = 0; k < cols_; ++k) {
        uint16_t v;
        std::memcpy(&v, p + 2 * k, 2);
        out[k] = bf16_to_f32(v);
      }
      return;
    case WeightType::Int4:
    case WeightType::Int4F32: int4_dequantize_row(type_, p, cols_, out); return;
    case WeightType::Int8: int8_dequantize_row(p, cols_, out); return;
  }
}

void Matrix::set_row_from_f32(int64_t r, const float* values) {
  uint8_t* p = owned_.data() + static_cast<size_t>(r) * row_bytes();
  switch (type_) {
    case WeightType::F32: std::memcpy(p, values, row_bytes()); return;
    case WeightType::BF16:
      for (int64_t k = 0; k < cols_; ++k) {
        const uint16_t b = f32_to_bf16(values[k]);  // exact for bf16 sources
        std::memcpy(p + 2 * k, &b, 2);
      }
      return;
    case WeightType::Int4:
    case WeightType::Int4F32: int4_quantize_row(type_, values, cols_, p); return;
    case WeightType::Int8: int8_quantize_row(values, cols_, p); return;
  }
}

}  // namespace scout::cpu
