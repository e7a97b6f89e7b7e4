// The tests' own models: logits scripted for whole canvases. The engine's forward calls are
// answered from them: every row computed, the rows the call asks for given back, so a
// script sees each canvas the loop lays out and never has to know about caches or head rows.
#pragma once

#include <span>
#include <vector>

#include "engine/denoisable.h"

namespace test {

class ScriptedDenoisable : public infilld::engine::Denoisable {
 public:
  using Cache = infilld::engine::ForwardCall::Cache;

  // The logits [T, n_vocab] of every row of `tokens`.
  virtual infilld::Status canvas_logits(std::span<const int32_t> tokens, std::vector<float>& logits) = 0;
  // Several canvases in one pass: a script that counts batches overrides this.
  virtual infilld::Status canvas_logits_batch(std::span<const std::span<const int32_t>> canvases,
                                              std::span<std::vector<float>*> logits) {
    for (size_t i = 0; i < canvases.size(); ++i) INFILLD_TRY(canvas_logits(canvases[i], *logits[i]));
    return infilld::Status::ok();
  }
  // Context-cache calls (the infilld FIM layout) are taken when this is set; the rows a cache
  // would have held are reported by context_rows() (they count as not computed).
  bool context_cache = false;
  virtual int64_t context_rows(const infilld::engine::ForwardCall&) { return 0; }

  bool has_cache(Cache cache) const override { return cache == Cache::None || (cache == Cache::Context && context_cache); }

 protected:
  infilld::Status run(std::span<const infilld::engine::ForwardCall> calls,
                      std::span<infilld::engine::Logits* const> out) override {
    std::vector<std::span<const int32_t>> canvases;
    std::vector<std::vector<float>> all(calls.size());
    std::vector<std::vector<float>*> outs;
    for (size_t i = 0; i < calls.size(); ++i) {
      canvases.push_back(calls[i].tokens);
      outs.push_back(&all[i]);
    }
    INFILLD_TRY(canvas_logits_batch(canvases, outs));
    for (size_t i = 0; i < calls.size(); ++i) {
      const auto& call = calls[i];
      const auto T = static_cast<int64_t>(call.tokens.size());
      int64_t first = 0, last = T;
      if (call.cache == Cache::Kv) first = call.r0, last = call.r1;
      if (call.cache == Cache::Context) first = context_rows(call);
      if (call.head_rows.empty()) {
        out[i]->hold(first, last, n_vocab());
      } else {
        out[i]->hold(call.head_rows, n_vocab());
      }
      out[i]->computed = last - first;
      for (int64_t j = 0; j < out[i]->n_rows(); ++j) {
        const int64_t r = out[i]->rows[static_cast<size_t>(j)];
        std::copy_n(all[i].begin() + r * n_vocab(), n_vocab(), out[i]->values.begin() + j * n_vocab());
      }
    }
    return infilld::Status::ok();
  }
};

}  // namespace test
