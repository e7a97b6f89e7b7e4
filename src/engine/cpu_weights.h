// The weights as the CPU backend computes with them. On a CPU whose matmul is our AVX2
// kernel (AVX2 without AVX-512, or INFILLD_CPU_ISA=avx2), every BF16 matrix is repacked once,
// when the model is placed on the CPU, into the panels that kernel reads
// (kernels/cpu/packed_bf16.h), and the mapped pages of the stored matrix leave resident
// memory (an untied embedding, read only by rows, stays as stored); elsewhere they are the
// model's own weights as bound (or quantized) at load.
//
// The Model keeps its weights as stored, so the same model can still be placed on a GPU or
// run by Model::forward.
#pragma once

#include <cstddef>
#include <vector>

#include "engine/models/transformer.h"

namespace infilld::engine {

class CpuWeights {
 public:
  // `tied`: the LM head is the embedding (packed once, shared).
  CpuWeights(const TransformerWeights& stored, bool tied);
  CpuWeights(const CpuWeights&) = delete;
  CpuWeights& operator=(const CpuWeights&) = delete;

  const TransformerWeights& weights() const { return weights_; }
  bool packed() const { return !storage_.empty(); }

 private:
  TransformerWeights weights_;
  std::vector<std::vector<std::byte>> storage_;  // the packed matrices weights_ points into
};

}  // namespace infilld::engine
