// The CUDA backend's view of the device: memory, streams, copies, cuBLAS and graphs, behind
// a plain C++ interface so that the engine code that drives the GPU needs no CUDA headers.
// Two implementations: device_cuda.cpp (the CUDA runtime and cuBLAS) and emu/device_emu.cpp
// (the CUDA emulator for tests on machines without a GPU; emu/emu.h says what it emulates).
//
// Which thread may call what: one thread owns a device's streams, buffers and handles (the
// engine worker, DESIGN.md section 3); device_count() and device_info() anywhere.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>

#include "common/dtype.h"
#include "common/status.h"
#include "kernels/cuda/stream.h"

namespace infilld::kernels::cuda {

struct DeviceInfo {
  std::string name;
  int64_t total_bytes = 0;
  int64_t free_bytes = 0;
  int multiprocessors = 0;
  int compute_major = 0, compute_minor = 0;
  bool emulated = false;  // the CUDA emulator (tests only), not a GPU
};

// Devices the runtime sees: 0 without a GPU or without a driver (never an error).
int device_count();
Expected<DeviceInfo> device_info(int device = 0);

// A device allocation, freed with the object.
class Buffer {
 public:
  Buffer() = default;
  // `what` names the allocation in the out-of-memory message.
  static Expected<Buffer> allocate(size_t bytes, std::string_view what);
  Buffer(Buffer&& o) noexcept : data_(o.data_), bytes_(o.bytes_) { o.data_ = nullptr, o.bytes_ = 0; }
  Buffer& operator=(Buffer&& o) noexcept {
    std::swap(data_, o.data_);
    std::swap(bytes_, o.bytes_);
    return *this;
  }
  Buffer(const Buffer&) = delete;
  Buffer& operator=(const Buffer&) = delete;
  ~Buffer();

  void* data() const { return data_; }
  template <class T>
  T* as() const { return static_cast<T*>(data_); }
  size_t bytes() const { return bytes_; }

 private:
  void* data_ = nullptr;
  size_t bytes_ = 0;
};

class Stream {
 public:
  Stream() = default;
  static Expected<Stream> create();
  Stream(Stream&& o) noexcept : handle_(o.handle_) { o.handle_ = nullptr; }
  Stream& operator=(Stream&& o) noexcept {
    std::swap(handle_, o.handle_);
    return *this;
  }
  Stream(const Stream&) = delete;
  Stream& operator=(const Stream&) = delete;
  ~Stream();

  StreamHandle handle() const { return handle_; }
  // Waits for everything queued; reports a kernel's failure.
  Status synchronize() const;

 private:
  StreamHandle handle_ = nullptr;
};

// Copies queued on a stream (host memory is pageable: the copy to the device returns once
// the source is read, the copy to the host once it is written).
Status copy_to_device(void* dst, const void* src, size_t bytes, StreamHandle stream);
Status copy_to_host(void* dst, const void* src, size_t bytes, StreamHandle stream);
Status copy_on_device(void* dst, const void* src, size_t bytes, StreamHandle stream);
// A kernel launch's configuration error, if the last launches had one.
Status launch_status();

// A cuBLAS handle bound to a stream, with its own workspace (so that its calls can be
// captured in a graph).
class Blas {
 public:
  Blas() = default;
  static Expected<Blas> create(StreamHandle stream);
  Blas(Blas&& o) noexcept : handle_(o.handle_), workspace_(std::move(o.workspace_)) { o.handle_ = nullptr; }
  Blas& operator=(Blas&& o) noexcept {
    std::swap(handle_, o.handle_);
    std::swap(workspace_, o.workspace_);
    return *this;
  }
  Blas(const Blas&) = delete;
  Blas& operator=(const Blas&) = delete;
  ~Blas();

  // y[T, N] = x[T, K] . w[N, K]^T + beta * y, row-major: the activations x and the weight w
  // in `dtype` (BF16 and F16 on the tensor cores), y in float32, accumulation in float32.
  // beta = 1 adds the product to y (the residual connection, fused).
  Status gemm_xwt(DType dtype, int64_t T, int64_t N, int64_t K, const void* x, const void* w, float* y,
                  float beta) const;

  // Float32 products batched over `batch` problems, row-major: c_b[M, N] = alpha a_b[M, K] .
  // op(b_b), op(b) = b^T [N, K] when b_transposed, else b [K, N]; problem i's matrices start
  // at a + i stride_a (and so on; a stride may be 0: one matrix shared by all). On the tensor
  // cores in TF32 (10-bit mantissas in, float32 sums): the attention of long sequences.
  struct Strided {
    const float* data;
    int64_t ld, stride;
  };
  Status gemm_batched_f32(bool b_transposed, int64_t M, int64_t N, int64_t K, float alpha, Strided a, Strided b,
                          float* c, int64_t ldc, int64_t stride_c, int64_t batch) const;

 private:
  void* handle_ = nullptr;
  Buffer workspace_;
};

// The work queued on a stream between begin_capture() and end_capture(), replayed as one
// launch (a CUDA graph): the per-step forward of a shape that repeats.
class Graph {
 public:
  Graph() = default;
  static Status begin_capture(StreamHandle stream);
  static Expected<Graph> end_capture(StreamHandle stream);
  Graph(Graph&& o) noexcept : exec_(o.exec_) { o.exec_ = nullptr; }
  Graph& operator=(Graph&& o) noexcept {
    std::swap(exec_, o.exec_);
    return *this;
  }
  Graph(const Graph&) = delete;
  Graph& operator=(const Graph&) = delete;
  ~Graph();

  Status launch(StreamHandle stream) const;
  bool empty() const { return exec_ == nullptr; }

 private:
  void* exec_ = nullptr;
};

}  // namespace infilld::kernels::cuda
