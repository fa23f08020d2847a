// TCP port lifetime around close() and shutdown() [tcp_life]: what a later
// bind(), listen() or connect() on the same port gets once a socket's life
// ended some other way than the server-side TIME_WAIT of R3's own cases.
// - A listener shut down for reading (SHUT_RD, SHUT_RDWR) stops listening and
//   is back in CLOSE, still bound: it refuses connections, may listen()
//   again, and holds its explicitly bound port while its descriptor is open
//   (as a bound socket: SO_REUSEADDR on both now shares it). SHUT_WR leaves
//   it listening.
// - A refused connect() leaves its socket in CLOSE too: a port it bound
//   explicitly stays held while the descriptor is open, a port connect()
//   chose itself is released at once.
// - The active closer with TCP_LINGER2 set short: its orphaned FIN_WAIT2 is
//   a timewait socket (substate FIN_WAIT2) that holds the port as a TIME_WAIT
//   does until the timer runs out; then nothing holds it.
// - The passive closer (CLOSE_WAIT, LAST_ACK) keeps no TIME_WAIT: its port is
//   free once its FIN is acknowledged, and the peer's TIME_WAIT takes a new
//   connection from that port.
// Every state is read from the kernel (inet_diag, TCP_INFO, poll) with a
// bound. The FIN_WAIT2 expiry cases wait out the kernel's own timer (about a
// second) and say so in their params (`timing`).
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <stdexcept>
#include <string>
#include <vector>

#include "fixtures/connection.h"
#include "fixtures/port_choice.h"
#include "fixtures/sequence.h"
#include "fixtures/sock_params.h"
#include "fixtures/sysctl_step.h"
#include "fixtures/timewait.h"
#include "netns/error.h"
#include "netns/wait.h"

