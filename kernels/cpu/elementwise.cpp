#include "kernels/cpu/elementwise.h"

#include <cmath>

#include <algorithm>

#include "kernels/cpu/convert.h"
#include "kernels/cpu/onednn.h"
#include "kernels/cpu/packed_bf16.h"

namespace infilld::kernels {

void add_bias(float* y, int64_t n_rows, int64_t n, const float* bias) {
  for (int64_t r = 0; r < n_rows; ++r)
    for (int64_t i = 0; i < n; ++i) y[r * n + i] += bias[i];
}

void add_inplace(float* x, const float* y, int64_t n) {
  for (int64_t i = 0; i < n; ++i) x[i] += y[i];
}

void swiglu(const float* gate, const float* up, float* out, int64_t n) {
  if (out != gate) std::copy(gate, gate + n, out);
  onednn::silu(out, n);
  for (int64_t i = 0; i < n; ++i) out[i] *= up[i];
}

void embedding(const Weight& table, const int32_t* ids, int64_t n_ids, float* out) {
  for (int64_t i = 0; i < n_ids; ++i) {
    if (table.packed) {
      unpack_bf16_rows(table, ids[i], 1, out + i * table.cols);
    } else {
      to_f32(table.dtype, table.row(ids[i]), table.cols, out + i * table.cols);
    }
  }
}

}  // namespace infilld::kernels
