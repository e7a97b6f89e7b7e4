// cpp-httplib 0.11 (what infilld serve uses), set up as infilld serve sets it up: a thread
// pool of 24 (--parallel 4 --max-queue 16) and TCP_NODELAY; `httplib_server PORT delayed`
// leaves Nagle's algorithm on, as the library's default does.
#include <httplib.h>

#include <cstdlib>
#include <cstring>

#include "answer.h"

int main(int argc, char** argv) {
  httplib::Server http;
  http.new_task_queue = [] { return new httplib::ThreadPool(24); };
  http.set_tcp_nodelay(!(argc > 2 && std::strcmp(argv[2], "delayed") == 0));
  http.Get("/health", [](const httplib::Request&, httplib::Response& res) {
    res.set_content(health_answer(), "application/json");
  });
  http.Post("/v1/completions", [](const httplib::Request& req, httplib::Response& res) {
    if (req.body.empty()) res.status = 400;
    res.set_content(completion_answer(), "application/json");
  });
  return http.listen("127.0.0.1", argc > 1 ? std::atoi(argv[1]) : 8090) ? 0 : 1;
}
