#include "serve/peer_socket.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstdlib>
#include <filesystem>

namespace infilld::serve {

namespace {

// An IPv4 or IPv6 end's address (as inet_ntop writes it) and port.
bool end_of(const sockaddr_storage& a, std::string& address, int& port) {
  char text[INET6_ADDRSTRLEN] = {0};
  if (a.ss_family == AF_INET) {
    const auto& in = reinterpret_cast<const sockaddr_in&>(a);
    inet_ntop(AF_INET, &in.sin_addr, text, sizeof text);
    port = ntohs(in.sin_port);
  } else if (a.ss_family == AF_INET6) {
    const auto& in6 = reinterpret_cast<const sockaddr_in6&>(a);
    inet_ntop(AF_INET6, &in6.sin6_addr, text, sizeof text);
    port = ntohs(in6.sin6_port);
  } else {
    return false;
  }
  address = text;
  return true;
}

// An address as text without an IPv6 zone ("fe80::1%eth0" -> "fe80::1").
std::string_view without_zone(std::string_view address) { return address.substr(0, address.find('%')); }

}  // namespace

int connection_socket(const std::string& remote_addr, int remote_port, const std::string& local_addr,
                      int local_port) {
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator("/proc/self/fd", ec)) {
    const int fd = std::atoi(entry.path().filename().c_str());
    sockaddr_storage peer{}, local{};
    socklen_t peer_len = sizeof peer, local_len = sizeof local;
    if (getpeername(fd, reinterpret_cast<sockaddr*>(&peer), &peer_len) != 0) continue;  // not a connected socket
    if (getsockname(fd, reinterpret_cast<sockaddr*>(&local), &local_len) != 0) continue;
    std::string peer_address, local_address;
    int peer_port = -1, port = -1;
    if (!end_of(peer, peer_address, peer_port) || !end_of(local, local_address, port)) continue;
    if (peer_port == remote_port && port == local_port && peer_address == without_zone(remote_addr) &&
        local_address == without_zone(local_addr))
      return fd;
  }
  return -1;
}

bool peer_closed(int fd) {
  char byte = 0;
  const ssize_t n = recv(fd, &byte, 1, MSG_PEEK | MSG_DONTWAIT);
  if (n > 0) return false;                                     // bytes waiting: still there
  if (n == 0) return true;                                     // an orderly close
  return errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR;  // reset, or worse
}

}  // namespace infilld::serve
