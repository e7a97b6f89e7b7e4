// The CUDA emulator's thread scheduler (emu.h says what is emulated): each CUDA thread of a
// block is a ucontext fiber; a fiber runs until it waits at a barrier or finishes, and a
// barrier opens once every live thread it concerns waits at it.
#include <ucontext.h>

#include <cstdio>
#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "kernels/cuda/emu/emu.h"
#include "kernels/cuda/emu/scheduler.h"

#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/common_interface_defs.h>
#define INFILLD_EMU_ASAN 1
#endif

namespace infilld::cuda_emu {

thread_local ThreadState* current = nullptr;

namespace {

constexpr size_t kStackBytes = 256 * 1024;
constexpr unsigned kMaxThreads = 1024;
constexpr size_t kMaxSharedBytes = 227 * 1024;  // Hopper's opt-in limit per block

enum class Wait { Running, Block, Warp, Done };

struct Fiber {
  ucontext_t context;
  char* stack = nullptr;
  ThreadState state;
  Wait wait = Wait::Running;
  unsigned linear = 0;  // threadIdx linearised, x fastest
  void* fake_stack = nullptr;
};

struct BlockRun {
  ucontext_t main;
  std::vector<Fiber> fibers;
  std::vector<uint64_t> slots;  // the shuffle exchange: [n_warps * 32]
  const std::function<void()>* body = nullptr;
  Fiber* running = nullptr;
  const void* main_stack_bottom = nullptr;
  size_t main_stack_size = 0;
};

thread_local BlockRun* g_run = nullptr;
thread_local std::vector<std::unique_ptr<char[]>> g_stacks;
// The block's dynamic shared memory, allocated at its exact size so that AddressSanitizer
// catches a kernel reading or writing past it.
thread_local std::unique_ptr<unsigned char[]> g_dynamic_shared;

[[noreturn]] void die(const std::string& what) {
  std::fprintf(stderr, "cuda emulator: %s\n", what.c_str());
  std::abort();
}

// Fiber -> scheduler, and back when the scheduler resumes this fiber.
void switch_to_main(Fiber* f, bool exiting) {
#ifdef INFILLD_EMU_ASAN
  __sanitizer_start_switch_fiber(exiting ? nullptr : &f->fake_stack, g_run->main_stack_bottom, g_run->main_stack_size);
#else
  (void)exiting;
#endif
  swapcontext(&f->context, &g_run->main);
#ifdef INFILLD_EMU_ASAN
  __sanitizer_finish_switch_fiber(f->fake_stack, &g_run->main_stack_bottom, &g_run->main_stack_size);
#endif
}

void fiber_entry() {
  Fiber* f = g_run->running;
#ifdef INFILLD_EMU_ASAN
  __sanitizer_finish_switch_fiber(nullptr, &g_run->main_stack_bottom, &g_run->main_stack_size);
#endif
  (*g_run->body)();
  f->wait = Wait::Done;
  switch_to_main(f, /*exiting=*/true);
  die("a finished fiber was resumed");
}

void resume(Fiber* f) {
  g_run->running = f;
  current = &f->state;
#ifdef INFILLD_EMU_ASAN
  void* fake = nullptr;
  __sanitizer_start_switch_fiber(&fake, f->stack, kStackBytes);
#endif
  swapcontext(&g_run->main, &f->context);
#ifdef INFILLD_EMU_ASAN
  __sanitizer_finish_switch_fiber(fake, nullptr, nullptr);
#endif
  current = nullptr;
}

void yield(Wait w) {
  if (g_run == nullptr || g_run->running == nullptr) die("a barrier outside a kernel");
  Fiber* f = g_run->running;
  f->wait = w;
  switch_to_main(f, /*exiting=*/false);
}

// Opens the barriers that every live thread concerned has reached; false when none can open.
bool release(BlockRun& run, unsigned n_warps) {
  bool released = false;
  for (unsigned w = 0; w < n_warps; ++w) {
    bool all_at_warp = true, any_live = false;
    for (unsigned l = 0; l < 32; ++l) {
      const Wait s = run.fibers[w * 32 + l].wait;
      if (s == Wait::Done) continue;
      any_live = true;
      if (s != Wait::Warp) all_at_warp = false;
    }
    if (any_live && all_at_warp) {
      for (unsigned l = 0; l < 32; ++l)
        if (run.fibers[w * 32 + l].wait == Wait::Warp) run.fibers[w * 32 + l].wait = Wait::Running;
      released = true;
    }
  }
  if (released) return true;
  bool all_at_block = true, any_live = false;
  for (const Fiber& f : run.fibers) {
    if (f.wait == Wait::Done) continue;
    any_live = true;
    if (f.wait != Wait::Block) all_at_block = false;
  }
  if (any_live && all_at_block) {
    for (Fiber& f : run.fibers) f.wait = Wait::Running;
    return true;
  }
  return false;
}

std::string describe_deadlock(const BlockRun& run) {
  std::string s = "deadlock in block (" + std::to_string(run.fibers[0].state.block_idx.x) + ", " +
                  std::to_string(run.fibers[0].state.block_idx.y) + "): threads waiting at";
  int shown = 0;
  for (const Fiber& f : run.fibers) {
    if (f.wait == Wait::Done || shown >= 8) continue;
    s += " " + std::to_string(f.linear) + (f.wait == Wait::Block ? ":__syncthreads" : ":shuffle");
    ++shown;
  }
  return s + " (a barrier in divergent code?)";
}

}  // namespace

void syncthreads() { yield(Wait::Block); }

namespace {

// Every lane of the warp posts its value, then reads the one of lane source(lane).
template <class Source>
uint64_t exchange(uint64_t bits, Source source) {
  if (g_run == nullptr || g_run->running == nullptr) die("a warp shuffle outside a kernel");
  Fiber* f = g_run->running;
  const unsigned warp = f->linear / 32, lane = f->linear % 32;
  g_run->slots[warp * 32 + lane] = bits;
  yield(Wait::Warp);
  const uint64_t out = g_run->slots[warp * 32 + (source(lane) & 31u)];
  yield(Wait::Warp);
  return out;
}

}  // namespace

uint64_t shfl_xor_bits(uint64_t bits, int lane_mask) {
  return exchange(bits, [lane_mask](unsigned lane) { return lane ^ static_cast<unsigned>(lane_mask); });
}

uint64_t shfl_idx_bits(uint64_t bits, int src_lane) {
  return exchange(bits, [src_lane](unsigned) { return static_cast<unsigned>(src_lane); });
}

void* dynamic_shared() { return g_dynamic_shared.get(); }

void run_grid(dim3 grid, dim3 block, size_t shared_bytes, const std::function<void()>& body) {
  const unsigned n = block.x * block.y * block.z;
  if (n == 0 || n > kMaxThreads) die("block of " + std::to_string(n) + " threads (1..1024 allowed)");
  if (n % 32 != 0) die("block of " + std::to_string(n) + " threads: the emulator wants whole warps");
  if (grid.x == 0 || grid.y == 0 || grid.z == 0 || grid.y > 65535 || grid.z > 65535)
    die("grid (" + std::to_string(grid.x) + ", " + std::to_string(grid.y) + ", " + std::to_string(grid.z) + ")");
  if (shared_bytes > kMaxSharedBytes) die("dynamic shared memory of " + std::to_string(shared_bytes) + " bytes");
  if (g_run != nullptr) die("a kernel launched from inside a kernel");
  while (g_stacks.size() < n) g_stacks.emplace_back(new char[kStackBytes]);
  g_dynamic_shared.reset(new unsigned char[std::max<size_t>(shared_bytes, 1)]);
  std::memset(g_dynamic_shared.get(), 0xcd, shared_bytes);  // poisoned: shared memory starts undefined

  BlockRun run;
  run.body = &body;
  run.fibers.resize(n);
  run.slots.assign(static_cast<size_t>(n), 0);
  g_run = &run;
  for (unsigned bz = 0; bz < grid.z; ++bz)
    for (unsigned by = 0; by < grid.y; ++by)
      for (unsigned bx = 0; bx < grid.x; ++bx) {
        for (unsigned i = 0; i < n; ++i) {
          Fiber& f = run.fibers[i];
          f.linear = i;
          f.state.thread_idx = dim3(i % block.x, (i / block.x) % block.y, i / (block.x * block.y));
          f.state.block_idx = dim3(bx, by, bz);
          f.state.block_dim = block;
          f.state.grid_dim = grid;
          f.wait = Wait::Running;
          f.stack = g_stacks[i].get();
          getcontext(&f.context);
          f.context.uc_stack.ss_sp = f.stack;
          f.context.uc_stack.ss_size = kStackBytes;
          f.context.uc_link = nullptr;
          makecontext(&f.context, fiber_entry, 0);
        }
        for (;;) {
          for (Fiber& f : run.fibers)
            if (f.wait == Wait::Running) resume(&f);
          bool all_done = true;
          for (const Fiber& f : run.fibers) all_done = all_done && f.wait == Wait::Done;
          if (all_done) break;
          if (!release(run, n / 32)) {
            g_run = nullptr;
            die(describe_deadlock(run));
          }
        }
      }
  g_run = nullptr;
}

}  // namespace infilld::cuda_emu
