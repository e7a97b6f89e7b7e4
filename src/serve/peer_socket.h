// Whether a client is still there while its request is computed. cpp-httplib 0.11 gives a
// handler the connection's addresses but not its socket, and notices a client that left
// only when it writes; a non-streamed completion writes once, at its end. So the handler
// finds the socket among the process's own by its two ends, and peeks at it.
//
// Which thread may call what: the handler's thread, while its connection is open (the
// socket cannot be closed and its number reused before the handler returns).
#pragma once

#include <string>

namespace infilld::serve {

// The socket of the connection from remote_addr:remote_port to local_addr:local_port (as
// cpp-httplib writes them); -1 when none.
int connection_socket(const std::string& remote_addr, int remote_port, const std::string& local_addr,
                      int local_port);

// True when the peer has closed or reset the connection; false while it is open, with or
// without bytes waiting to be read (a pipelined request). A client that only half-closed
// (shut its sending side, still reading) reads as closed: HTTP clients do not do that.
bool peer_closed(int fd);

}  // namespace infilld::serve
