#include "kernels/cpu/matmul.h"

#include <algorithm>
#include <vector>

#include "kernels/cpu/convert.h"
#include "kernels/cpu/cpu_isa.h"
#include "kernels/cpu/onednn.h"
#include "kernels/cpu/packed_bf16.h"
#include "kernels/cpu/quantize.h"

namespace infilld::kernels {

void matmul_converted_panels(const float* x, int64_t n_rows, const Weight& w, float* y) {
  // Panels of 256 rows: large enough for sgemm to be efficient, small enough to stay in L2.
  constexpr int64_t kPanel = 256;
  const int64_t k = w.cols;
  std::vector<float> panel(static_cast<size_t>(std::min(kPanel, w.rows) * k));
  for (int64_t n0 = 0; n0 < w.rows; n0 += kPanel) {
    const int64_t nb = std::min(kPanel, w.rows - n0);
    if (w.packed) {
      unpack_bf16_rows(w, n0, nb, panel.data());
    } else {
      to_f32(w.dtype, w.row(n0), nb * k, panel.data());
    }
    onednn::gemm_f32(/*b_transposed=*/true, n_rows, nb, k, x, k, panel.data(), k, y + n0, w.rows);
  }
}

namespace {
// Up to this many rows BF16 weights take the AVX2 kernel on AVX2 machines. Measured with
// bench_matmul_paths on an AMD EPYC (Zen 3, AVX2, 2 threads; bench/results/
// matmul_paths_q8_*_zen3.jsonl): 2-4x faster than the float32 panels up to 16 rows, 2.4x at
// 32 (default model) and 1.2x at 32 and 64 (0.5B shape), level or slower from ~128. (The
// first measurement, on a Xeon with AVX2 forced, put the crossover at 16.)
constexpr int64_t kAvx2KernelRows = 64;
// Up to this many rows Q8_0 weights take the integer kernel; above, float32 panels. On an
// AMD EPYC Zen 3 (bench/results/matmul_paths_q8_*_zen3.jsonl, and the forward side by side,
// docs/decisions.md "The thread pool, the kernel's row limit..."): the kernel is 1.5x faster
// than the panels at 16 rows on the 0.5B shape's matrices and its forward at 32 positions
// 1.6x faster with the kernel; on short rows (the default model's K = 256) the kernel is
// level at 16 rows and its forward 1.3-1.5x slower with the kernel at 32 and 64 positions.
constexpr int64_t kQ8KernelRows = 16;
constexpr int64_t kQ8KernelRowsLongK = 64;  // for rows of 512 values or more
constexpr int64_t kQ8LongK = 512;
}  // namespace

void matmul(const float* x, int64_t n_rows, const Weight& w, float* y) {
  if (n_rows <= 0 || w.rows <= 0) return;
  const CpuIsa isa = cpu_isa();
  if (w.packed) {
    // Packed on AVX2 machines (engine/cpu_weights.h): our kernel from one row to a prompt
    // (level with the float32 panels' sgemm at 512 rows, 2x faster at 16).
    if (isa >= CpuIsa::Avx2) return matmul_bf16_packed_avx2(x, n_rows, w, y);
    return matmul_converted_panels(x, n_rows, w, y);
  }
  if (w.dtype == DType::Q8_0) {
    if (n_rows > (w.cols >= kQ8LongK ? kQ8KernelRowsLongK : kQ8KernelRows)) return matmul_converted_panels(x, n_rows, w, y);
    return isa >= CpuIsa::Avx2 ? matmul_q8_avx2(x, n_rows, w, y) : matmul_q8_portable(x, n_rows, w, y);
  }
  if (w.dtype == DType::BF16 && isa < CpuIsa::Avx512) {
    // oneDNN 2.6 has no BF16 matmul below AVX-512: asking it would round the activations
    // for nothing. A few rows (a keystroke's block step) are bound by reading the weights:
    // our AVX2 kernel reads them as stored, 2-4x faster than converting panels; from about
    // 64-128 rows the panels' float32 sgemm computes faster (docs/decisions.md, "BF16 on AVX2").
    if (isa == CpuIsa::Avx2 && n_rows <= kAvx2KernelRows) return matmul_bf16_avx2(x, n_rows, w, y);
    return matmul_converted_panels(x, n_rows, w, y);
  }
  if (onednn::linear(x, n_rows, w, y)) return;
  if (w.dtype == DType::BF16 && cpu_has_avx512_bf16()) return matmul_bf16_avx512(x, n_rows, w, y);
  matmul_converted_panels(x, n_rows, w, y);
}

}  // namespace infilld::kernels
