#include "engine/cpu_weights.h"

#include "common/mapped_file.h"
#include "kernels/cpu/cpu_isa.h"
#include "kernels/cpu/packed_bf16.h"

namespace infilld::engine {

CpuWeights::CpuWeights(const TransformerWeights& stored, bool tied) : weights_(stored) {
  if (kernels::cpu_isa() != kernels::CpuIsa::Avx2) return;  // AVX-512 and AMX: oneDNN reads rows
  auto pack = [this, tied](kernels::Weight& w) {
    // An untied embedding is only read by rows (the lookup): it stays as stored.
    if (!kernels::can_pack_bf16(w) || (&w == &weights_.embed && !tied)) return;
    const kernels::Weight as_stored = w;
    w = kernels::pack_bf16(as_stored, storage_.emplace_back());
    release_pages(as_stored.data, static_cast<size_t>(as_stored.bytes()));
  };
  transform_matrices(weights_, tied, pack);
}

}  // namespace infilld::engine
