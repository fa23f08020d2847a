#include "explore/sequence.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sched.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <stdexcept>
#include <vector>

#include "explore/holders.h"
#include "explore/steps.h"
#include "explore/triple.h"
#include "fixtures/connection.h"
#include "fixtures/outcome.h"
#include "fixtures/skip.h"
#include "fixtures/socket.h"
#include "netns/error.h"
#include "netns/wait.h"

namespace sr::explore {
namespace {

SockAddr with_port(SockAddr a, uint16_t port) {
  if (a.family() == AF_INET6)
    reinterpret_cast<sockaddr_in6*>(&a.ss)->sin6_port = htons(port);
  else
    reinterpret_cast<sockaddr_in*>(&a.ss)->sin_port = htons(port);
  return a;
}

bool is_loopback(const SockAddr& a) {
  if (a.family() == AF_INET6)
    return IN6_IS_ADDR_LOOPBACK(&reinterpret_cast<const sockaddr_in6*>(&a.ss)->sin6_addr);
  return (ntohl(reinterpret_cast<const sockaddr_in*>(&a.ss)->sin_addr.s_addr) >> 24) == 127;
}

}  // namespace

int err_of(int rc) { return rc == 0 ? 0 : errno; }

namespace {

int set_int(int fd, int level, int name, int value) {
  return err_of(setsockopt(fd, level, name, &value, sizeof value));
}

}  // namespace

UniqueFd open_socket(int family, Proto proto, int extra_flags) {
  int type = (proto == Proto::tcp ? SOCK_STREAM : SOCK_DGRAM) | SOCK_CLOEXEC | extra_flags;
  int fd = socket(family, type, 0);
  if (fd < 0 && errno == EAFNOSUPPORT && family == AF_INET6)
    throw Skip("this kernel has no IPv6 (CONFIG_IPV6)");
  return UniqueFd(check(fd, "socket"));
}

namespace {

// The socket's options and device switched on (or, for `when: cleared`, off
// again); the first setsockopt that fails is the step.
Step apply(int fd, const SockSpec& s, bool on) {
  Step st{"setsockopt", 0};
  if (s.opts->reuseaddr && (st.err = set_int(fd, SOL_SOCKET, SO_REUSEADDR, on ? 1 : 0))) return st;
  if (s.opts->reuseport && (st.err = set_int(fd, SOL_SOCKET, SO_REUSEPORT, on ? 1 : 0))) return st;
  if (!s.dev->ifname.empty()) {
    // On: the name with its NUL; off: an empty option, which unbinds.
    const std::string& name = s.dev->ifname;
    st.err = on ? err_of(setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, name.c_str(),
                                    static_cast<socklen_t>(name.size() + 1)))
                : err_of(setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, "", 0));
  }
  return st;
}

Step set_v6only(int fd, const SockSpec& s) {
  if (s.addr->v6only < 0) return {"setsockopt", 0};
  return {"setsockopt", set_int(fd, IPPROTO_IPV6, IPV6_V6ONLY, s.addr->v6only)};
}

}  // namespace

// A socket with its options set before bind(), bound (and listening): the
// second socket, and every positive control. `euid` owns the socket.
Step open_bind(UniqueFd& fd, const SockSpec& s, Proto proto, uid_t euid, uint16_t port,
               bool and_listen) {
  SockAddr at = with_port(s.addr->addr, port);
  {
    AsEuid as(euid);
    fd = open_socket(at.family(), proto);
    Step st = set_v6only(fd.get(), s);
    if (st.err) return st;
    st = apply(fd.get(), s, true);
    if (st.err) return st;
  }
  Step st{"bind", err_of(::bind(fd.get(), at.sa(), at.len))};
  if (st.err || !and_listen) return st;
  return {"listen", err_of(::listen(fd.get(), 16))};
}

std::string alone(const SockSpec& s, Proto proto, uid_t euid, uint16_t port, bool and_listen) {
  UniqueFd fd;
  return open_bind(fd, s, proto, euid, port, and_listen).token();
}

// A positive control, with the blocker closed. Closed is not always gone: a
// socket whose file another process held at the close() stays bound a moment
// longer (explore/holders.h). A control refused while no socket of this
// process is on the port waits until none is and runs again.
std::string control(const SockSpec& s, Proto proto, uid_t euid, uint16_t port, bool and_listen) {
  std::string c = alone(s, proto, euid, port, and_listen);
  if (!is_conflict(c)) return c;
  PortReport p = inspect_port(port);
  if (!p.transient()) return c;
  (void)std::fprintf(stderr,
                     "sockreuse-explore: port %u: a control was refused by no socket this "
                     "process holds (a closed one outlived its close()); run again. %s\n",
                     static_cast<unsigned>(port), p.text.c_str());
  wait_port_free(port);
  return alone(s, proto, euid, port, and_listen);
}

