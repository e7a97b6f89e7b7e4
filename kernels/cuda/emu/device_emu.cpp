// device.h on the CUDA emulator (tests only): device memory is host memory with a budget
// (INFILLD_CUDA_EMU_MEMORY_MB, default 4096, so that the "does not fit" path can be tested),
// streams run their work at once, and a graph is the list of work recorded while it was
// captured, replayed in order. cuBLAS is a plain loop written here (its own dtype decoding,
// float32 sums in index order, TF32 rounding for the batched products), independent of the
// CPU engine's matmul, so that "the device equals the CPU" compares two computations.
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <vector>

#include "kernels/cuda/device.h"
#include "kernels/cuda/emu/emu.h"
#include "kernels/cuda/emu/scheduler.h"

namespace infilld::cuda_emu {

namespace {

using Work = std::function<void()>;
thread_local std::vector<Work>* g_capture = nullptr;
int64_t g_allocated = 0;

int64_t budget_bytes() {
  const char* s = std::getenv("INFILLD_CUDA_EMU_MEMORY_MB");
  const int64_t mb = s != nullptr && std::atoll(s) > 0 ? std::atoll(s) : 4096;
  return mb << 20;
}

// Runs the work now, or records it into the graph being captured.
void submit(Work w) {
  if (g_capture != nullptr) {
    g_capture->push_back(std::move(w));
  } else {
    w();
  }
}

// Element i of a matrix stored in `dtype` (F32, BF16 or F16), as float32; decoded here rather
// than with kernels/cpu so that the emulated cuBLAS shares no code with the CPU engine.
float element(DType dtype, const void* data, int64_t i) {
  if (dtype == DType::F32) {
    float f;
    std::memcpy(&f, static_cast<const unsigned char*>(data) + 4 * i, 4);
    return f;
  }
  uint16_t h;
  std::memcpy(&h, static_cast<const unsigned char*>(data) + 2 * i, 2);
  if (dtype == DType::BF16) {  // the high half of a float32
    const uint32_t bits = static_cast<uint32_t>(h) << 16;
    float f;
    std::memcpy(&f, &bits, 4);
    return f;
  }
  // F16: 1 sign, 5 exponent (bias 15), 10 mantissa bits.
  const int exponent = (h >> 10) & 0x1f;
  const int mantissa = h & 0x3ff;
  float magnitude;
  if (exponent == 0x1f)
    magnitude = mantissa != 0 ? NAN : INFINITY;
  else if (exponent == 0)
    magnitude = std::ldexp(static_cast<float>(mantissa), -24);  // subnormal: m 2^-24
  else
    magnitude = std::ldexp(static_cast<float>(1024 + mantissa), exponent - 25);
  return (h & 0x8000) != 0 ? -magnitude : magnitude;
}

// A float32 rounded to TF32 (10 explicit mantissa bits): to nearest, ties away from zero (PTX's
// cvt.rna.tf32.f32); infinities and NaN pass through. cuBLAS does not document its rounding,
// so this gives the size of TF32's error, not the GPU's exact bits.
float to_tf32(float f) {
  uint32_t bits;
  std::memcpy(&bits, &f, 4);
  if ((bits & 0x7f800000u) != 0x7f800000u) bits = (bits + 0x1000u) & 0xffffe000u;
  std::memcpy(&f, &bits, 4);
  return f;
}

}  // namespace

void launch(dim3 grid, dim3 block, size_t shared_bytes, std::function<void()> body) {
  submit([grid, block, shared_bytes, body = std::move(body)] { run_grid(grid, block, shared_bytes, body); });
}

}  // namespace infilld::cuda_emu

