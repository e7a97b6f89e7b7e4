// What every CUDA kernel file shares: the launch macro, dynamic shared memory, the stored
// dtypes and their conversions, and warp/block reductions. The same sources compile with
// nvcc for the GPU and, with INFILLD_CUDA_EMU, with the host compiler for the CUDA
// emulator (emu/emu.h).
#pragma once

#include <algorithm>
#include <cstdint>

#include "common/dtype.h"
#include "kernels/cuda/stream.h"

#ifdef INFILLD_CUDA_EMU
#include "kernels/cpu/convert.h"
#include "kernels/cuda/emu/emu.h"
// INFILLD_LAUNCH(kernel, grid, block, shared_bytes, stream)(args...): kernel<<<...>>>(args...).
#define INFILLD_LAUNCH(kernel, grid, block, shared, stream) \
  ::infilld::cuda_emu::make_launch(kernel, grid, block, shared)
#define INFILLD_DYNAMIC_SHARED(T, name) T* name = static_cast<T*>(::infilld::cuda_emu::dynamic_shared())
#else
#include <cuda_fp16.h>
#include <cuda_runtime.h>
#define INFILLD_LAUNCH(kernel, grid, block, shared, stream) \
  kernel<<<grid, block, shared, static_cast<cudaStream_t>(stream)>>>
#define INFILLD_DYNAMIC_SHARED(T, name)                                   \
  extern __shared__ __align__(16) unsigned char infilld_dynamic_shared_[]; \
  T* name = reinterpret_cast<T*>(infilld_dynamic_shared_)
#endif

namespace infilld::kernels::cuda {

// The 16-bit stored dtypes, as their bits (no CUDA header types in the interfaces).
struct bf16 {
  uint16_t bits;
};
struct f16 {
  uint16_t bits;
};

// Raises a kernel's dynamic shared memory limit past the default 48 KiB, to the most any
// launch of it asked so far (raised outside graph captures: the first run of a shape is
// never captured). The engine worker thread only.
template <class Kernel>
inline void allow_shared_bytes(Kernel* kernel, size_t bytes) {
#ifndef INFILLD_CUDA_EMU
  static size_t allowed = 48 * 1024;
  if (bytes > allowed) {
    cudaFuncSetAttribute(reinterpret_cast<const void*>(kernel), cudaFuncAttributeMaxDynamicSharedMemorySize,
                         static_cast<int>(bytes));
    allowed = bytes;
  }
#else
  (void)kernel;
  (void)bytes;
#endif
}

__device__ __forceinline__ float to_float(float v) { return v; }
__device__ __forceinline__ float to_float(bf16 v) { return __uint_as_float(static_cast<uint32_t>(v.bits) << 16); }
__device__ __forceinline__ float to_float(f16 v) {
#ifdef INFILLD_CUDA_EMU
  return f16_to_f32(v.bits);
#else
  return __half2float(__ushort_as_half(v.bits));
#endif
}

#ifdef INFILLD_CUDA_EMU
// float -> IEEE half, round to nearest even (the emulator's twin of __float2half_rn).
inline uint16_t f32_to_f16_bits(float f) {
  uint32_t x = __float_as_uint(f);
  const uint32_t sign = (x >> 16) & 0x8000u;
  x &= 0x7fffffffu;
  if (x >= 0x7f800000u) return static_cast<uint16_t>(sign | (x > 0x7f800000u ? 0x7e00u : 0x7c00u));
  if (x >= 0x477ff000u) return static_cast<uint16_t>(sign | 0x7c00u);  // >= 65520: infinity
  if (x < 0x38800000u) {                                              // below 2^-14: subnormal
    if (x < 0x33000000u) return static_cast<uint16_t>(sign);
    const uint32_t m = (x & 0x7fffffu) | 0x800000u;
    const uint32_t shift = 126u - (x >> 23);
    uint32_t r = m >> shift;
    const uint32_t rem = m & ((1u << shift) - 1u), half = 1u << (shift - 1u);
    if (rem > half || (rem == half && (r & 1u))) ++r;
    return static_cast<uint16_t>(sign | r);
  }
  uint32_t r = (x >> 13) - (112u << 10);
  const uint32_t rem = x & 0x1fffu;
  if (rem > 0x1000u || (rem == 0x1000u && (r & 1u))) ++r;
  return static_cast<uint16_t>(sign | r);
}
#endif

template <class T>
__device__ __forceinline__ T from_float(float v);
template <>
__device__ __forceinline__ float from_float<float>(float v) {
  return v;
}
template <>
__device__ __forceinline__ bf16 from_float<bf16>(float v) {
  uint32_t bits = __float_as_uint(v);
  if ((bits & 0x7fffffffu) > 0x7f800000u) return bf16{static_cast<uint16_t>((bits >> 16) | 0x40u)};
  bits += 0x7fffu + ((bits >> 16) & 1u);  // round to nearest even
  return bf16{static_cast<uint16_t>(bits >> 16)};
}
template <>
__device__ __forceinline__ f16 from_float<f16>(float v) {
#ifdef INFILLD_CUDA_EMU
  return f16{f32_to_f16_bits(v)};
#else
  return f16{__half_as_ushort(__float2half_rn(v))};
#endif
}

__device__ __forceinline__ float warp_sum(float v) {
  for (int o = 16; o > 0; o >>= 1) v += __shfl_xor_sync(0xffffffffu, v, o);
  return v;
}

__device__ __forceinline__ float warp_max(float v) {
  for (int o = 16; o > 0; o >>= 1) v = fmaxf(v, __shfl_xor_sync(0xffffffffu, v, o));
  return v;
}

// A reduction over the block (warp_sum or warp_max, with its identity), returned to every
// thread. blockDim.x: whole warps, at most 1024; every thread of the block must call it (it
// has barriers).
struct WarpSum {
  __device__ static float reduce(float v) { return warp_sum(v); }
};
struct WarpMax {
  __device__ static float reduce(float v) { return warp_max(v); }
};

template <class Warp>
__device__ inline float block_reduce(float v, float identity) {
  __shared__ float partial[32];
  const unsigned lane = threadIdx.x % 32, warp = threadIdx.x / 32, n_warps = blockDim.x / 32;
  v = Warp::reduce(v);
  if (lane == 0) partial[warp] = v;
  __syncthreads();
  v = Warp::reduce(lane < n_warps ? partial[lane] : identity);  // each warp reduces the partials
  __syncthreads();  // `partial` is free again for the next call
  return v;
}

__device__ inline float block_sum(float v) { return block_reduce<WarpSum>(v, 0.0f); }
__device__ inline float block_max(float v) { return block_reduce<WarpMax>(v, -INFINITY); }

// Calls f(T{}) with T the C++ type of `dtype`'s elements (a tag: f takes `auto`).
template <class F>
void with_dtype(DType dtype, F&& f) {
  switch (dtype) {
    case DType::F32: f(float{}); break;
    case DType::BF16: f(bf16{}); break;
    case DType::F16: f(f16{}); break;
    case DType::Q8_0: break;  // CPU only: the CUDA backend refuses 8-bit weights (engine/backend.cpp)
  }
}

inline unsigned blocks_for(int64_t n, unsigned per_block) {
  return static_cast<unsigned>((n + per_block - 1) / per_block);
}

}  // namespace infilld::kernels::cuda
