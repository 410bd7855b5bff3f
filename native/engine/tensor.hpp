// A view of one tensor's bytes as stored in a checkpoint (memory-mapped, never copied).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace scout {

// The dtypes the engine computes with. Other safetensors dtypes are recognised by the parser
// (so a checkpoint that holds them can be described in an error) but rejected for weights.
enum class DType : uint8_t { F32, BF16, F16 };

const char* dtype_name(DType dtype) noexcept;  // "F32", "BF16", "F16" (safetensors spelling)
size_t dtype_size(DType dtype) noexcept;       // bytes per element

struct TensorView {
  std::string name;            // the name in the checkpoint, e.g. "language_model.model.norm.weight"
  std::string file;            // the .safetensors file it lives in (for error messages)
  DType dtype = DType::F32;
  std::vector<int64_t> shape;  // PyTorch order, row-major; [] for a scalar
  const uint8_t* data = nullptr;  // points into the mmapped file; nullptr when numel() == 0
  size_t nbytes = 0;              // == numel() * dtype_size(dtype), checked at parse time

  int64_t numel() const noexcept {
    int64_t n = 1;
    for (int64_t d : shape) n *= d;
    return n;
  }
};

// Widens `count` elements starting at element `offset` of `t` into f32. The caller guarantees
// offset + count <= t.numel().
void copy_to_f32(const TensorView& t, size_t offset, size_t count, float* out);

// IEEE half / bfloat16 conversions (bf16 -> f32 is exact; f32 -> bf16 rounds to nearest even).
float bf16_to_f32(uint16_t v) noexcept;
uint16_t f32_to_bf16(float v) noexcept;
float f16_to_f32(uint16_t v) noexcept;

}  // namespace scout
