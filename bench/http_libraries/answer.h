// What each server of the HTTP library measurement answers (bench/http_libraries/run.sh):
// a completion-shaped JSON body of about 300 bytes for POST /v1/completions, after reading
// the request's body, and {"status":"ok"} for GET /health. No model: the measurement is of
// the library (parsing, threads, writes), not of infilld.
#pragma once

#include <string>

inline const std::string& completion_answer() {
  static const std::string body =
      R"({"id":"cmpl-1","object":"text_completion","created":1765000000,"model":"infilld",)"
      R"("choices":[{"text":"a + b","index":0,"logprobs":null,"finish_reason":"stop"}],)"
      R"("usage":{"prompt_tokens":42,"completion_tokens":3,"total_tokens":45},)"
      R"("system_fingerprint":"bench-http-libraries-0000000000000000000000000000000000000000"})";
  return body;
}

inline const std::string& health_answer() {
  static const std::string body = R"({"status":"ok"})";
  return body;
}
