// CUDA RMSNorm, the first op of the CUDA backend; its CPU twin is kernels/cpu/norm.h and
// tests/kernels/test_cuda_rmsnorm.cpp compares the two where a GPU is present.
#pragma once

#include <cstdint>
#include <string>

namespace infilld::kernels::cuda {

// True when the CUDA runtime sees at least one device.
bool device_available();

// y = x / sqrt(mean(x^2) + eps) * weight over each of n_rows rows of width dim. Host
// pointers: the function copies to the device and back (a convenience for tests; the
// backend proper keeps activations on the device). Returns an empty string on success,
// else the CUDA error.
std::string rmsnorm_host(const float* x, int64_t n_rows, int64_t dim, const float* weight, float eps, float* y);

}  // namespace infilld::kernels::cuda