void note_holders(SeqResult& r, const Step& st, uint16_t port) {
  if (!refused_as_busy(st.call, st.err)) return;
  PortReport p = inspect_port(port);
  r.detail = p.text;
  r.lingered = p.transient();
}

namespace {

// Unconnected client sockets made in the client namespace in batches: each
// trip into that namespace costs two setns() calls, which under TCG cost
// more than the rest of a connection. A socket keeps the namespace it was
// made in, so the batch is dropped when the topology (its inode) changes.
class ClientPool {
 public:
  UniqueFd take(int family, const Topology& topo) {
    struct stat st {};
    check(fstat(topo.client().fd(), &st), "fstat the client namespace");
    if (st.st_ino != ns_inode_) {
      v4_.clear();
      v6_.clear();
      ns_inode_ = st.st_ino;
    }
    std::vector<UniqueFd>& list = family == AF_INET6 ? v6_ : v4_;
    if (list.empty()) refill(list, family, topo);
    UniqueFd fd = std::move(list.back());
    list.pop_back();
    return fd;
  }

 private:
  static constexpr int kBatch = 64;

  static void refill(std::vector<UniqueFd>& list, int family, const Topology& topo) {
    check(setns(topo.client().fd(), CLONE_NEWNET), "setns(client)");
    int saved = 0;
    for (int i = 0; i < kBatch; ++i) {
      int fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
      if (fd < 0) {
        saved = errno;
        break;
      }
      list.emplace_back(fd);
    }
    if (setns(topo.server.fd(), CLONE_NEWNET) != 0) {
      // Going on in the client namespace would run every later step on the wrong host.
      std::perror("sockreuse-explore: setns back to the server namespace");
      std::abort();
    }
    if (list.empty()) throw SysError("client socket", saved);
  }

  ino_t ns_inode_ = 0;
  std::vector<UniqueFd> v4_, v6_;
};

// A client socket for `target`: in the server namespace for a loopback
// target, else in the client namespace.
UniqueFd client_socket(const SockAddr& target, const Topology& topo) {
  if (is_loopback(target)) return open_socket(target.family(), Proto::tcp, SOCK_NONBLOCK);
  static ClientPool pool;  // one shard is one process and one thread
  return pool.take(target.family(), topo);
}

// Blocks in poll() until `events` shows on fd, within the bound: the kernel
// wakes the caller the moment the packet is processed, where a polling loop
// would sleep past it (under TCG, by milliseconds).
void wait_event(int fd, short events, const std::function<std::string()>& what) {
  std::chrono::milliseconds bound = wait_bound();
  pollfd p{fd, events, 0};
  int n;
  while ((n = poll(&p, 1, static_cast<int>(bound.count()))) < 0 && errno == EINTR) {
  }
  if (n <= 0) throw WaitTimeout("waited " + bound_text(bound) + " for " + what());
}

// connect() of a non-blocking socket, waited for within the bound.
int connect_bounded(int fd, const SockAddr& to) {
  if (::connect(fd, to.sa(), to.len) == 0) return 0;
  if (errno != EINPROGRESS) return errno;
  wait_event(fd, POLLOUT, [&to] { return "a connection to " + to.str() + " to complete or fail"; });
  int err = 0;
  socklen_t n = sizeof err;
  check(getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &n), "getsockopt SO_ERROR");
  return err;
}

// Closes with a reset: the connection leaves no TIME_WAIT behind.
void abort_close(UniqueFd& fd) {
  if (!fd) return;
  linger l{1, 0};
  (void)setsockopt(fd.get(), SOL_SOCKET, SO_LINGER, &l, sizeof l);
  fd.reset();
}

}  // namespace

void Held::close_all() {
  abort_close(conn);
  client.reset();
  first.reset();
  second.reset();
}

