// The row-kernel interface matmul dispatches on (internal to native/cpu).
//
// A row kernel computes out[r * NT + t] = dot(row r of w, x + t*ldx) for R rows (w_stride bytes
// apart) and NT tokens at once, sharing each load of a weight row between the tokens. For a given
// K the arithmetic of every output is the same sequence of operations whatever NT and R are, so
// batching never changes results.
#pragma once

#include <cstddef>
#include <cstdint>

#include "cpu/matmul.hpp"
#include "cpu/matrix.hpp"

namespace scout::cpu {

// (weights, bytes between weight rows, x, floats between x rows, K, out)
using DotsFn = void (*)(const uint8_t*, size_t, const float*, int64_t, int64_t, float*);

constexpr int kTokenBlock = 4;  // tokens sharing one pass over a weight row

// The int4 row kernels of `isa` for one row and `tokens` tokens (1 or kTokenBlock).
DotsFn int4_dots(Isa isa, WeightType type, int tokens);
// The int8 row kernels of `isa` (cpu/int8.hpp) for one row and `tokens` tokens.
DotsFn int8_dots(Isa isa, int tokens);

}  // namespace scout::cpu
