// infilld serve's request and answer shapes (serve/api.h), without sockets: the HTTP
// behaviour itself is tests/serve/test_serve.py's.
#include <doctest/doctest.h>

#include <nlohmann/json.hpp>

#include "serve/api.h"

using infilld::completion::Settings;
using infilld::serve::Api;
using infilld::serve::parse_request;
using nlohmann::json;

TEST_CASE("serve api: the three request shapes read into one request") {
  Settings base;
  auto openai = parse_request(Api::OpenAI, R"({"model":"m","prompt":"def f(","suffix":"):","max_tokens":8,
      "temperature":0.5,"top_p":0.9,"seed":3,"stop":"\n","stream":true,"steps":4,"unknown":1})", base);
  REQUIRE(openai.request);
  const auto& r = *openai.request;
  CHECK(r.model == "m");
  CHECK(r.prefix == "def f(");
  CHECK(r.suffix == "):");
  CHECK(r.stream);
  CHECK(r.stop == std::vector<std::string>{"\n"});
  CHECK(r.settings.max_tokens == 8);
  CHECK(*r.settings.temperature == doctest::Approx(0.5));
  CHECK(*r.settings.top_p == doctest::Approx(0.9));
  CHECK(*r.settings.seed == 3);
  CHECK(*r.settings.steps == 4);  // a settings-table key by its own name

  auto llama = parse_request(Api::Llama, R"({"input_prefix":"a","prompt":"b","input_suffix":"c","n_predict":-1,
      "top_k":5,"t_max_predict_ms":200,"input_extra":[{"filename":"x.py","text":"y"}]})", base);
  REQUIRE(llama.request);
  CHECK(llama.request->prefix == "ab");  // llama.cpp: prompt is the text just before the cursor
  CHECK(llama.request->suffix == "c");
  CHECK(llama.request->settings.max_tokens == 16);  // -1: no limit of its own, so the default
  CHECK(*llama.request->settings.top_k == 5);
  CHECK(llama.request->settings.deadline_ms == 200);
  REQUIRE(llama.request->extra.size() == 1);
  CHECK(llama.request->extra[0].filename == "x.py");

  Settings server;
  server.max_tokens = 24;  // `serve --max-tokens 24`: the default when a request names none
  auto fim = parse_request(Api::Fim, R"({"prompt":"x"})", server);
  REQUIRE(fim.request);
  CHECK(fim.request->settings.max_tokens == 24);
}

TEST_CASE("serve api: errors name the request's field") {
  Settings base;
  auto error_of = [&](Api api, const char* body) { return parse_request(api, body, base).error; };
  CHECK(error_of(Api::OpenAI, R"({"prompt":"x","max_tokens":2000})").message ==
        "max_tokens: expected an integer 1..1024, found 2000");
  CHECK(error_of(Api::OpenAI, R"({"prompt":"x","max_tokens":0})").field == "max_tokens");
  CHECK(error_of(Api::OpenAI, R"({"max_tokens":3})").message == "prompt: missing");
  CHECK(error_of(Api::OpenAI, R"({"prompt":["a","b"]})").field == "prompt");
  CHECK(error_of(Api::OpenAI, R"({"prompt":"x","alg":"best"})").field == "alg");
  CHECK(error_of(Api::Llama, R"({"n_predict":"many"})").field == "n_predict");
  CHECK(error_of(Api::Llama, R"({"input_extra":[{"text":3}]})").field == "input_extra[0].text");
  CHECK(error_of(Api::OpenAI, "[1]").field.empty());
  CHECK(error_of(Api::OpenAI, "{").message == "the body is not JSON");
  // Deep nesting is refused before parsing (dumping it would recurse past the stack).
  const std::string deep = R"({"prompt":"x","stop":)" + std::string(100000, '[') + std::string(100000, ']') + "}";
  CHECK(error_of(Api::OpenAI, deep.c_str()).message == "the body nests deeper than 64 levels");
  const std::string brackets_in_text = R"({"prompt":")" + std::string(1000, '[') + R"("})";
  CHECK(parse_request(Api::OpenAI, brackets_in_text, base).request);
}

TEST_CASE("serve api: stop sequences cut the text, and a stream holds back what may start one") {
  bool stopped = false;
  CHECK(infilld::serve::cut_at_stop("return a + b\nprint", {"\n", "+"}, stopped) == "return a ");
  CHECK(stopped);
  stopped = false;
  CHECK(infilld::serve::cut_at_stop("abc", {"x"}, stopped) == "abc");
  CHECK_FALSE(stopped);
  CHECK(infilld::serve::streamable_length("return a <", {"<end>"}) == 9);   // "<" may begin "<end>"
  CHECK(infilld::serve::streamable_length("return a <e", {"<end>"}) == 9);
  CHECK(infilld::serve::streamable_length("return a", {"<end>"}) == 8);
}

TEST_CASE("serve api: answers in each client's shape") {
  infilld::serve::ApiRequest r;
  r.model = "m";
  infilld::serve::Outcome o{.text = "a + b", .stopped = true, .prompt_tokens = 7, .completion_tokens = 3};
  r.api = Api::OpenAI;
  json a = infilld::serve::response_json(r, o, "id1", 5);
  CHECK(a["choices"][0]["text"] == "a + b");
  CHECK(a["choices"][0]["finish_reason"] == "stop");
  CHECK(a["usage"]["total_tokens"] == 10);
  r.api = Api::Fim;
  json f = infilld::serve::response_json(r, o, "id1", 5);
  CHECK(f["choices"][0]["message"]["content"] == "a + b");
  json chunk = infilld::serve::stream_chunk_json(r, "a", nullptr, "id1", 5);
  CHECK(chunk["choices"][0]["delta"]["content"] == "a");
  CHECK(chunk["choices"][0]["finish_reason"].is_null());
  r.api = Api::Llama;
  json l = infilld::serve::response_json(r, o, "id1", 5);
  CHECK(l["content"] == "a + b");
  CHECK(l["stop"] == true);
  CHECK(l["tokens_predicted"] == 3);
  CHECK_FALSE(infilld::serve::ends_with_done(Api::Llama));
  CHECK(infilld::serve::ends_with_done(Api::OpenAI));
}
