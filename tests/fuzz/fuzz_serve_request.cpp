// Any bytes as an HTTP request body of each completion API (serve/api.h): a request or an
// error naming what was wrong, never a crash; a request's canvas length is one an API
// client may ask for; stop sequences cut and hold back only within the text; every answer
// shape serializes.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "serve/api.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace infilld::serve;
  const std::string_view body(reinterpret_cast<const char*>(data), size);
  const infilld::completion::Settings base;
  for (Api api : {Api::OpenAI, Api::Fim, Api::Llama}) {
    Parsed p = parse_request(api, body, base);
    if (!p.request) {
      if (p.error.message.empty()) std::abort();
      continue;
    }
    const ApiRequest& r = *p.request;
    if (r.settings.max_tokens < 1 || r.settings.max_tokens > 1024) std::abort();
    bool stopped = false;
    const std::string cut = cut_at_stop(r.prefix, r.stop, stopped);
    if (cut.size() > r.prefix.size() || r.prefix.compare(0, cut.size(), cut) != 0) std::abort();
    if (streamable_length(r.prefix, r.stop) > r.prefix.size()) std::abort();
    Outcome o{.text = cut, .stopped = stopped, .prompt_tokens = 1, .completion_tokens = 2};
    (void)response_json(r, o, "id", 0).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    (void)stream_chunk_json(r, r.suffix, &o, "id", 0).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  }
  return 0;
}
