// libmicrohttpd 0.9.75: its own thread pool (MHD_OPTION_THREAD_POOL_SIZE, one per core),
// epoll, the request body gathered through the access handler's upload calls.
#include <microhttpd.h>

#include <csignal>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>
#include <unistd.h>

#include "answer.h"

namespace {

MHD_Result respond(MHD_Connection* connection, const std::string& body) {
  MHD_Response* response =
      MHD_create_response_from_buffer(body.size(), const_cast<char*>(body.data()), MHD_RESPMEM_PERSISTENT);
  MHD_add_response_header(response, "Content-Type", "application/json");
  const MHD_Result r = MHD_queue_response(connection, MHD_HTTP_OK, response);
  MHD_destroy_response(response);
  return r;
}

MHD_Result handle(void*, MHD_Connection* connection, const char* url, const char* method, const char*,
                  const char* upload, size_t* upload_size, void** state) {
  if (std::strcmp(method, "POST") == 0) {
    if (*state == nullptr) {  // the first call: headers only
      *state = new std::string();
      return MHD_YES;
    }
    auto* body = static_cast<std::string*>(*state);
    if (*upload_size > 0) {
      body->append(upload, *upload_size);
      *upload_size = 0;
      return MHD_YES;
    }
    delete body;
    *state = nullptr;
    return respond(connection, completion_answer());
  }
  return respond(connection, std::strcmp(url, "/health") == 0 ? health_answer() : completion_answer());
}

}  // namespace

int main(int argc, char** argv) {
  const auto port = static_cast<uint16_t>(argc > 1 ? std::atoi(argv[1]) : 8091);
  const unsigned threads = std::max(1u, std::thread::hardware_concurrency());
  MHD_Daemon* daemon = MHD_start_daemon(MHD_USE_EPOLL_INTERNAL_THREAD | MHD_USE_ERROR_LOG, port, nullptr, nullptr,
                                        &handle, nullptr, MHD_OPTION_THREAD_POOL_SIZE, threads, MHD_OPTION_END);
  if (daemon == nullptr) return 1;
  pause();  // until a signal ends the process
  MHD_stop_daemon(daemon);
  return 0;
}
