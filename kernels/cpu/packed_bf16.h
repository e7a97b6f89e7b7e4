// BF16 weights repacked once at load for the AVX2 kernel (matmul_bf16_packed_avx2.cpp), on
// the CPUs without AVX-512 where that kernel computes the forward.
//
// Row-major W[N, K] suits dot products: each output needs a horizontal sum, and each weight
// vector must be widened from 8 BF16 values on its own. Packed, the weights are read as the
// kernel consumes them: panels of 16 weight rows, and within a panel, for each k, the 16
// values of column k in 32 bytes. One load then gives two float32 vectors with one
// instruction each (a BF16 value is the top half of a float32): the low halves of the 32-bit
// words, shifted up, are rows 0-7 of the panel; the high halves, masked, are rows 8-15. The
// kernel broadcasts one activation per k and accumulates 16 outputs per row in registers:
// no horizontal sums, no tail in K.
//
//   panel p, column k, word i (0-7): low half = W[16p + i, k], high half = W[16p + 8 + i, k]
//
// A last panel with fewer than 16 rows is padded with zeros, so the packed matrix is the
// BF16 file's size (up to 15 rows more); the mapped pages of the stored matrix are released.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "kernels/cpu/weight.h"

namespace infilld::kernels {

// Whether w can be packed: a BF16 matrix in rows.
bool can_pack_bf16(const Weight& w);

// Packs w into `storage`, resized; returns the packed weight that points into it (w itself
// where !can_pack_bf16(w)). Runs on threads of its own (load_threads.h).
Weight pack_bf16(const Weight& w, std::vector<std::byte>& storage);

// Rows [r0, r0 + n) of a packed weight as float32, row-major [n, cols] (the embedding lookup
// of a tied LM head, the float32 panels of a many-row matmul, tests).
void unpack_bf16_rows(const Weight& w, int64_t r0, int64_t n, float* out);

// y[T, N] = x[T, K] . W[N, K]^T for a packed W, AVX2 + FMA (matmul.h chooses).
void matmul_bf16_packed_avx2(const float* x, int64_t n_rows, const Weight& w, float* y);

}  // namespace infilld::kernels
