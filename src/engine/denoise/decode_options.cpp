#include "engine/denoise/decode_options.h"

#include <nlohmann/json.hpp>

namespace infilld::engine {

DecodeOptions family_defaults(const ModelConfig& config, const nlohmann::json& generation) {
  DecodeOptions o;
  if (config.arch == Architecture::InfilldFim) {
    // Ours: blocks of the model's own length (the denoiser takes it from the model), revealed
    // by confidence with an even split; steps 0 is one step per token unless asked.
    o.policy = Policy::Confidence;
    o.schedule = Schedule::Even;
    return o;
  }
  if (config.arch == Architecture::LLaDA) {
    o.policy = Policy::Confidence;
    o.schedule = Schedule::Even;
    o.block_length = 32;
  } else {
    o.policy = Policy::Entropy;
    o.schedule = Schedule::Timestep;
    o.block_length = 0;
    // Dream's generation_config may name its algorithm: "origin", "maskgit_plus",
    // "topk_margin" or "entropy". "origin" (random order) is the reference's default, but
    // for completion we keep a confidence-based order unless the config asks otherwise.
    if (auto alg = generation.find("alg"); alg != generation.end() && alg->is_string()) {
      const std::string a = alg->get<std::string>();
      if (a == "maskgit_plus") o.policy = Policy::Confidence;
      if (a == "topk_margin") o.policy = Policy::Margin;
      if (a == "entropy") o.policy = Policy::Entropy;
    }
    if (auto eps = generation.find("eps"); eps != generation.end() && eps->is_number()) o.eps = eps->get<double>();
  }
  return o;
}

Expected<Policy> parse_policy(std::string_view name) {
  if (name == "confidence" || name == "maskgit_plus" || name == "low_confidence") return Policy::Confidence;
  if (name == "margin" || name == "topk_margin") return Policy::Margin;
  if (name == "entropy") return Policy::Entropy;
  if (name == "random" || name == "origin") return Policy::Random;
  return error("unknown policy \"", name, "\" (expected confidence, margin, entropy or random)");
}

Expected<Schedule> parse_schedule(std::string_view name) {
  if (name == "timestep") return Schedule::Timestep;
  if (name == "even") return Schedule::Even;
  return error("unknown schedule \"", name, "\" (expected timestep or even)");
}

Expected<CacheMode> parse_cache_mode(std::string_view name) {
  if (name == "none") return CacheMode::None;
  if (name == "prefix") return CacheMode::Prefix;
  if (name == "dual") return CacheMode::Dual;
  return error("unknown cache mode \"", name, "\" (expected none, prefix or dual)");
}

std::string_view policy_name(Policy p) {
  switch (p) {
    case Policy::Confidence: return "confidence";
    case Policy::Margin: return "margin";
    case Policy::Entropy: return "entropy";
    case Policy::Random: return "random";
  }
  return "?";
}

std::string_view schedule_name(Schedule s) { return s == Schedule::Timestep ? "timestep" : "even"; }

std::string_view cache_mode_name(CacheMode c) {
  switch (c) {
    case CacheMode::None: return "none";
    case CacheMode::Prefix: return "prefix";
    case CacheMode::Dual: return "dual";
  }
  return "?";
}

Status validate(const DecodeOptions& o) {
  if (o.max_tokens < 1 || o.max_tokens > 4096) return error("max tokens must be in [1, 4096], found ", o.max_tokens);
  if (o.max_length != 0 && (o.max_length < o.max_tokens || o.max_length > 4096))
    return error("max length must be in [max tokens, 4096] (0: twice max tokens), found ", o.max_length);
  if (o.steps < 0) return error("steps must be >= 0 (0: one per token), found ", o.steps);
  if (o.block_length < 0) return error("block length must be >= 0 (0: one block), found ", o.block_length);
  if (o.threshold && o.factor) return error("threshold and factor decoding exclude each other: choose one");
  if (o.threshold && !(*o.threshold > 0.0 && *o.threshold <= 1.0))
    return error("threshold must be in (0, 1], found ", *o.threshold);
  if (o.factor && !(*o.factor > 0.0)) return error("factor must be > 0, found ", *o.factor);
  if (!(o.eps > 0.0 && o.eps < 1.0)) return error("eps must be in (0, 1), found ", o.eps);
  if (!(o.temperature >= 0.0)) return error("temperature must be >= 0, found ", o.temperature);
  if (o.top_k < 0) return error("top-k must be >= 0 (0: off), found ", o.top_k);
  if (!(o.top_p > 0.0 && o.top_p <= 1.0)) return error("top-p must be in (0, 1], found ", o.top_p);
  return Status::ok();
}

}  // namespace infilld::engine
