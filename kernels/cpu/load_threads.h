// Work done to weights while a model loads (quantizing, repacking) runs on threads of its
// own, not on the thread pool: a model loads on any thread, and the pool belongs to the
// engine worker (a language server loads the next model while the current one runs).
#pragma once

#include <cstdint>
#include <functional>

namespace infilld::kernels {

// Runs fn(r0, r1) over contiguous parts of [0, n) on about one thread per MiB of `bytes`
// (the weight's size), up to the cores; returns when all are done.
void on_load_threads(int64_t n, int64_t bytes, const std::function<void(int64_t, int64_t)>& fn);

}  // namespace infilld::kernels
