// The CPU backend's own layout of the weights (engine/cpu_weights.h): on AVX2 machines BF16
// matrices are repacked for the packed kernel, and the forward through the CPU backend
// gives the logits of the model's forward on its weights as stored.
#include <doctest/doctest.h>

#include <cmath>

#include "engine/cpu_weights.h"
#include "engine/model.h"
#include "kernels/cpu/cpu_isa.h"
#include "tiny_model.h"

using namespace infilld;
using namespace infilld::engine;

TEST_CASE("cpu weights: packed on AVX2, and the CPU backend's forward gives the stored weights' logits") {
  for (bool tied : {false, true}) {
    CAPTURE(tied);
    // 50 rows in the embedding and LM head: the last panel of 16 is padded.
    auto model = Model::load(test::write_tiny_dream(tied ? "cpu-weights-tied" : "cpu-weights", 3,
                                                    {{"vocab_size", 50}, {"tie_word_embeddings", tied}}, true));
    REQUIRE_MESSAGE(model.is_ok(), (model.is_ok() ? "" : model.message()));
    REQUIRE(model->weights().embed.dtype == DType::BF16);

    const CpuWeights cpu(model->weights(), tied);
    const bool packs = kernels::cpu_isa() == kernels::CpuIsa::Avx2;
    CHECK(cpu.packed() == packs);
    CHECK(cpu.weights().layers.at(0).w_gate.packed == packs);
    CHECK(cpu.weights().lm_head.packed == packs);
    CHECK(cpu.weights().embed.packed == (packs && tied));  // an untied embedding is read by rows only
    CHECK((cpu.weights().lm_head.data == cpu.weights().embed.data) == tied);
    CHECK_FALSE(model->weights().embed.packed);  // the model keeps its weights as stored
    if (!packs) MESSAGE("not packed: this CPU's matmul is not the AVX2 kernel (run with INFILLD_CPU_ISA=avx2)");

    const std::vector<int32_t> tokens = {0, 5, 9, 47, 47, 47, 47, 12, 30, 1, 49, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11};
    Logits stored, placed;
    REQUIRE(model->forward(tokens, model->own_mask(), stored).is_ok());
    ModelDenoisable denoisable(*model);
    REQUIRE(denoisable.forward(ForwardCall(tokens), placed).is_ok());
    REQUIRE(placed.values.size() == stored.values.size());
    double max_ref = 0, max_err = 0;
    for (size_t i = 0; i < stored.values.size(); ++i) {
      max_ref = std::max(max_ref, double(std::fabs(stored.values[i])));
      max_err = std::max(max_err, double(std::fabs(placed.values[i] - stored.values[i])));
    }
    CHECK(max_ref > 0.1);
    CHECK(max_err / max_ref < 1e-5);  // the same products, summed in another order
  }
}
