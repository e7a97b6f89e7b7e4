#include "kernels/cpu/cpu_isa.h"

#include <cstdio>
#include <cstdlib>
#include <string>

namespace infilld::kernels {

CpuIsa cpu_isa_detected() {
  static const CpuIsa isa = [] {
    __builtin_cpu_init();
    if (!__builtin_cpu_supports("avx2") || !__builtin_cpu_supports("fma")) return CpuIsa::Baseline;
    if (!__builtin_cpu_supports("avx512f") || !__builtin_cpu_supports("avx512bw")) return CpuIsa::Avx2;
    if (__builtin_cpu_supports("amx-tile") && __builtin_cpu_supports("amx-bf16")) return CpuIsa::Amx;
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
