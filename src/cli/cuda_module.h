// Finds and loads the CUDA backend module, libinfilld_cuda.so, for engine/backend.h's loader
// (set by main() in builds with the CUDA backend). Only when an NVIDIA driver is present: on
// any other machine the module (and with it the CUDA runtime and cuBLAS, ~100 ms of loading
// and initialisation) is never touched, and `--device cuda` says no device is visible.
//
// Where: beside the binary (the build tree: build/infilld, build/libinfilld_cuda.so), then
// ../lib/infilld/ from it (the installed layout). INFILLD_CUDA_MODULE names another file.
// INFILLD_CUDA_PROBE=always loads it without a driver (tests: the module must load, its
// symbols resolve against the binary, and it answers that no device is visible).
#pragma once

#include <string>

namespace infilld::engine {
struct CudaBackend;
}

namespace infilld::cli {

const engine::CudaBackend* load_cuda_module(std::string* why);

}  // namespace infilld::cli
