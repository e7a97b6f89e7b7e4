// How a request wants its middle decoded: the policy that scores masked positions, the
// schedule that decides how many to reveal per step, blocks, sampling and limits.
// Defaults follow each family's reference implementation (family_defaults()).
#pragma once

#include <chrono>
#include <nlohmann/json.hpp>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "common/status.h"
#include "engine/models/model_config.h"

namespace infilld::engine {

// Scores of a masked position given its distribution p and chosen token x0.
enum class Policy {
  Confidence,  // p(x0)                          (Dream maskgit_plus, LLaDA low_confidence)
  Margin,      // p(top1) - p(top2)              (Dream topk_margin)
  Entropy,     // sum p log p, the negative entropy (Dream entropy)
  Random,      // a uniform random score         (Dream origin, LLaDA random)
};

enum class Schedule {
  Timestep,  // Dream: ts = linspace(1, eps, steps + 1); reveal floor(n (1 - s/t)), all at the last step
  Even,      // LLaDA: the block's masks split evenly over its steps, remainder to the first
};

enum class CacheMode { None, Prefix, Dual };

struct DecodeOptions {
  int32_t max_tokens = 32;  // the canvas length: masks laid between prefix and suffix
  // The longest the span may grow with DreamOn's expand token; 0: twice max_tokens.
  int32_t max_length = 0;
  int32_t steps = 0;        // 0: one step per token (max_tokens)
  Policy policy = Policy::Confidence;
  Schedule schedule = Schedule::Timestep;
  int32_t block_length = 0;  // 0: one block over the whole span
  std::optional<double> threshold;  // Fast-dLLM: reveal every score >= threshold (at least one)
  std::optional<double> factor;     // Fast-dLLM factor decoding
  double eps = 1e-3;                // Dream's final timestep
  double temperature = 0.0;         // 0: argmax, deterministic
  int32_t top_k = 0;                // 0: off
  double top_p = 1.0;               // 1: off
  uint64_t seed = 0;
  CacheMode cache = CacheMode::None;
  // Wall-clock limit; when it passes, the remaining masks are filled greedily.
  std::optional<std::chrono::steady_clock::time_point> deadline;
};

// Each family decodes as its reference implementation does unless the request says
// otherwise: Dream family (and Open-dCoder) timestep schedule over one block with the
// entropy policy, or the generation_config's "alg"; LLaDA blocks of 32 with an even split
// and the confidence policy.
DecodeOptions family_defaults(const ModelConfig& config, const nlohmann::json& generation_config);

Expected<Policy> parse_policy(std::string_view name);
Expected<Schedule> parse_schedule(std::string_view name);
Expected<CacheMode> parse_cache_mode(std::string_view name);
std::string_view policy_name(Policy p);
std::string_view schedule_name(Schedule s);
std::string_view cache_mode_name(CacheMode c);

// Checks ranges and combinations; the message names the option.
Status validate(const DecodeOptions& o);

}  // namespace infilld::engine
