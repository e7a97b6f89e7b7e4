// Registers the CUDA backend with engine/backend.h (called by main() in builds that have it).
#pragma once

namespace infilld::engine::cuda {

void register_cuda_backend();

}  // namespace infilld::engine::cuda
