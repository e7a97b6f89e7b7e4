#include "kernels/cpu/cpu_isa.h"

#include <cpuid.h>

#include <cstdio>
#include <cstdlib>
#include <string>

namespace infilld::kernels {

namespace {

// AMX tiles with BF16: CPUID leaf 7, EDX bits 24 (AMX-TILE) and 22 (AMX-BF16). Read directly:
// not every compiler's __builtin_cpu_supports knows the AMX names (clang 14 does not).
bool cpu_has_amx_bf16() {
  unsigned a = 0, b = 0, c = 0, d = 0;
  if (__get_cpuid_count(7, 0, &a, &b, &c, &d) == 0) return false;
  return (d & (1u << 24)) != 0 && (d & (1u << 22)) != 0;
}

}  // namespace

CpuIsa cpu_isa_detected() {
  static const CpuIsa isa = [] {
    __builtin_cpu_init();
    if (!__builtin_cpu_supports("avx2") || !__builtin_cpu_supports("fma")) return CpuIsa::Baseline;
    if (!__builtin_cpu_supports("avx512f") || !__builtin_cpu_supports("avx512bw")) return CpuIsa::Avx2;
    if (cpu_has_amx_bf16()) return CpuIsa::Amx;
    return CpuIsa::Avx512;
  }();
  return isa;
}

CpuIsa cpu_isa() {
  static const CpuIsa isa = [] {
    const CpuIsa detected = cpu_isa_detected();
    const char* env = std::getenv("INFILLD_CPU_ISA");
    if (env == nullptr || *env == '\0') return detected;
    const std::string want(env);
    CpuIsa cap = detected;
    if (want == "avx2") {
      cap = CpuIsa::Avx2;
    } else if (want == "avx512") {
      cap = CpuIsa::Avx512;
    } else if (want == "amx") {
      cap = CpuIsa::Amx;
    } else {
      std::fprintf(stderr, "infilld: warning: INFILLD_CPU_ISA=%s is not avx2, avx512 or amx: ignored\n", env);
    }
    return cap < detected ? cap : detected;
  }();
  return isa;
}

std::string_view cpu_isa_name(CpuIsa isa) {
  switch (isa) {
    case CpuIsa::Baseline: return "x86-64";
    case CpuIsa::Avx2: return "avx2";
    case CpuIsa::Avx512: return "avx512";
    case CpuIsa::Amx: return "amx";
  }
  return "?";
}

}  // namespace infilld::kernels
