#include "serve/api.h"

#include <algorithm>
#include <array>

#include "common/json_depth.h"

namespace infilld::serve {

namespace {

using nlohmann::json;

// The request's field for each settings key it maps to, per API.
struct Mapped {
  std::string_view field, key;
};
constexpr std::array kOpenAIFields = {Mapped{"max_tokens", "maxTokens"}, Mapped{"temperature", "temperature"},
                                      Mapped{"top_p", "topP"}, Mapped{"seed", "seed"}};
constexpr std::array kLlamaFields = {Mapped{"n_predict", "maxTokens"},       Mapped{"temperature", "temperature"},
                                     Mapped{"top_k", "topK"},                Mapped{"top_p", "topP"},
                                     Mapped{"seed", "seed"},                 Mapped{"t_max_predict_ms", "deadlineMs"}};

// Settings keys a request may set by name: decoding and prompt, not the server's own
// (model, device, quantize, cache sizes, the language server's debounce and streaming).
constexpr std::array kRequestKeys = {"budget",    "prefixShare", "snippetShare", "maxTokens", "deadlineMs",
                                     "steps",     "blockLength", "maxLength",    "topK",      "seed",
                                     "alg",       "schedule",    "cache",        "threshold", "factor",
                                     "temperature", "topP",      "eps"};

// The completion length when neither the request nor the server names one (OpenAI's default).
constexpr int32_t kDefaultMaxTokens = 16;

std::string describe(const json& v) {
  if (v.is_array()) return "an array";
  if (v.is_object()) return "an object";
  std::string s = v.dump(-1, ' ', false, json::error_handler_t::replace);
  return s.size() > 60 ? s.substr(0, 57) + "..." : s;
}

// Bodies nest no deeper than this (common/json_depth.h).
constexpr int kMaxDepth = 64;

bool too_deep(std::string_view text) { return json_nests_deeper_than(text, kMaxDepth); }

Parsed fail(std::string field, std::string problem) {
  std::string message = field.empty() ? problem : field + ": " + problem;
  return {std::nullopt, {std::move(field), std::move(message)}};
}

// A string field: absent or null -> `fallback`; anything else but a string is an error.
std::optional<std::string> string_field(const json& body, std::string_view field, std::string& error) {
  auto it = body.find(field);
  if (it == body.end() || it->is_null()) return std::string();
  if (!it->is_string()) {
    error = "expected a string, found " + describe(*it);
    return std::nullopt;
  }
  return it->get<std::string>();
}

}  // namespace

Parsed parse_request(Api api, std::string_view body_text, const completion::Settings& base) {
  if (too_deep(body_text)) return fail("", "the body nests deeper than " + std::to_string(kMaxDepth) + " levels");
  json body = json::parse(body_text, nullptr, false);
  if (body.is_discarded()) return fail("", "the body is not JSON");
  if (!body.is_object()) return fail("", "expected a JSON object, found " + describe(body));

  ApiRequest r;
  r.api = api;
  r.settings = base;
  if (r.settings.max_tokens == 0) r.settings.max_tokens = kDefaultMaxTokens;
  std::string problem;

  if (auto model = string_field(body, "model", problem)) r.model = *model;
  else return fail("model", problem);

  if (api == Api::Llama) {
    auto prefix = string_field(body, "input_prefix", problem);
    if (!prefix) return fail("input_prefix", problem);
    auto prompt = string_field(body, "prompt", problem);  // llama.cpp: the text just before the cursor
    if (!prompt) return fail("prompt", problem);
    auto suffix = string_field(body, "input_suffix", problem);
    if (!suffix) return fail("input_suffix", problem);
    r.prefix = *prefix + *prompt;
    r.suffix = *suffix;
    if (auto it = body.find("input_extra"); it != body.end() && !it->is_null()) {
      if (!it->is_array()) return fail("input_extra", "expected an array of {filename, text}, found " + describe(*it));
      for (size_t i = 0; i < it->size(); ++i) {
        const json& e = (*it)[i];
        const std::string field = "input_extra[" + std::to_string(i) + "]";
        if (!e.is_object()) return fail(field, "expected {filename, text}, found " + describe(e));
        auto name = string_field(e, "filename", problem);
        if (!name) return fail(field + ".filename", problem);
        auto text = string_field(e, "text", problem);
        if (!text) return fail(field + ".text", problem);
        r.extra.push_back({*name, *text});
      }
    }
  } else {
    auto it = body.find("prompt");
    if (it == body.end() || it->is_null()) return fail("prompt", "missing");
    if (it->is_array()) {
      if (it->size() != 1 || !(*it)[0].is_string())
        return fail("prompt", "expected a string (one prompt per request), found " + describe(*it));
      r.prefix = (*it)[0].get<std::string>();
    } else if (it->is_string()) {
      r.prefix = it->get<std::string>();
    } else {
      return fail("prompt", "expected a string, found " + describe(*it));
    }
    auto suffix = string_field(body, "suffix", problem);
    if (!suffix) return fail("suffix", problem);
    r.suffix = *suffix;
    if (auto n = body.find("n"); n != body.end() && !n->is_null() && *n != 1)
      return fail("n", "only 1 completion per request, found " + describe(*n));
  }

  if (auto it = body.find("stream"); it != body.end() && !it->is_null()) {
    if (!it->is_boolean()) return fail("stream", "expected true or false, found " + describe(*it));
    r.stream = it->get<bool>();
  }
  if (auto it = body.find("stop"); it != body.end() && !it->is_null()) {
    if (it->is_string()) {
      r.stop.push_back(it->get<std::string>());
    } else if (it->is_array() && it->size() <= 16) {
      for (const json& s : *it) {
        if (!s.is_string()) return fail("stop", "expected strings, found " + describe(s));
        r.stop.push_back(s.get<std::string>());
      }
    } else {
      return fail("stop", "expected a string or an array of at most 16 strings, found " + describe(*it));
    }
    for (const std::string& s : r.stop)
      if (s.empty()) return fail("stop", "expected non-empty strings, found \"\"");
  }

  // The APIs' own names for settings keys, then the keys themselves.
  auto apply = [&](std::string_view key, const json& value) -> bool {
    problem = completion::apply_setting(r.settings, key, value);
    return problem.empty();
  };
  const auto& fields = api == Api::Llama ? std::vector<Mapped>(kLlamaFields.begin(), kLlamaFields.end())
                                         : std::vector<Mapped>(kOpenAIFields.begin(), kOpenAIFields.end());
  for (const Mapped& m : fields) {
    auto it = body.find(m.field);
    if (it == body.end() || it->is_null()) continue;
    if (m.field == "n_predict" && *it == -1) continue;  // llama.cpp: no limit of its own
    // The settings' 0 ("the shape's length") is no length an API client means.
    const bool zero_tokens = m.key == "maxTokens" && it->is_number() && it->get<double>() == 0;
    if (zero_tokens || !apply(m.key, *it)) {
      if (m.key == "maxTokens") problem = "expected an integer 1..1024, found " + describe(*it);
      return fail(std::string(m.field), problem);
    }
  }
  for (std::string_view key : kRequestKeys) {
    auto it = body.find(key);
    if (it == body.end()) continue;
    if (!apply(key, *it)) return fail(std::string(key), problem);
  }
  if (r.settings.max_tokens == 0) r.settings.max_tokens = kDefaultMaxTokens;  // null restored the server's 0
  return {std::move(r), {}};
}

std::string cut_at_stop(std::string_view text, const std::vector<std::string>& stop, bool& stopped) {
  size_t end = text.size();
  for (const std::string& s : stop) end = std::min(end, text.find(s));
  if (end < text.size()) stopped = true;
  return std::string(text.substr(0, end));
}

size_t streamable_length(std::string_view text, const std::vector<std::string>& stop) {
  size_t keep = text.size();
  for (const std::string& s : stop)
    for (size_t n = std::min(s.size() - 1, text.size()); n > 0; --n)
      if (text.substr(text.size() - n) == std::string_view(s).substr(0, n)) {
        keep = std::min(keep, text.size() - n);
        break;
      }
  return keep;
}

namespace {

json usage_json(const Outcome& o) {
  return {{"prompt_tokens", o.prompt_tokens},
          {"completion_tokens", o.completion_tokens},
          {"total_tokens", o.prompt_tokens + o.completion_tokens}};
}

const char* finish_reason(const Outcome& o) { return o.stopped ? "stop" : "length"; }

json llama_json(const ApiRequest& r, std::string_view content, const Outcome* o) {
  json out = {{"content", content}, {"stop", o != nullptr}, {"model", r.model}};
  if (o != nullptr) {
    out["stopped_eos"] = o->stopped;
    out["stopped_limit"] = !o->stopped;
    out["tokens_predicted"] = o->completion_tokens;
    out["tokens_evaluated"] = o->prompt_tokens;
    out["tokens_cached"] = 0;
    out["timings"] = {{"predicted_n", o->completion_tokens}, {"predicted_ms", o->ms}};
  }
  return out;
}

}  // namespace

json response_json(const ApiRequest& r, const Outcome& o, std::string_view id, int64_t created) {
  switch (r.api) {
    case Api::Llama:
      return llama_json(r, o.text, &o);
    case Api::Fim:
      return {{"id", id}, {"object", "chat.completion"}, {"created", created}, {"model", r.model},
              {"choices", json::array({{{"index", 0},
                                        {"message", {{"role", "assistant"}, {"content", o.text}}},
                                        {"finish_reason", finish_reason(o)}}})},
              {"usage", usage_json(o)}};
    case Api::OpenAI:
      break;
  }
  return {{"id", id}, {"object", "text_completion"}, {"created", created}, {"model", r.model},
          {"choices", json::array({{{"text", o.text}, {"index", 0}, {"logprobs", nullptr},
                                    {"finish_reason", finish_reason(o)}}})},
          {"usage", usage_json(o)}};
}

json stream_chunk_json(const ApiRequest& r, std::string_view piece, const Outcome* final, std::string_view id,
                       int64_t created) {
  const json reason = final != nullptr ? json(finish_reason(*final)) : json(nullptr);
  json out;
  switch (r.api) {
    case Api::Llama:
      return llama_json(r, piece, final);
    case Api::Fim:
      out = {{"id", id}, {"object", "chat.completion.chunk"}, {"created", created}, {"model", r.model},
             {"choices", json::array({{{"index", 0}, {"delta", {{"content", piece}}}, {"finish_reason", reason}}})}};
      break;
    case Api::OpenAI:
      out = {{"id", id}, {"object", "text_completion"}, {"created", created}, {"model", r.model},
             {"choices", json::array({{{"text", piece}, {"index", 0}, {"logprobs", nullptr}, {"finish_reason", reason}}})}};
      break;
  }
  if (final != nullptr) out["usage"] = usage_json(*final);
  return out;
}

bool ends_with_done(Api api) { return api != Api::Llama; }

json error_json(std::string_view message, std::string_view type, std::string_view param) {
  return {{"error", {{"message", message}, {"type", type}, {"param", param.empty() ? json(nullptr) : json(param)}}}};
}

}  // namespace infilld::serve