namespace sr {
namespace {

constexpr uint16_t kClientPort = 40000;  // the client's own port
constexpr int kLinger2S = 1;             // TCP_LINGER2 of the active closer, in seconds
const PortRange kOnePort{kClientPort, kClientPort};

bool is_v6(int family) { return family == AF_INET6; }
const char* any_of(int family) { return is_v6(family) ? kAny6 : kAny4; }
const char* srv_of(int family) { return is_v6(family) ? kSrv6 : kSrv4; }
const char* cli_of(int family) { return is_v6(family) ? kCli6 : kCli4; }
std::string flags_text(unsigned f) { return f ? describe({"", f}).substr(1) : "plain"; }

Sock listen_on(const std::string& ip, unsigned flags = 0) {
  SockAddr at = make_addr(ip);
  Sock s = Sock::open(at.family(), Proto::tcp, opts_for(flags));
  Step r = s.bind_listen(at, true);
  if (r.err) throw SysError("listener: " + r.call + " " + at.str(), r.err);
  return s;
}

// The client's connection from its own port, kClientPort, to the server's.
ConnSpec client_conn(int family, unsigned flags) {
  ConnSpec spec;
  spec.dst_ip = srv_of(family);
  spec.src_ip = cli_of(family);
  spec.src_port = kClientPort;
  spec.client = opts_for(flags);
  return spec;
}

// A client in the client namespace connects to the server's port.
std::string peer_connect(Ctx& ctx, int family) {
  SockAddr dst = make_addr(srv_of(family));
  auto in = ctx.in_client();
  Sock c = Sock::open(family, Proto::tcp);
  return call_token("connect", c.connect_bounded(dst));
}

// The sockets in FIN_WAIT2 on the port and what inet_diag says of each: a
// timewait socket (timer 3) or a full one.
std::string fin_wait2_text(uint16_t port) {
  std::string out;
  for (const TcpSockInfo& s : sockets_on_port(port, state_bit(TCP_FIN_WAIT2))) {
    if (!out.empty()) out += ", ";
    out += s.timer == 3 ? "a timewait socket"
                        : "a full socket (timer " + std::to_string(s.timer) + ")";
    out += " expiring in " + std::to_string(s.expires_ms) + " ms";
  }
  return out.empty() ? "none" : out;
}

// --- a listener after shutdown() ------------------------------------------
enum class Shut { rd, wr, rdwr };
enum class After { bind, bind_listen, peer_connect, listen_again };

int shut_how(Shut s) { return s == Shut::rd ? SHUT_RD : s == Shut::wr ? SHUT_WR : SHUT_RDWR; }
const char* shut_name(Shut s) { return s == Shut::rd ? "rd" : s == Shut::wr ? "wr" : "rdwr"; }
const char* shut_word(Shut s) {
  return s == Shut::rd ? "SHUT_RD" : s == Shut::wr ? "SHUT_WR" : "SHUT_RDWR";
}

struct ListenerRow {
  std::string id;
  std::string rule;
  int family;
  Shut how;
  unsigned old_flags;  // the listener's
  unsigned new_flags;  // the new socket's, for After::bind and After::bind_listen
  After after;
};

Outcome listener_after_shutdown(Ctx& ctx, const ListenerRow& row) {
  SockAddr at = make_addr(any_of(row.family));
  Sock listener = listen_on(any_of(row.family), row.old_flags);
  check(shutdown(listener.fd(), shut_how(row.how)), "shutdown(listener)");
  std::string what = "listener (" + flags_text(row.old_flags) + ") on " + at.str() +
                     " after shutdown(" + shut_word(row.how) + ") is in " +
                     tcp_state_name(tcp_state(listener)) + "; ";
  if (row.after == After::peer_connect) {
    std::string t = peer_connect(ctx, row.family);
    return {t, what + "a client's connect(): " + t};
  }
  if (row.after == After::listen_again) {
    int err = listener.listen();
    if (err) return {call_token("listen", err), what + "listen() again: " + errno_name(err)};
    std::string t = peer_connect(ctx, row.family);
    return {t, what + "listen() again: ok; a client's connect(): " + t};
  }
  bool and_listen = row.after == After::bind_listen;
  Opts opts = opts_for(row.new_flags);
  Step r = Sock::open(row.family, Proto::tcp, opts).bind_listen(at, and_listen);
  return with_control(
      {r.token(), what + "a new socket (" + flags_text(row.new_flags) + ") on " + at.str() + ": " +
                      r.call + " " + errno_name(r.err)},
      [&] {
        listener.close();
        return Sock::open(row.family, Proto::tcp, opts).bind_listen(at, and_listen).token();
      });
}

// --- the active closer's FIN_WAIT2, TCP_LINGER2 1 s ----------------------------
struct FinWait2Row {
  std::string id;
  int family;
  unsigned old_flags;  // the client that closes first
  unsigned new_flags;
  bool expired;  // the new socket binds once the FIN_WAIT2 has run out
};

Outcome fin_wait2(Ctx& ctx, const FinWait2Row& row) {
  ConnSpec spec = client_conn(row.family, row.old_flags);
  SockAddr at = make_addr(spec.src_ip, kClientPort);
  Opts new_opts = opts_for(row.new_flags);
  auto attempt = [&] {
    auto in = ctx.in_client();
    return Sock::open(row.family, Proto::tcp, new_opts).bind_listen(at, false);
  };
  // The positive control runs first: a timewait socket cannot be closed.
  std::string control = attempt().token();
  Sock listener = listen_on(spec.dst_ip);
  Conn c = connect_pair(ctx, listener, spec);
  int secs = kLinger2S;
  check(setsockopt(c.client.fd(), IPPROTO_TCP, TCP_LINGER2, &secs, sizeof secs), "TCP_LINGER2");
  // The client closes first; the server keeps its end open (CLOSE_WAIT), so
  // no FIN comes back and the client's side stays in FIN_WAIT2.
  c.client.close();
  std::string held, after;
  {
    auto in = ctx.in_client();
    wait_for([] { return !sockets_on_port(kClientPort, state_bit(TCP_FIN_WAIT2)).empty(); },
             [] {
               return "the client's port to reach FIN_WAIT2 (" + states_on_port(kClientPort) + ")";
             });
    held = fin_wait2_text(kClientPort);
    if (row.expired)
      wait_for([] { return sockets_on_port(kClientPort, kConnectionStates).empty(); },
               [] {
                 return "the FIN_WAIT2 to run out (TCP_LINGER2 " + std::to_string(kLinger2S) +
                        " s; " + states_on_port(kClientPort) + ")";
               });
  }
  Step r = attempt();
  {
    auto in = ctx.in_client();
    after = states_on_port(kClientPort);
  }
  return with_prior_control(
      {r.token(), "client " + at.str() + " (" + flags_text(row.old_flags) +
                      ") closed first with TCP_LINGER2 " + std::to_string(kLinger2S) +
                      " s, its peer kept its end open; FIN_WAIT2: " + held +
                      (row.expired ? "; waited until it was gone" : "") + "; new socket (" +
                      flags_text(row.new_flags) + "): " + r.call + " " + errno_name(r.err) +
                      "; then on the port: " + after},
      control);
}

// --- the passive closer: CLOSE_WAIT, LAST_ACK ------------------------------------
struct PassiveRow {
  std::string id;
  std::string rule;
  int family;
  bool fd_open;  // shutdown(SHUT_WR) instead of close(): the descriptor stays open
  unsigned old_flags;
  unsigned new_flags;
  bool reconnect;  // the new socket connects to the same peer after bind()
};

void expect_eof(const Sock& s) {
  wait_readable(s.fd(), "the client to see the server's FIN");
  char c;
  if (::read(s.fd(), &c, 1) != 0) throw std::runtime_error("the client expected EOF");
}

Outcome passive_close(Ctx& ctx, const PassiveRow& row) {
  ConnSpec spec = client_conn(row.family, row.old_flags);
  SockAddr at = make_addr(spec.src_ip, kClientPort), peer = make_addr(spec.dst_ip);
  Opts new_opts = opts_for(row.new_flags);
  Sock listener = listen_on(spec.dst_ip);  // stays open: the reconnect's
  Conn c = connect_pair(ctx, listener, spec);
  c.server.close();  // the server closes first: the client is the passive side
  expect_eof(c.client);
  std::string client_left;
  {
    auto in = ctx.in_client();
    if (row.fd_open) {
      check(shutdown(c.client.fd(), SHUT_WR), "shutdown(client, SHUT_WR)");
      wait_for([&] { return tcp_state(c.client) == TCP_CLOSE; },
               "the client's LAST_ACK to end, its descriptor open");
    } else {
      c.client.close();
      wait_for([] { return sockets_on_port(kClientPort, kConnectionStates).empty(); },
               [] { return "the client's LAST_ACK to end (" + states_on_port(kClientPort) + ")"; });
    }
    client_left = states_on_port(kClientPort);
  }
  wait_for([] { return !sockets_on_port(kPort, state_bit(TCP_TIME_WAIT)).empty(); },
           [] { return "the server's side to reach TIME_WAIT (" + states_on_port(kPort) + ")"; });
  auto attempt = [&] {
    auto in = ctx.in_client();
    Sock s = Sock::open(row.family, Proto::tcp, new_opts);
    Step r = s.bind_listen(at, false);
    if (r.err == 0 && row.reconnect) r = {"connect", s.connect_bounded(peer)};
    return r;
  };
  Step r = attempt();
  std::string server_after = states_on_port(kPort);
  return with_control(
      {r.token(), "client " + at.str() + " (" + flags_text(row.old_flags) +
                      ") got the server's FIN first and " +
                      (row.fd_open ? "shut down for writing (descriptor open)" : "closed") +
                      "; then on its port: " + client_left + "; new socket (" +
                      flags_text(row.new_flags) + ")" +
                      (row.reconnect ? " to the same peer " + peer.str() : "") + ": " + r.call +
                      " " + errno_name(r.err) + "; server port then: " + server_after},
      [&] {
        c.client.close();
        return attempt().token();
      });
}

// --- a refused connect() ------------------------------------------------------
struct RefusedRow {
  std::string id;
  std::string rule;
  int family;
  bool explicit_port;  // bound to kClientPort before connect(), else connect() chose it
  bool fd_open;        // the refused socket is still open when the new one binds
  unsigned old_flags;
  unsigned new_flags;
};

Outcome refused(Ctx& ctx, const RefusedRow& row) {
  SockAddr at = make_addr(cli_of(row.family), kClientPort), dst = make_addr(srv_of(row.family));
  auto in = ctx.in_client();
  // One port in the range: the port connect() chooses is the one the new socket binds.
  if (!row.explicit_port) set_sysctl("net.ipv4.ip_local_port_range", kOnePort.sysctl());
  Sock old = Sock::open(row.family, Proto::tcp, opts_for(row.old_flags));
  if (row.explicit_port)
    if (int err = old.bind(at)) throw SysError("bind the client to " + at.str(), err);
  int err = old.connect_bounded(dst);  // the server namespace has no listener
  if (err != ECONNREFUSED)
    throw std::runtime_error("connect() to " + dst.str() +
                             " without a listener: " + errno_name(err) + ", not ECONNREFUSED");
  std::string left = tcp_state_name(tcp_state(old)) + ", getsockname() port " +
                     std::to_string(local_addr(old.fd()).port());
  if (!row.fd_open) old.close();
  Opts opts = opts_for(row.new_flags);
  Step r = Sock::open(row.family, Proto::tcp, opts).bind_listen(at, false);
  return with_control(
      {r.token(),
       std::string(row.explicit_port ? "bound to " + at.str() : "port chosen by connect()") + " (" +
           flags_text(row.old_flags) + "), connect() to " + dst.str() +
           " refused; the socket is in " + left + (row.fd_open ? ", still open" : ", then closed") +
           "; new socket (" + flags_text(row.new_flags) + ") on " + at.str() + ": " + r.call + " " +
           errno_name(r.err)},
      [&] {
        old.close();
        return Sock::open(row.family, Proto::tcp, opts).bind_listen(at, false).token();
      });
}

// --- the parameters: the followed socket's life as structured steps ---------------
Json op(const std::string& name, JsonObject more = {}) {
  more.insert(more.begin(), {"op", name});
  return Json::object(more);
}

Params life_params(const std::vector<SockParams>& socks, const std::vector<Json>& life,
                   const std::vector<Json>& then, const JsonObject& sysctls = {}) {
  return {{"kind", "tcp_life"},
          {"proto", "tcp"},
          {"sockets", sockets_json(socks)},
          {"sysctls", Json::object(sysctls)},
          {"life", Json::list(life)},
          {"then", Json::list(then)}};
}

SockParams client_sock(int family, unsigned flags, const char* state) {
  SockParams s = sock_params({cli_of(family), flags});
  s.port = kClientPort;
  s.state = state;
  return s;
}

const bool registered = [] {
  auto prefix = [](int family) { return is_v6(family) ? "tcp6.tcp_life." : "tcp4.tcp_life."; };

  // A listener after shutdown().
  std::vector<ListenerRow> listeners;
  for (int family : {AF_INET, AF_INET6}) {
    auto add = [&](const std::string& id, const char* rule, Shut how, unsigned o, unsigned n,
                   After after) {
      listeners.push_back({prefix(family) + id, rule, family, how, o, n, after});
    };
    add("listener_shut_rd.bind.plain", "R1", Shut::rd, 0, 0, After::bind);
    add("listener_shut_rd.peer_connect", "R1", Shut::rd, 0, 0, After::peer_connect);
    add("listener_shut_rd.listen_again", "R1", Shut::rd, 0, 0, After::listen_again);
    if (is_v6(family)) continue;
    add("listener_shut_rd.bind_listen.reuseaddr_both", "R2", Shut::rd, RA, RA, After::bind_listen);
    add("listener_shut_rd.bind.reuseaddr_new_only", "R2", Shut::rd, 0, RA, After::bind);
    add("listener_shut_rdwr.listen_again", "R1", Shut::rdwr, 0, 0, After::listen_again);
    add("listener_shut_wr.peer_connect", "R1", Shut::wr, 0, 0, After::peer_connect);
    add("listener_shut_wr.bind_listen.reuseaddr_both", "R2", Shut::wr, RA, RA, After::bind_listen);
  }
  for (const ListenerRow& row : listeners) {
    const char* any = any_of(row.family);
    std::vector<SockParams> socks{sock_params({any, row.old_flags | LISTEN})};
    std::vector<Json> then;
    std::string after;
    if (row.after == After::bind || row.after == After::bind_listen) {
      unsigned listen = row.after == After::bind_listen ? unsigned{LISTEN} : 0u;
      socks.push_back(sock_params({any, row.new_flags | listen}));
      then.push_back(op("bind", {{"sock", 2}}));
      after = "a new socket " + describe({any, row.new_flags | listen});
    } else {
      if (row.after == After::listen_again) then.push_back(op("listen", {{"sock", 1}}));
      then.push_back(op("peer_connect", {{"peer", srv_of(row.family)}}));
      after = row.after == After::listen_again ? "listen() again, then a client connects"
                                               : "a client connects";
    }
    add_case({row.id, row.rule,
              life_params(socks, {op("shutdown", {{"how", shut_name(row.how)}})}, then),
              [row](Ctx& ctx) { return listener_after_shutdown(ctx, row); },
              prose({{"listener", describe({any, row.old_flags | LISTEN})},
                     {"shutdown", shut_word(row.how)},
                     {"then", after}})});
  }

  // The active closer's FIN_WAIT2.
  std::vector<FinWait2Row> fw2;
  for (int family : {AF_INET, AF_INET6}) {
    auto add = [&](const std::string& id, unsigned o, unsigned n, bool expired) {
      fw2.push_back({prefix(family) + id, family, o, n, expired});
    };
    add("fin_wait2.bind.plain", 0, 0, false);
    add("fin_wait2_expired.bind.plain", 0, 0, true);
    if (is_v6(family)) continue;
    add("fin_wait2.bind.reuseaddr_both", RA, RA, false);
    add("fin_wait2.bind.reuseaddr_new_only", 0, RA, false);
  }
  for (const FinWait2Row& row : fw2) {
    std::vector<Json> life{op("setsockopt", {{"option", "tcp_linger2"}, {"value", kLinger2S}}),
                           op("close")};
    if (row.expired) life.push_back(op("wait", {{"until", "fin_wait2_timeout"}}));
    Params params = life_params({client_sock(row.family, row.old_flags, "connected"),
                                 client_sock(row.family, row.new_flags, "bound")},
                                life, {op("bind", {{"sock", 2}})});
    params.emplace_back("peer", srv_of(row.family));
    // The scheduler starts the cases that wait on a kernel timer first.
    if (row.expired)
      params.emplace_back("timing",
                          Json::object({{"kernel_timer", "tcp_linger2"}, {"seconds", kLinger2S}}));
    add_case(
        {row.id, "R3", params, [row](Ctx& ctx) { return fin_wait2(ctx, row); },
         prose({{"closed_first", "the client (TCP_LINGER2 1 s) while its peer keeps its end open"},
                {"client", describe({cli_of(row.family), row.old_flags}) + " port " +
                               std::to_string(kClientPort)},
                {"when", row.expired ? "after the FIN_WAIT2 ran out" : "in FIN_WAIT2"},
                {"new", describe({cli_of(row.family), row.new_flags}) + " port " +
                            std::to_string(kClientPort)}}),
         kTcpDiagOptions});
  }

  // The passive closer.
  std::vector<PassiveRow> passive;
  for (int family : {AF_INET, AF_INET6}) {
    auto add = [&](const std::string& id, const char* rule, bool fd_open, unsigned o, unsigned n,
                   bool reconnect) {
      passive.push_back({prefix(family) + id, rule, family, fd_open, o, n, reconnect});
    };
    add("passive_close.bind.plain", "R3", false, 0, 0, false);
    add("passive_close.reconnect_same_peer.plain", "R3", false, 0, 0, true);
    if (is_v6(family)) continue;
    add("passive_close_fd_open.bind.plain", "R1", true, 0, 0, false);
    add("passive_close_fd_open.bind.reuseaddr_both", "R2", true, RA, RA, false);
  }
  for (const PassiveRow& row : passive) {
    std::vector<Json> then{op("bind", {{"sock", 2}})};
    if (row.reconnect) then.push_back(op("connect", {{"sock", 2}, {"peer", srv_of(row.family)}}));
    Params params = life_params(
        {client_sock(row.family, row.old_flags, "connected"),
         client_sock(row.family, row.new_flags, "bound")},
        {op("peer_close"), row.fd_open ? op("shutdown", {{"how", "wr"}}) : op("close")}, then);
    params.emplace_back("peer", srv_of(row.family));
    add_case({row.id, row.rule, params, [row](Ctx& ctx) { return passive_close(ctx, row); },
              prose({{"closed_first",
                      "the server, the client gets its FIN and then " +
                          std::string(row.fd_open ? "shuts down for writing" : "closes")},
                     {"client", describe({cli_of(row.family), row.old_flags}) + " port " +
                                    std::to_string(kClientPort)},
                     {"new", describe({cli_of(row.family), row.new_flags}) + " port " +
                                 std::to_string(kClientPort)},
                     {"then", row.reconnect ? "connect to the same peer" : "none"}}),
              kTcpDiagOptions});
  }

  // A refused connect().
  std::vector<RefusedRow> refusals;
  for (int family : {AF_INET, AF_INET6}) {
    auto add = [&](const std::string& id, const char* rule, bool explicit_port, bool fd_open,
                   unsigned o, unsigned n) {
      refusals.push_back({prefix(family) + id, rule, family, explicit_port, fd_open, o, n});
    };
    add("refused.autobound.bind.plain", "R1", false, true, 0, 0);
    add("refused.explicit.bind.plain", "R1", true, true, 0, 0);
    if (is_v6(family)) continue;
    add("refused.explicit.bind.reuseaddr_both", "R2", true, true, RA, RA);
    add("refused.explicit.bind.reuseaddr_new_only", "R2", true, true, 0, RA);
    add("refused.explicit_closed.bind.plain", "R1", true, false, 0, 0);
  }
  for (const RefusedRow& row : refusals) {
    SockParams old = client_sock(row.family, row.old_flags, "bound");
    if (!row.explicit_port) {
      old.addr = any_of(row.family);  // never bound: connect() chose address and port
      old.port = 0;
    }
    std::vector<Json> life{
        op("connect", {{"peer", srv_of(row.family)}, {"peer_listening", false}})};
    if (!row.fd_open) life.push_back(op("close"));
    add_case({row.id, row.rule,
              life_params({old, client_sock(row.family, row.new_flags, "bound")}, life,
                          {op("bind", {{"sock", 2}})},
                          row.explicit_port
                              ? JsonObject{}
                              : JsonObject{{"net.ipv4.ip_local_port_range", kOnePort.json()}}),
              [row](Ctx& ctx) { return refused(ctx, row); },
              prose({{"client", row.explicit_port
                                    ? describe({cli_of(row.family), row.old_flags}) + " port " +
                                          std::to_string(kClientPort)
                                    : "not bound; connect() chooses the one port of the range"},
                     {"connect", std::string(srv_of(row.family)) + ", no listener: refused"},
                     {"refused_socket", row.fd_open ? "still open" : "closed"},
                     {"new", describe({cli_of(row.family), row.new_flags}) + " port " +
                                 std::to_string(kClientPort)}})});
  }
  return true;
}();

}  // namespace
}  // namespace sr
