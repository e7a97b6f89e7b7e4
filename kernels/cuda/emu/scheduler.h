// The emulator's grid runner (scheduler.cpp); launch() in device_emu.cpp calls it, or
// records the launch while a graph is being captured.
#pragma once

#include <cstddef>
#include <functional>

#include "kernels/cuda/emu/emu.h"

namespace infilld::cuda_emu {

// Runs `body` for every thread of the grid, block after block; aborts on a bad launch
// configuration or a deadlock (with a message saying which).
void run_grid(dim3 grid, dim3 block, size_t shared_bytes, const std::function<void()>& body);

}  // namespace infilld::cuda_emu
