// The CUDA emulator's kernel side (tests only; named as a stand-in for the GPU). The same
// kernel sources that nvcc compiles for the GPU are compiled by the host compiler with this
// header in front (INFILLD_CUDA_EMU), so their arithmetic, indexing, barriers and warp
// shuffles run on machines without a GPU, under AddressSanitizer too:
//   - every CUDA thread of a block is a fiber on the calling OS thread; blocks run one after
//     another, so a function-level `static` (what __shared__ becomes) is the block's shared
//     memory, and the dynamic shared memory is one buffer per block;
//   - __syncthreads() waits for every live thread of the block, a warp shuffle for every
//     live lane of the warp; a thread that waits where the others never arrive (a barrier in
//     divergent code) is reported as a deadlock and the process aborts;
//   - nothing about timing, occupancy or the memory model beyond barriers is emulated.
// What it cannot show is whether the kernels are fast or race-free on real hardware: that
// needs the GPU machine (bench/gpu).
#pragma once

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <functional>
#include <math.h>

namespace infilld::cuda_emu {

struct dim3 {
  unsigned x = 1, y = 1, z = 1;
  constexpr dim3(unsigned x_ = 1, unsigned y_ = 1, unsigned z_ = 1) : x(x_), y(y_), z(z_) {}  // NOLINT
};

struct ThreadState {
  dim3 thread_idx, block_idx, block_dim, grid_dim;
};

// The running fiber's indices (set by the scheduler before it switches to a fiber).
extern thread_local ThreadState* current;

void syncthreads();
// Exchanges 8 bytes with lane (lane ^ lane_mask) of the same warp.
uint64_t shfl_xor_bits(uint64_t bits, int lane_mask);
// Reads 8 bytes from lane `src_lane` of the same warp.
uint64_t shfl_idx_bits(uint64_t bits, int src_lane);
void* dynamic_shared();

// Runs `body` once for every thread of the grid (or records it while a graph is captured).
void launch(dim3 grid, dim3 block, size_t shared_bytes, std::function<void()> body);

template <class Kernel>
struct Launch {
  Kernel* kernel;
  dim3 grid, block;
  size_t shared_bytes;
  template <class... Args>
  void operator()(Args... args) const {
    Kernel* k = kernel;
    launch(grid, block, shared_bytes, [k, args...] { k(args...); });
  }
};

template <class Kernel>
Launch<Kernel> make_launch(Kernel* k, dim3 grid, dim3 block, size_t shared_bytes) {
  return Launch<Kernel>{k, grid, block, shared_bytes};
}

}  // namespace infilld::cuda_emu

using infilld::cuda_emu::dim3;

#define __global__
#define __device__
#define __host__
#define __forceinline__ inline
#define __launch_bounds__(...)
#define __restrict__
#define __shared__ static
#define threadIdx (::infilld::cuda_emu::current->thread_idx)
#define blockIdx (::infilld::cuda_emu::current->block_idx)
#define blockDim (::infilld::cuda_emu::current->block_dim)
#define gridDim (::infilld::cuda_emu::current->grid_dim)

inline void __syncthreads() { ::infilld::cuda_emu::syncthreads(); }

namespace infilld::cuda_emu {

// A warp shuffle of any value of up to 8 bytes, through the scheduler's exchange of bits.
template <class T, class Exchange>
inline T shuffle(T v, Exchange exchange) {
  static_assert(sizeof(T) <= 8);
  uint64_t bits = 0;
  std::memcpy(&bits, &v, sizeof(T));
  bits = exchange(bits);
  T out;
  std::memcpy(&out, &bits, sizeof(T));
  return out;
}

}  // namespace infilld::cuda_emu

template <class T>
inline T __shfl_xor_sync(unsigned /*mask*/, T v, int lane_mask, int /*width*/ = 32) {
  return ::infilld::cuda_emu::shuffle(v, [lane_mask](uint64_t b) { return ::infilld::cuda_emu::shfl_xor_bits(b, lane_mask); });
}

template <class T>
inline T __shfl_sync(unsigned /*mask*/, T v, int src_lane, int /*width*/ = 32) {
  return ::infilld::cuda_emu::shuffle(v, [src_lane](uint64_t b) { return ::infilld::cuda_emu::shfl_idx_bits(b, src_lane); });
}

inline float rsqrtf(float x) { return 1.0f / std::sqrt(x); }
inline float __uint_as_float(uint32_t u) {
  float f;
  std::memcpy(&f, &u, 4);
  return f;
}
inline uint32_t __float_as_uint(float f) {
  uint32_t u;
  std::memcpy(&u, &f, 4);
  return u;
}
