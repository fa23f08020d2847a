// The steps a sequence is made of (explore/sequence.cc), shared by the pairs
// (sequence.cc) and the triples (triple.cc).
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>

#include "explore/input.h"
#include "explore/sequence.h"
#include "fixtures/outcome.h"
#include "fixtures/socket.h"
#include "fixtures/topology.h"

namespace sr::explore {

// One call's result: which call, and its errno (0: it succeeded).
struct Step {
  const char* call = "bind";
  int err = 0;
  std::string token() const { return call_token(call, err); }
};

// The sockets a sequence holds; close_all() leaves no TIME_WAIT behind.
struct Held {
  UniqueFd first, conn, client, second;
  void close_all();
};

int err_of(int rc);

UniqueFd open_socket(int family, Proto proto, int extra_flags = 0);

// A socket with its options set before bind(), bound (and listening), owned by euid.
Step open_bind(UniqueFd& fd, const SockSpec& s, Proto proto, uid_t euid, uint16_t port,
               bool and_listen);

// open_bind's outcome on a fresh socket, closed again: a positive control.
std::string alone(const SockSpec& s, Proto proto, uid_t euid, uint16_t port, bool and_listen);

// alone(), run once more when a socket closed a moment ago is still on the
// port (explore/holders.h): the positive control of every conflict.
std::string control(const SockSpec& s, Proto proto, uid_t euid, uint16_t port, bool and_listen);

// A first socket refused as busy: every socket on the port goes into r's
// detail, named before anything is closed, and r.lingered says whether the
// refusal was a socket the sequence had closed (explore/holders.h), when
// the sequence runs again. Only the sequence's own sockets should be there.
void note_holders(SeqResult& r, const Step& st, uint16_t port);

// The first socket brought to s.state (options as s.when says). Returns the
// step that failed, or err 0; tw is set when it leaves a TIME_WAIT.
Step make_first(const Seq& s, uint16_t port, const Topology& topo, Held& h, bool& tw);

}  // namespace sr::explore
