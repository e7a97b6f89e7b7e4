// The CUDA backend for engine/backend.h: registered directly (the emulator build), or found
// by name in the module libinfilld_cuda.so (src/cli/cuda_module.h).
#pragma once

namespace infilld::engine {
struct CudaBackend;
}

namespace infilld::engine::cuda {

void register_cuda_backend();

}  // namespace infilld::engine::cuda

// The module's entry point, looked up with dlsym (an unmangled name).
extern "C" const infilld::engine::CudaBackend* infilld_cuda_backend();
#define INFILLD_CUDA_BACKEND_SYMBOL "infilld_cuda_backend"
