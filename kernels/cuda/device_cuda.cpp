// device.h on the CUDA runtime and cuBLAS.
#include <cublas_v2.h>
#include <cuda_runtime.h>

#include <utility>

#include "kernels/cuda/device.h"

namespace infilld::kernels::cuda {

namespace {

Status check(cudaError_t e, std::string_view what) {
  if (e == cudaSuccess) return Status::ok();
  return error("CUDA: ", what, ": ", cudaGetErrorString(e));
}

Status check_blas(cublasStatus_t s, std::string_view what) {
  if (s == CUBLAS_STATUS_SUCCESS) return Status::ok();
  return error("cuBLAS: ", what, ": ", cublasGetStatusString(s));
}

cudaStream_t raw(StreamHandle s) { return static_cast<cudaStream_t>(s); }

constexpr size_t kBlasWorkspaceBytes = 32u << 20;

}  // namespace

int device_count() {
  int n = 0;
  if (cudaGetDeviceCount(&n) != cudaSuccess) {
    (void)cudaGetLastError();  // no driver or no device: clear the sticky error
    return 0;
  }
  return n;
}

Expected<DeviceInfo> device_info(int device) {
  cudaDeviceProp p{};
  INFILLD_TRY(check(cudaGetDeviceProperties(&p, device), "reading the device's properties"));
  INFILLD_TRY(check(cudaSetDevice(device), "selecting the device"));
  size_t free_b = 0, total_b = 0;
  INFILLD_TRY(check(cudaMemGetInfo(&free_b, &total_b), "reading the device's free memory"));
  DeviceInfo info;
  info.name = p.name;
  info.total_bytes = static_cast<int64_t>(total_b);
  info.free_bytes = static_cast<int64_t>(free_b);
  info.multiprocessors = p.multiProcessorCount;
  info.compute_major = p.major;
  info.compute_minor = p.minor;
  return info;
}

Expected<Buffer> Buffer::allocate(size_t bytes, std::string_view what) {
  Buffer b;
  if (bytes == 0) return b;
  void* p = nullptr;
  const cudaError_t e = cudaMalloc(&p, bytes);
  if (e != cudaSuccess) {
    (void)cudaGetLastError();
    size_t free_b = 0, total_b = 0;
    cudaMemGetInfo(&free_b, &total_b);
    return error("CUDA: cannot allocate ", what, " (", bytes >> 20, " MiB; ", free_b >> 20, " MiB of ", total_b >> 20,
                 " MiB free): ", cudaGetErrorString(e));
  }
  b.data_ = p;
  b.bytes_ = bytes;
  return b;
}

Buffer::~Buffer() {
  if (data_ != nullptr) cudaFree(data_);
}

Expected<Stream> Stream::create() {
  Stream s;
  cudaStream_t st = nullptr;
  INFILLD_TRY(check(cudaStreamCreateWithFlags(&st, cudaStreamNonBlocking), "creating a stream"));
  s.handle_ = st;
  return s;
}

Stream::~Stream() {
  if (handle_ != nullptr) cudaStreamDestroy(raw(handle_));
}

Status Stream::synchronize() const { return check(cudaStreamSynchronize(raw(handle_)), "running the queued work"); }

Status copy_to_device(void* dst, const void* src, size_t bytes, StreamHandle stream) {
  return check(cudaMemcpyAsync(dst, src, bytes, cudaMemcpyHostToDevice, raw(stream)), "copying to the device");
}

Status copy_to_host(void* dst, const void* src, size_t bytes, StreamHandle stream) {
  return check(cudaMemcpyAsync(dst, src, bytes, cudaMemcpyDeviceToHost, raw(stream)), "copying to the host");
}

Status copy_on_device(void* dst, const void* src, size_t bytes, StreamHandle stream) {
  return check(cudaMemcpyAsync(dst, src, bytes, cudaMemcpyDeviceToDevice, raw(stream)), "copying on the device");
}

Status launch_status() { return check(cudaGetLastError(), "launching a kernel"); }

Expected<Blas> Blas::create(StreamHandle stream) {
  Blas b;
  cublasHandle_t h = nullptr;
  INFILLD_TRY(check_blas(cublasCreate(&h), "creating a handle"));
  b.handle_ = h;
  INFILLD_TRY(check_blas(cublasSetStream(h, raw(stream)), "binding the stream"));
  auto ws = Buffer::allocate(kBlasWorkspaceBytes, "the cuBLAS workspace");
  if (!ws) return ws.error();
  b.workspace_ = std::move(*ws);
  INFILLD_TRY(check_blas(cublasSetWorkspace(h, b.workspace_.data(), kBlasWorkspaceBytes), "setting the workspace"));
  return b;
}

Blas::~Blas() {
  if (handle_ != nullptr) cublasDestroy(static_cast<cublasHandle_t>(handle_));
}

Status Blas::gemm_xwt(DType dtype, int64_t T, int64_t N, int64_t K, const void* x, const void* w, float* y,
                      float beta) const {
  // Column-major, cuBLAS's view: y^T [N, T] = w [N, K] . x^T [K, T], where the row-major w
  // [N, K] is a column-major [K, N] matrix taken transposed and x [T, K] is x^T [K, T].
  const float alpha = 1.0f;
  cudaDataType_t t = CUDA_R_32F;
  cublasComputeType_t compute = CUBLAS_COMPUTE_32F;
  if (dtype == DType::BF16) t = CUDA_R_16BF;
  if (dtype == DType::F16) t = CUDA_R_16F;
  return check_blas(cublasGemmEx(static_cast<cublasHandle_t>(handle_), CUBLAS_OP_T, CUBLAS_OP_N, static_cast<int>(N),
                                 static_cast<int>(T), static_cast<int>(K), &alpha, w, t, static_cast<int>(K), x, t,
                                 static_cast<int>(K), &beta, y, CUDA_R_32F, static_cast<int>(N), compute,
                                 CUBLAS_GEMM_DEFAULT),
                    "matrix product");
}

Status Blas::gemm_batched_f32(bool b_transposed, int64_t M, int64_t N, int64_t K, float alpha, Strided a, Strided b,
                              float* c, int64_t ldc, int64_t stride_c, int64_t batch) const {
  // Column-major, cuBLAS's view: c^T [N, M] = op(b)^T . a^T; the row-major b is a column-major
  // matrix already transposed, so b^T asks for no transpose and b for one.
  const float beta = 0.0f;
  return check_blas(
      cublasGemmStridedBatchedEx(static_cast<cublasHandle_t>(handle_), b_transposed ? CUBLAS_OP_T : CUBLAS_OP_N,
                                 CUBLAS_OP_N, static_cast<int>(N), static_cast<int>(M), static_cast<int>(K), &alpha,
                                 b.data, CUDA_R_32F, static_cast<int>(b.ld), b.stride, a.data, CUDA_R_32F,
                                 static_cast<int>(a.ld), a.stride, &beta, c, CUDA_R_32F, static_cast<int>(ldc), stride_c,
                                 static_cast<int>(batch), CUBLAS_COMPUTE_32F_FAST_TF32, CUBLAS_GEMM_DEFAULT),
      "batched matrix product");
}

Status Graph::begin_capture(StreamHandle stream) {
  return check(cudaStreamBeginCapture(raw(stream), cudaStreamCaptureModeThreadLocal), "starting a graph capture");
}

Expected<Graph> Graph::end_capture(StreamHandle stream) {
  cudaGraph_t graph = nullptr;
  INFILLD_TRY(check(cudaStreamEndCapture(raw(stream), &graph), "ending a graph capture"));
  cudaGraphExec_t exec = nullptr;
  const cudaError_t e = cudaGraphInstantiate(&exec, graph, 0);
  cudaGraphDestroy(graph);
  INFILLD_TRY(check(e, "instantiating a graph"));
  Graph g;
  g.exec_ = exec;
  return g;
}

Graph::~Graph() {
  if (exec_ != nullptr) cudaGraphExecDestroy(static_cast<cudaGraphExec_t>(exec_));
}

Status Graph::launch(StreamHandle stream) const {
  return check(cudaGraphLaunch(static_cast<cudaGraphExec_t>(exec_), raw(stream)), "launching a graph");
}

}  // namespace infilld::kernels::cuda
