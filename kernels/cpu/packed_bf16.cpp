#include "kernels/cpu/packed_bf16.h"

#include <algorithm>

#include "kernels/cpu/convert.h"
#include "kernels/cpu/load_threads.h"

namespace infilld::kernels {

namespace {

// Where W[r, k] lives in a packed matrix of K columns, in 16-bit units.
inline int64_t packed_index(int64_t r, int64_t k, int64_t cols) {
  const int64_t panel = r / kPanelRows;
  const int64_t i = r % kPanelRows;
  const int64_t half = i / 8;  // rows 0-7: low halves, 8-15: high halves
  return (panel * cols + k) * kPanelRows + (i % 8) * 2 + half;
}

}  // namespace

bool can_pack_bf16(const Weight& w) { return w.dtype == DType::BF16 && !w.packed && w.rows > 0 && w.cols > 0; }

Weight pack_bf16(const Weight& w, std::vector<std::byte>& storage) {
  if (!can_pack_bf16(w)) return w;
  Weight packed = w;
  packed.packed = true;
  storage.assign(static_cast<size_t>(packed.bytes()), std::byte{0});  // the padding rows stay zero
  const auto* src = static_cast<const uint16_t*>(w.data);
  auto* dst = reinterpret_cast<uint16_t*>(storage.data());
  const int64_t k = w.cols;
  on_load_threads(w.rows, w.bytes(), [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; ++r) {
      const uint16_t* row = src + r * k;
      uint16_t* out = dst + packed_index(r, 0, k);
      for (int64_t c = 0; c < k; ++c) out[c * kPanelRows] = row[c];
    }
  });
  packed.data = storage.data();
  return packed;
}

void unpack_bf16_rows(const Weight& w, int64_t r0, int64_t n, float* out) {
  const auto* src = static_cast<const uint16_t*>(w.data);
  for (int64_t r = r0; r < r0 + n; ++r) {
    const uint16_t* in = src + packed_index(r, 0, w.cols);
    float* row = out + (r - r0) * w.cols;
    for (int64_t c = 0; c < w.cols; ++c) row[c] = bf16_to_f32(in[c * kPanelRows]);
  }
}

}  // namespace infilld::kernels
