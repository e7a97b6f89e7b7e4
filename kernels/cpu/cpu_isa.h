// Which x86-64 instruction sets the CPU kernels may use: what the CPU has, capped by the
// environment variable INFILLD_CPU_ISA (avx2 | avx512 | amx), so that a machine with more
// runs, tests and benchmarks the paths of a machine with less (most users' laptops have
// AVX2 and FMA but no AVX-512). The cap applies to oneDNN too (onednn.cpp). Read once.
#pragma once

#include <string_view>

namespace infilld::kernels {

enum class CpuIsa {
  Baseline,  // x86-64 without AVX2 + FMA: portable code only
  Avx2,      // AVX2 + FMA
  Avx512,    // AVX-512 F/BW (with BF16 dot products where the CPU has them)
  Amx,       // AMX tiles (oneDNN)
};

// The ISA in force: the CPU's, capped by INFILLD_CPU_ISA.
CpuIsa cpu_isa();
// The CPU's own, without the cap.
CpuIsa cpu_isa_detected();
std::string_view cpu_isa_name(CpuIsa isa);

}  // namespace infilld::kernels
