#include "engine/denoise/canvas_spec.h"

#include <algorithm>

namespace infilld::engine {

CanvasSpec canvas_spec(const ModelConfig& c, int64_t n_tokens) {
  CanvasSpec s;
  s.n_choosable = n_tokens > 0 && n_tokens < c.n_vocab ? n_tokens : 0;
  s.mask = c.tokens.mask;
  s.bos = c.tokens.bos;
  s.eos = c.tokens.eos;
  s.expand = c.tokens.expand;
  for (int32_t id : {c.tokens.eos, c.tokens.pad})
    if (id >= 0 && std::find(s.stop.begin(), s.stop.end(), id) == s.stop.end()) s.stop.push_back(id);
  s.shifted = c.shifted_logits;
  if (c.arch == Architecture::InfilldFim)
    s.fim = CanvasSpec::Fim{c.tokens.fim_suffix, c.tokens.fim_prefix, c.tokens.fim_middle, c.tokens.eom, c.block_length};
  return s;
}

int64_t canvas_overhead(const CanvasSpec& spec, const DecodeOptions& o) {
  const int64_t n = std::max<int32_t>(o.max_tokens, 1);
  if (spec.fim) {
    const int64_t L = std::max<int64_t>(spec.fim->block_length, 1);
    return 3 + (n + L - 1) / L * L;
  }
  const int64_t span = spec.expand >= 0 ? (o.max_length > 0 ? o.max_length : 2 * n) : n;
  return span + (spec.bos >= 0 ? 1 : 0) + (spec.eos >= 0 ? 1 : 0);
}

}  // namespace infilld::engine
