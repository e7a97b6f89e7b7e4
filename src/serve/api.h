// The HTTP APIs `infilld serve` speaks (docs/serve.md), as plain data: a request body of
// any of the three shapes read into one ApiRequest, and a filled middle written back in the
// shape its client expects, whole or as server-sent events. No sockets here (server.h).
//
//   OpenAI    POST /v1/completions      {model, prompt, suffix, max_tokens, temperature, top_p,
//                                        seed, stop, stream} -> {choices: [{text, finish_reason}], usage}
//   FIM       POST /v1/fim/completions  the same request (Mistral Codestral, Inception Mercury);
//                                       answers chat-shaped: choices[].message.content
//                                       (streamed: choices[].delta.content)
//   llama.cpp POST /infill              {input_prefix, input_suffix, input_extra: [{filename, text}],
//                                        prompt, n_predict, temperature, top_k, top_p, seed, stop,
//                                        t_max_predict_ms, stream} -> {content, stop, ...}
//
// The suffix is real fill-in-the-middle: the model sees it. Fields named like a key of the
// settings table (completion/settings.h: steps, alg, threshold, blockLength...) set that
// key for the request; other unknown fields are ignored; a bad value is an error naming the
// request's field.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "completion/settings.h"
#include "engine/denoise/denoiser.h"

namespace infilld::serve {

enum class Api { OpenAI, Fim, Llama };

struct ExtraFile {  // llama.cpp's input_extra: another file's text, given as context
  std::string filename, text;
};

struct ApiRequest {
  Api api = Api::OpenAI;
  std::string model;                 // as the client named it (echoed back)
  std::string prefix, suffix;        // around the middle to fill
  std::vector<ExtraFile> extra;
  std::vector<std::string> stop;     // the text ends before the first of these
  bool stream = false;
  completion::Settings settings;     // the server's, with the request's fields over them
};

struct ApiError {
  std::string field;    // the request's field ("max_tokens"); empty: the body itself
  std::string message;  // "max_tokens: expected an integer 1..1024, found 5000"
};

// Reads a request body over `base` (the server's settings). Errors name the field.
struct Parsed {
  std::optional<ApiRequest> request;
  ApiError error;
};
Parsed parse_request(Api api, std::string_view body, const completion::Settings& base);

// How a fill ended, in the APIs' words: "stop" (the model ended its middle or a stop
// sequence came) or "length" (the canvas was full).
struct Outcome {
  std::string text;
  bool stopped = false;
  int64_t prompt_tokens = 0, completion_tokens = 0;
  double ms = 0;  // engine time
};

// The text up to the first stop sequence; `stopped` set when one was found.
std::string cut_at_stop(std::string_view text, const std::vector<std::string>& stop, bool& stopped);
// How much of `text` may be sent while more may come: not the end that could be the start
// of a stop sequence.
size_t streamable_length(std::string_view text, const std::vector<std::string>& stop);

// The whole answer (not streamed).
nlohmann::json response_json(const ApiRequest& request, const Outcome& outcome, std::string_view id, int64_t created);
// One streamed event's JSON: a piece of text (`final` false), or the last event with the
// finish reason and usage.
nlohmann::json stream_chunk_json(const ApiRequest& request, std::string_view piece, const Outcome* final,
                                 std::string_view id, int64_t created);
// Whether the stream ends with "data: [DONE]" (the OpenAI shapes; llama.cpp's does not).
bool ends_with_done(Api api);

// {"error": {"message", "type", "param"}}: OpenAI's error shape, which the other clients read too.
nlohmann::json error_json(std::string_view message, std::string_view type, std::string_view param = {});

}  // namespace infilld::serve
