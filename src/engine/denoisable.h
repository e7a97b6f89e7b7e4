// What the decode loop needs of a model: forwards, through the caches a model has, with the
// LM head only on the rows the loop scores; and, on a device that can, the scoring too.
// The CPU engine's Model is one (ModelDenoisable, model.h), the CUDA backend another
// (engine/cuda); tests script their own.
//
// Which thread may call what: the engine worker thread that owns the model.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "common/status.h"
#include "engine/denoise/decode_options.h"
#include "engine/logits.h"
#include "engine/models/transformer.h"
#include "kernels/cpu/reveal.h"

namespace infilld::engine {

// One sequence's forward, as the loop asks for it.
struct ForwardCall {
  enum class Cache {
    None,     // every row of `tokens` is computed
    Kv,       // rows [r0, r1) against `kv`: the approximate prefix and dual caches of fully
              // bidirectional models; the full range [0, T) (re)fills it
    Context,  // through the model's exact context cache (causal and block-causal models): the
              // rows from the first one the cache does not hold are computed
  };
  ForwardCall() = default;
  explicit ForwardCall(std::span<const int32_t> t, Cache c = Cache::None) : tokens(t), cache(c) {}
  // Rows [r0, r1) against the request's K/V cache `kv`.
  static ForwardCall rows(std::span<const int32_t> t, int64_t r0, int64_t r1, KvCache* kv) {
    ForwardCall call(t, Cache::Kv);
    call.r0 = r0;
    call.r1 = r1;
    call.kv = kv;
    return call;
  }

  std::span<const int32_t> tokens;
  Cache cache = Cache::None;
  int64_t r0 = 0, r1 = 0;  // Kv only
  KvCache* kv = nullptr;   // Kv only; each request owns its own
  std::optional<AttentionMask> mask;  // nullopt: the model's own (Context: block-causal with its context)
  std::span<const int64_t> head_rows;  // the rows given logits, ascending; empty: every computed row
};

// The caches a model with its own mask `own` has: the approximate K/V cache for fully
// bidirectional models, the exact context cache for any (checked against each call's mask).
inline bool has_cache_for(MaskKind own, ForwardCall::Cache cache) {
  return cache != ForwardCall::Cache::Kv || own == MaskKind::Full;
}

// One step of device-side scoring (Denoisable::forward_reveal).
struct RevealStep {
  std::span<const int64_t> positions;  // the masked positions scored (canvas indices), ascending
  bool shifted = false;                // the row of position p - 1 predicts position p
  Policy policy = Policy::Confidence;  // not Random (its scores are the host's generator's)
  int32_t excluded[2] = {-1, -1};      // ids never chosen
  int64_t n_choosable = 0;             // 0: every logit
  kernels::RevealChoice choice;        // which of them are revealed (engine/denoise/schedule.h)
};

// A position a device step revealed, best score first.
struct Revealed {
  int64_t position = 0;
  int32_t token = 0;
};

class Denoisable {
 public:
  virtual ~Denoisable() = default;
  virtual int64_t n_vocab() const = 0;
  virtual bool has_cache(ForwardCall::Cache cache) const { return cache == ForwardCall::Cache::None; }
  // How many context-cache calls one forward() may stack (each its own exact cache); 1:
  // they run one by one through the model's one cache, so their requests take turns.
  virtual int64_t context_slots() const { return 1; }

  // Several calls in one pass where the model can stack them (weights streamed once for
  // all); out[i] receives call i's logits. The calls are checked here, once for every model.
  Status forward(std::span<const ForwardCall> calls, std::span<Logits* const> out);
  Status forward(const ForwardCall& call, Logits& out) {
    Logits* o = &out;
    return forward(std::span<const ForwardCall>(&call, 1), std::span<Logits* const>(&o, 1));
  }
  // Every row of `tokens`, no cache.
  Status forward(std::span<const int32_t> tokens, Logits& out) { return forward(ForwardCall(tokens), out); }

  // Scoring on the model's device (the CUDA backend), for the requests it can take:
  // forward_reveal() runs the forward of `call` with the LM head only on the rows that
  // predict step.positions, scores them there, lets the step's rule pick the revealed ones
  // there, and returns only those.
  virtual bool reveals_on_device(const DecodeOptions& options) const { return false; }
  Status forward_reveal(const ForwardCall& call, const RevealStep& step, std::vector<Revealed>& revealed);

 protected:
  // The checked calls.
  virtual Status run(std::span<const ForwardCall> calls, std::span<Logits* const> out) = 0;
  virtual Status run_reveal(const ForwardCall& call, const RevealStep& step, std::vector<Revealed>& revealed) {
    return error("this model scores on the host");
  }
};

}  // namespace infilld::engine
