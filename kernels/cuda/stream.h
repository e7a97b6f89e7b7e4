// The stream handle the kernels' launchers take: a cudaStream_t, as an opaque pointer so
// that callers need no CUDA header (and the kernels, compiled as C++17 by nvcc, need
// nothing of the engine's C++20 headers).
#pragma once

namespace infilld::kernels::cuda {

using StreamHandle = void*;

}  // namespace infilld::kernels::cuda
