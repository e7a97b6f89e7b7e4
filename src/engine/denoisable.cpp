#include "engine/denoisable.h"

namespace infilld::engine {

namespace {

std::string_view cache_name(ForwardCall::Cache c) {
  switch (c) {
    case ForwardCall::Cache::None: return "no cache";
    case ForwardCall::Cache::Kv: return "a K/V cache (cache mode prefix or dual)";
    case ForwardCall::Cache::Context: return "an exact context cache";
  }
  return "?";
}

Status check_call(const Denoisable& model, const ForwardCall& call) {
  // The rows, the tokens and the head rows are the forward's to check (check_sequence in
  // models/transformer.h, on every backend); here what only a call has.
  if (!model.has_cache(call.cache)) return error("this model has no ", cache_name(call.cache));
  if (call.cache == ForwardCall::Cache::Kv && call.kv == nullptr)
    return error("forward: a K/V cache call without its cache");
  return Status::ok();
}

}  // namespace

Status Denoisable::forward(std::span<const ForwardCall> calls, std::span<Logits* const> out) {
  if (calls.size() != out.size()) return error("forward: ", calls.size(), " calls but ", out.size(), " outputs");
  for (const ForwardCall& call : calls) INFILLD_TRY(check_call(*this, call));
  return run(calls, out);
}

Status Denoisable::forward_reveal(const ForwardCall& call, const RevealStep& step, std::vector<Revealed>& revealed) {
  INFILLD_TRY(check_call(*this, call));
  revealed.clear();
  if (step.positions.empty()) return Status::ok();
  return run_reveal(call, step, revealed);
}

}  // namespace infilld::engine
