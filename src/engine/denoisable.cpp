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
  if (!model.has_cache(call.cache)) return error("this model has no ", cache_name(call.cache));
  if (call.tokens.empty()) return error("forward: no tokens");
  const auto n = static_cast<int64_t>(call.tokens.size());
  if (call.cache == ForwardCall::Cache::Kv) {
    if (call.kv == nullptr) return error("forward: a K/V cache call without its cache");
    if (call.r0 < 0 || call.r1 > n || call.r1 <= call.r0)
      return error("forward: rows [", call.r0, ", ", call.r1, ") outside [0, ", n, ")");
  }
  for (size_t i = 1; i < call.head_rows.size(); ++i)
    if (call.head_rows[i] <= call.head_rows[i - 1]) return error("forward: LM head rows not ascending");
  if (!call.head_rows.empty() && (call.head_rows.front() < 0 || call.head_rows.back() >= n))
    return error("forward: LM head row outside [0, ", n, ")");
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