// The first socket, brought to its state. Returns the step that failed, or
// err 0. On success h.first (bound/listen/connected) or h.conn (timewait,
// established; the listener is closed) holds it.
Step make_first(const Seq& s, uint16_t port, const Topology& topo, Held& h, bool& tw) {
  const SockSpec& f = s.first;
  SockAddr at = with_port(f.addr->addr, port);
  h.first = open_socket(at.family(), s.proto);
  int fd = h.first.get();
  Step st = set_v6only(fd, f);
  if (st.err) return st;
  if (s.when != When::after && (st = apply(fd, f, true)).err) return st;
  if ((st = {"bind", err_of(::bind(fd, at.sa(), at.len))}).err) return st;
  if (s.when == When::after && (st = apply(fd, f, true)).err) return st;
  if (s.when == When::cleared && (st = apply(fd, f, false)).err) return st;
  switch (s.state) {
    case State::bound:
      return {"bind", 0};
    case State::listen:
      return {"listen", err_of(::listen(fd, 16))};
    case State::connected: {
      const SockAddr& peer = f.addr->peer.at(f.dev_index);
      return {"connect", err_of(::connect(fd, peer.sa(), peer.len))};
    }
    case State::timewait:
    case State::established:
      break;
  }
  if ((st = {"listen", err_of(::listen(fd, 16))}).err) return st;
  SockAddr target = with_port(f.addr->target.at(f.dev_index), port);
  h.client = client_socket(target, topo);
  if ((st = {"connect", connect_bounded(h.client.get(), target)}).err) return st;
  wait_event(fd, POLLIN, [&target] {
    return "the connection to " + target.str() + " to reach the accept queue";
  });
  h.conn = UniqueFd(check(accept4(fd, nullptr, nullptr, SOCK_CLOEXEC), "accept"));
  h.first.reset();  // the listener is gone
  // Closed is gone only once no other process holds its file (explore/holders.h).
  wait_listener_gone(at.family(), port);
  int conn = h.conn.get();
  if (s.state == State::established) {
    if (tcp_state(conn) != TCP_ESTABLISHED)
      throw std::runtime_error("the accepted connection is not ESTABLISHED");
    return {"connect", 0};
  }
  // The server closes first; its socket reaches TIME_WAIT when the client's
  // FIN arrives, and its own state then reads CLOSE (tcp_time_wait() has
  // handed the port to the TIME_WAIT socket). The shard confirms every
  // TIME_WAIT over inet_diag before the namespace goes (shard.cc).
  check(shutdown(conn, SHUT_WR), "shutdown the server's side");
  int client = h.client.get();
  wait_event(client, POLLIN, [] { return std::string("the client to see the server's FIN"); });
  char c;
  if (::read(client, &c, 1) != 0) throw std::runtime_error("the client expected EOF");
  h.client.reset();
  // The client's FIN wakes the server's socket after tcp_time_wait() ran;
  // the state is then checked, and waited for should it lag.
  wait_event(conn, POLLIN | POLLRDHUP, [] { return std::string("the client's FIN"); });
  wait_for([conn] { return tcp_state(conn) == TCP_CLOSE; },
           [conn] {
             return "the server's socket to reach TIME_WAIT (state " +
                    std::to_string(tcp_state(conn)) + ")";
           });
  h.conn.reset();
  tw = true;
  return {"connect", 0};
}

namespace {

SeqResult run(const Seq& s, uint16_t port, const Topology& topo) {
  SeqResult r;
  bool tcp = s.proto == Proto::tcp;
  // A TIME_WAIT cannot be undone: its positive control runs before it exists.
  std::string early;
  if (check_ports_enabled()) require_port_free(port, "at the sequence's start");
  if (s.state == State::timewait) {
    early = alone(s.second, s.proto, s.euid, port, tcp);
    if (check_ports_enabled()) require_port_free(port, "after the TIME_WAIT's early control");
  }
  Held h;
  Step first = make_first(s, port, topo, h, r.timewait);
  if (first.err) {
    // The kernel refused the premise: an outcome too.
    r.token = "sock1." + first.token();
    note_holders(r, first, port);
    if (is_conflict(r.token)) {
      h.close_all();
      r.control = control(s.first, s.proto, 0, port, tcp && s.state != State::bound);
    }
    return r;
  }
  r.token = open_bind(h.second, s.second, s.proto, s.euid, port, tcp).token();
  if (is_conflict(r.token)) {
    if (s.state == State::timewait) {
      r.control = early;
    } else {
      h.close_all();
      r.control = control(s.second, s.proto, s.euid, port, tcp);
    }
  }
  h.close_all();
  return r;
}

SeqResult run_shape(const Seq& s, uint16_t port, const Topology& topo) {
  return s.triple ? run_triple(s, port, topo) : run(s, port, topo);
}

// Once more, on the same port, when the first socket was refused because of
// a socket the sequence itself had closed (the TIME_WAIT's early control):
// the refusal was the harness's. Nothing of the first run is left once that
// socket is gone: a refused premise step made no connection.
SeqResult rerun_lingered(const Seq& s, uint16_t port, const Topology& topo, const SeqResult& was) {
  (void)std::fprintf(stderr, "sockreuse-explore: sequence %ld run again: %s (%s)\n", s.index,
                     was.token.c_str(), was.detail.c_str());
  wait_port_free(port);
  SeqResult r = run_shape(s, port, topo);
  if (r.lingered)
    throw std::runtime_error("refused twice by no socket this process holds: " + r.detail);
  r.detail = "run again: " + was.token + " came from no socket this process holds (" + was.detail +
             ")" + (r.detail.empty() ? "" : "; then: " + r.detail);
  return r;
}

}  // namespace

SeqResult run_sequence(const Seq& s, uint16_t port, const Topology& topo) {
  try {
    SeqResult r = run_shape(s, port, topo);
    return r.lingered ? rerun_lingered(s, port, topo, r) : r;
  } catch (const Skip& e) {
    SeqResult r;
    r.status = "skip";
    r.detail = e.what();
    return r;
  } catch (const std::exception& e) {
    SeqResult r;
    r.status = "error";
    r.detail = e.what();
    return r;
  }
}

}  // namespace sr::explore