namespace infilld::kernels::cuda {

using cuda_emu::submit;
using cuda_emu::element;
using cuda_emu::to_tf32;

int device_count() { return 1; }

Expected<DeviceInfo> device_info(int device) {
  if (device != 0) return error("CUDA emulator: no device ", device);
  DeviceInfo info;
  info.name = "CUDA emulator (CPU, tests only)";
  info.total_bytes = cuda_emu::budget_bytes();
  info.free_bytes = info.total_bytes - cuda_emu::g_allocated;
  info.multiprocessors = 132;  // as an H200, so that launches pick the GPU's configurations
  info.compute_major = 9;
  info.compute_minor = 0;
  info.emulated = true;
  return info;
}

Expected<Buffer> Buffer::allocate(size_t bytes, std::string_view what) {
  Buffer b;
  if (bytes == 0) return b;
  const int64_t budget = cuda_emu::budget_bytes();
  if (cuda_emu::g_allocated + static_cast<int64_t>(bytes) > budget)
    return error("CUDA: cannot allocate ", what, " (", bytes >> 20, " MiB; ", (budget - cuda_emu::g_allocated) >> 20,
                 " MiB of ", budget >> 20, " MiB free): out of memory");
  // Poisoned like fresh device memory (never zero: code must not rely on it).
  void* p = std::aligned_alloc(256, (bytes + 255) / 256 * 256);
  if (p == nullptr) return error("CUDA emulator: out of host memory for ", what);
  std::memset(p, 0xcd, bytes);
  cuda_emu::g_allocated += static_cast<int64_t>(bytes);
  b.data_ = p;
  b.bytes_ = bytes;
  return b;
}

Buffer::~Buffer() {
  if (data_ == nullptr) return;
  cuda_emu::g_allocated -= static_cast<int64_t>(bytes_);
  std::free(data_);
}

Expected<Stream> Stream::create() {
  Stream s;
  s.handle_ = reinterpret_cast<StreamHandle>(uintptr_t{1});
  return s;
}

Stream::~Stream() = default;

Status Stream::synchronize() const { return Status::ok(); }

Status copy_to_device(void* dst, const void* src, size_t bytes, StreamHandle) {
  submit([=] { std::memcpy(dst, src, bytes); });
  return Status::ok();
}

Status copy_to_host(void* dst, const void* src, size_t bytes, StreamHandle) {
  submit([=] { std::memcpy(dst, src, bytes); });
  return Status::ok();
}

Status copy_on_device(void* dst, const void* src, size_t bytes, StreamHandle) {
  submit([=] { std::memmove(dst, src, bytes); });
  return Status::ok();
}

Status launch_status() { return Status::ok(); }

Expected<Blas> Blas::create(StreamHandle) {
  Blas b;
  b.handle_ = reinterpret_cast<void*>(uintptr_t{1});
  return b;
}

Blas::~Blas() = default;

Status Blas::gemm_xwt(DType dtype, int64_t T, int64_t N, int64_t K, const void* x, const void* w, float* y,
                      float beta) const {
  // cublasGemmEx with CUBLAS_COMPUTE_32F: the stored values exactly, float32 sums; y is not
  // read when beta is 0 (as cuBLAS: it may hold anything).
  if (dtype != DType::F32 && dtype != DType::BF16 && dtype != DType::F16)
    return error("CUDA emulator: no matrix product in ", dtype_name(dtype));
  submit([=] {
    for (int64_t t = 0; t < T; ++t)
      for (int64_t n = 0; n < N; ++n) {
        float acc = 0.0f;
        for (int64_t k = 0; k < K; ++k) acc += element(dtype, x, t * K + k) * element(dtype, w, n * K + k);
        float& out = y[t * N + n];
        out = beta == 0.0f ? acc : acc + beta * out;
      }
  });
  return Status::ok();
}

Status Blas::gemm_batched_f32(bool b_transposed, int64_t M, int64_t N, int64_t K, float alpha, Strided a, Strided b,
                              float* c, int64_t ldc, int64_t stride_c, int64_t batch) const {
  // CUBLAS_COMPUTE_32F_FAST_TF32: both inputs rounded to TF32, float32 sums.
  submit([=] {
    for (int64_t i = 0; i < batch; ++i)
      for (int64_t m = 0; m < M; ++m)
        for (int64_t n = 0; n < N; ++n) {
          float acc = 0.0f;
          for (int64_t k = 0; k < K; ++k) {
            const float bv = b_transposed ? b.data[i * b.stride + n * b.ld + k] : b.data[i * b.stride + k * b.ld + n];
            acc += to_tf32(a.data[i * a.stride + m * a.ld + k]) * to_tf32(bv);
          }
          c[i * stride_c + m * ldc + n] = alpha * acc;
        }
  });
  return Status::ok();
}

Status Graph::begin_capture(StreamHandle) {
  if (cuda_emu::g_capture != nullptr) return error("CUDA emulator: a graph capture is already running");
  cuda_emu::g_capture = new std::vector<cuda_emu::Work>();
  return Status::ok();
}

Expected<Graph> Graph::end_capture(StreamHandle) {
  if (cuda_emu::g_capture == nullptr) return error("CUDA emulator: no graph capture is running");
  Graph g;
  g.exec_ = cuda_emu::g_capture;
  cuda_emu::g_capture = nullptr;
  return g;
}

Graph::~Graph() { delete static_cast<std::vector<cuda_emu::Work>*>(exec_); }

Status Graph::launch(StreamHandle) const {
  for (const auto& w : *static_cast<std::vector<cuda_emu::Work>*>(exec_)) w();
  return Status::ok();
}

}  // namespace infilld::kernels::cuda
