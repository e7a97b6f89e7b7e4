#include "common/fault_guard.h"

#include <signal.h>
#include <sys/mman.h>
#include <unistd.h>

#include <atomic>
#include <cstdint>
#include <mutex>

namespace infilld {

namespace {

constexpr int kSlots = 256;

// Read by the signal handler: plain atomics, no locks.
struct Slot {
  std::atomic<uintptr_t> begin{0};
  std::atomic<uintptr_t> end{0};  // 0: free
  std::atomic<bool> faulted{false};
};
Slot g_slots[kSlots];
std::mutex g_claim;  // serialises registration (never taken by the handler)
uintptr_t g_page = 4096;
struct sigaction g_previous {};

void on_sigbus(int sig, siginfo_t* info, void* context) {
  const auto addr = reinterpret_cast<uintptr_t>(info->si_addr);
  for (Slot& s : g_slots) {
    const uintptr_t end = s.end.load(std::memory_order_acquire);
    const uintptr_t begin = s.begin.load(std::memory_order_acquire);
    if (end == 0 || addr < begin || addr >= end) continue;
    // Zero pages from the faulting one to the mapping's end: the read is retried and
    // succeeds; the reader sees the mark afterwards. mmap is a plain system call here.
    const uintptr_t page = addr & ~(g_page - 1);
    ::mmap(reinterpret_cast<void*>(page), end - page, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
    s.faulted.store(true, std::memory_order_release);
    return;
  }
  // Not ours: what was there before.
  if (g_previous.sa_flags & SA_SIGINFO) {
    if (g_previous.sa_sigaction != nullptr) return g_previous.sa_sigaction(sig, info, context);
  } else if (g_previous.sa_handler != SIG_IGN && g_previous.sa_handler != SIG_DFL && g_previous.sa_handler != nullptr) {
    return g_previous.sa_handler(sig);
  }
  ::signal(SIGBUS, SIG_DFL);  // the fault repeats on return and ends the process as before
}

}  // namespace

void install_fault_guard() {
  static std::once_flag once;
  std::call_once(once, [] {
    g_page = static_cast<uintptr_t>(::sysconf(_SC_PAGESIZE));
    struct sigaction action {};
    action.sa_sigaction = on_sigbus;
    action.sa_flags = SA_SIGINFO | SA_NODEFER;
    sigemptyset(&action.sa_mask);
    ::sigaction(SIGBUS, &action, &g_previous);
  });
}

int guard_mapping(const void* begin, size_t size) {
  if (begin == nullptr || size == 0) return -1;
  install_fault_guard();
  std::lock_guard<std::mutex> lock(g_claim);
  for (int i = 0; i < kSlots; ++i) {
    Slot& s = g_slots[i];
    if (s.end.load(std::memory_order_relaxed) != 0) continue;
    const auto b = reinterpret_cast<uintptr_t>(begin);
    s.faulted.store(false, std::memory_order_relaxed);
    s.begin.store(b, std::memory_order_release);
    s.end.store(b + size, std::memory_order_release);
    return i;
  }
  return -1;
}

void unguard_mapping(int slot) {
  if (slot < 0 || slot >= kSlots) return;
  std::lock_guard<std::mutex> lock(g_claim);
  g_slots[slot].end.store(0, std::memory_order_release);
  g_slots[slot].begin.store(0, std::memory_order_release);
}

bool mapping_faulted(int slot) {
  return slot >= 0 && slot < kSlots && g_slots[slot].faulted.load(std::memory_order_acquire);
}

}  // namespace infilld
