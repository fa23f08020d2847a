#include "explore/triple.h"

#include <sys/socket.h>

#include <string>

#include "explore/steps.h"
#include "fixtures/outcome.h"

namespace sr::explore {
namespace {

// Socket 1's change: the one option (or the device) it clears.
Step clear(int fd, Change change) {
  int off = 0;
  switch (change) {
    case Change::none:
      return {"setsockopt", 0};
    case Change::reuseaddr:
      return {"setsockopt", err_of(setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &off, sizeof off))};
    case Change::reuseport:
      return {"setsockopt", err_of(setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &off, sizeof off))};
    case Change::device:
      // An empty name unbinds the socket from its device.
      return {"setsockopt", err_of(setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, "", 0))};
  }
  return {"setsockopt", 0};
}

// Socket 2 bound on the port and brought to its state.
Step make_second(UniqueFd& fd, const Seq& s, uint16_t port) {
  Step st = open_bind(fd, s.second, s.proto, s.euid, port, s.state2 == State::listen);
  if (st.err || s.state2 != State::connected) return st;
  const SockAddr& peer = s.second.addr->peer.at(s.second.dev_index);
  return {"connect", err_of(::connect(fd.get(), peer.sa(), peer.len))};
}

}  // namespace

SeqResult run_triple(const Seq& s, uint16_t port, const Topology& topo) {
  SeqResult r;
  bool tcp = s.proto == Proto::tcp;
  bool tw = s.state == State::timewait;
  // A TIME_WAIT cannot be undone: the positive controls of sockets 2 and 3
  // run before it exists.
  std::string early2, early3;
  if (tw) {
    early2 = control(s.second, s.proto, s.euid, port, s.state2 == State::listen);
    early3 = control(s.third, s.proto, s.euid3, port, tcp);
  }
  Held h;
  Step first = make_first(s, port, topo, h, r.timewait);
  if (first.err) {
    r.token = "sock1." + first.token();
    note_holders(r, first, port);
    if (is_conflict(r.token)) {
      h.close_all();
      r.control = control(s.first, s.proto, 0, port, tcp && s.state != State::bound);
    }
    return r;
  }
  // Socket 2's refusal is an outcome like the pairs' second socket's, and
  // not inspected: thousands of triples have it, and a dump costs milliseconds.
  Step second = make_second(h.second, s, port);
  if (second.err) {
    r.token = "sock2." + second.token();
    if (is_conflict(r.token)) {
      h.close_all();
      r.control = tw ? early2 : control(s.second, s.proto, s.euid, port, s.state2 == State::listen);
    }
    h.close_all();
    return r;
  }
  Step change = clear(h.first.get(), s.change);
  if (change.err) {
    r.token = "sock1." + change.token();
    h.close_all();
    return r;
  }
  UniqueFd third;
  r.token = open_bind(third, s.third, s.proto, s.euid3, port, tcp).token();
  if (is_conflict(r.token)) {
    third.reset();
    h.close_all();
    r.control = tw ? early3 : control(s.third, s.proto, s.euid3, port, tcp);
  }
  third.reset();
  h.close_all();
  return r;
}

}  // namespace sr::explore
