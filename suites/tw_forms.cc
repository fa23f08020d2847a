// R3, the other forms of TIME_WAIT [tw_forms]. The rule: a TIME_WAIT holds
// its address and port against bind() whichever side closed first, and only
// SO_REUSEADDR on both the socket that went to TIME_WAIT and the new one lets
// a new socket bind there (a listener beside it too, since a TIME_WAIT is not
// listening). What changes with the form:
// - client side: the connecting socket closed first, so its own port is held
//   in the client namespace; connect() from that port to the same peer may
//   take the 4-tuple over when the TIME_WAIT saw TCP timestamps;
// - SO_LINGER {1, 0} closes with a reset and net.ipv4.tcp_max_tw_buckets=0
//   keeps no TIME_WAIT at all: the port is free as soon as the connection is;
// - a dual-stack [::] listener's IPv4 connection leaves a TIME_WAIT on a
//   v4-mapped address, which blocks the IPv4 forms of its address and [::]
//   dual-stack, not [::] V6ONLY or another IPv6 address (R8 with R3);
// - net.ipv4.tcp_tw_reuse lets connect() with an ephemeral port take over a
//   TIME_WAIT's 4-tuple (1: always, 2: over loopback only) once its last
//   timestamp is a second old; bind() is never affected.
// Every state is read from the kernel (inet_diag, TCP_INFO, poll) with a
// bound; the 60 s of TIME_WAIT is never waited out.
#include <netinet/tcp.h>
#include <time.h>

#include <chrono>
#include <optional>
#include <string>

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

std::string flags_text(unsigned f) { return f ? describe({"", f}).substr(1) : "none"; }

Sock listen_plain(const std::string& ip) {
  SockAddr at = make_addr(ip);
  Sock s = Sock::open(at.family(), Proto::tcp);
  Step r = s.bind_listen(at, true);
  if (r.err) throw SysError("listener: " + r.call + " " + at.str(), r.err);
  return s;
}

// --- client side: the connecting socket closed first -----------------------
enum class Then { bind, bind_wildcard, listen, connect };

struct ClientRow {
  std::string id;
  int family;
  unsigned old_flags;  // the client socket that went to TIME_WAIT
  unsigned new_flags;
  Then then;
};

Outcome client_side(Ctx& ctx, const ClientRow& row) {
  bool v6 = row.family == AF_INET6;
  ConnSpec spec;
  spec.dst_ip = v6 ? kSrv6 : kSrv4;
  spec.src_ip = v6 ? kCli6 : kCli4;
  spec.src_port = kClientPort;
  spec.client = opts_for(row.old_flags);
  std::string new_ip = row.then == Then::bind_wildcard ? (v6 ? kAny6 : kAny4) : spec.src_ip;
  SockAddr at = make_addr(new_ip, kClientPort), peer = make_addr(spec.dst_ip);
  Opts new_opts = opts_for(row.new_flags);
  Sock listener = listen_plain(spec.dst_ip);
  std::string seen;  // the client port's sockets right after the attempt
  auto attempt = [&] {
    auto in = ctx.in_client();
    Sock s = Sock::open(at.family(), Proto::tcp, new_opts);
    Step r = s.bind_listen(at, row.then == Then::listen);
    if (r.err == 0 && row.then == Then::connect) r = {"connect", s.connect_bounded(peer)};
    seen = states_on_port(kClientPort);
    if (r.err == 0 && row.then == Then::connect) {
      // Taken off the accept queue and ended with a reset, a connection made
      // here leaves no TIME_WAIT and nothing for the next accept().
      wait_readable(listener.fd(), "the connection to reach the accept queue");
      Sock accepted = listener.accept_nonblock();
      reset_on_close(s);
      s.close();
      if (accepted)
        wait_for([&] { return tcp_state(accepted) == TCP_CLOSE; }, "the connection to be reset");
    }
    return r;
  };
  // The positive control runs first: a TIME_WAIT cannot be closed.
  std::string control = attempt().token();
  if (row.then == Then::connect)
    wait_for([&] { return sockets_on_port(kPort, kConnectionStates).empty(); },
             "the control's connection to be gone from the server");
  Conn c = connect_pair(ctx, listener, spec);
  close_client_first(ctx, c, spec);
  Step r = attempt();
  return with_prior_control(
      {r.token(), "client " + make_addr(spec.src_ip, kClientPort).str() + " (" +
                      flags_text(row.old_flags) +
                      ") closed first and is in TIME_WAIT; new socket (" +
                      flags_text(row.new_flags) + ") on " + at.str() + ": " + r.call + " " +
                      errno_name(r.err) + "; then on the port: " + seen},
      control);
}

// --- no TIME_WAIT: a reset, or tcp_max_tw_buckets=0 ---------------------------
enum class Ending { server_reset, client_reset, no_tw_buckets };

Outcome without_timewait(Ctx& ctx, int family, Ending how) {
  bool v6 = family == AF_INET6, client_port = how == Ending::client_reset;
  if (how == Ending::no_tw_buckets) set_sysctl("net.ipv4.tcp_max_tw_buckets", "0");
  ConnSpec spec;
  spec.dst_ip = v6 ? kSrv6 : kSrv4;
  if (client_port) {
    spec.src_ip = v6 ? kCli6 : kCli4;
    spec.src_port = kClientPort;
  }
  // The port the side that closed first held: the client's, or the server's listening port.
  SockAddr at = client_port ? make_addr(spec.src_ip, kClientPort) : make_addr(v6 ? kAny6 : kAny4);
  auto attempt = [&] {
    std::optional<InNs> in;
    if (client_port) in.emplace(ctx.topo.client());
    return Sock::open(family, Proto::tcp).bind_listen(at, !client_port);
  };
  std::string control = attempt().token();  // before any connection existed
  Sock listener = listen_plain(v6 ? kAny6 : kAny4);
  Conn c = connect_pair(ctx, listener, spec);
  listener.close();
  std::string left;
  if (client_port) {
    close_client_first(ctx, c, spec, true);
    auto in = ctx.in_client();
    left = states_on_port(kClientPort);
  } else {
    close_server_first(c, how == Ending::server_reset);
    left = states_on_port(kPort);
  }
  Step r = attempt();
  const char* ending = how == Ending::server_reset ? "the server closed with SO_LINGER {1, 0}"
                       : how == Ending::client_reset
                           ? "the client closed with SO_LINGER {1, 0}"
                           : "tcp_max_tw_buckets=0, the server closed first";
  return with_prior_control(
      {r.token(), std::string(ending) + "; sockets left on the port: " + left +
                      "; a plain socket on " + at.str() + ": " + r.call + " " + errno_name(r.err)},
      control);
}

// --- tcp_tw_reuse: connect() over a TIME_WAIT's 4-tuple ----------------------
// The kernel lets connect() take a TIME_WAIT over only once the TIME_WAIT's
// last timestamp is older than a second (whole seconds of the monotonic clock,
// or net.ipv4.tcp_tw_reuse_delay ms where that exists, 1000 by default). The
// case waits for that condition on the same clock; it is the rule's own delay,
// not the TIME_WAIT's 60 s, and every variant waits alike.
constexpr std::chrono::milliseconds kReuseAge{1100};

std::chrono::steady_clock::time_point monotonic_now() { return std::chrono::steady_clock::now(); }

Outcome tw_reuse(Ctx& ctx, const std::string& reuse, bool loopback) {
  const PortRange one{kClientPort, kClientPort};
  ConnSpec spec;
  spec.dst_ip = loopback ? kLo4 : kSrv4;
  spec.client_here = loopback;
  {
    std::optional<InNs> in;
    if (!loopback) in.emplace(ctx.topo.client());
    set_sysctl("net.ipv4.ip_local_port_range", one.sysctl());
    set_sysctl("net.ipv4.tcp_tw_reuse", reuse);
  }
  Sock listener = listen_plain(spec.dst_ip);
  // The first connection is the positive control: the same connect() on a
  // fresh socket before the TIME_WAIT existed.
  Conn c = connect_pair(ctx, listener, spec);
  uint16_t first = local_addr(c.client.fd()).port();
  if (first != kClientPort)
    return {port_token(first, one), "the first connect() took port " + std::to_string(first)};
  close_client_first(ctx, c, spec);
  auto since = monotonic_now();
  wait_for([&] { return monotonic_now() - since >= kReuseAge; },
           "the TIME_WAIT's last timestamp to be a second old");
  Sock again = open_client(ctx, spec);
  int err = again.connect_bounded(make_addr(spec.dst_ip));
  std::string token = call_token("connect", err);
  if (!err && local_addr(again.fd()).port() != kClientPort) token = "port_outside_range";
  std::string left = [&] {
    std::optional<InNs> in;
    if (!loopback) in.emplace(ctx.topo.client());
    return states_on_port(kClientPort);
  }();
  return with_prior_control(
      {token, "local port range " + one.sysctl() + ", tcp_tw_reuse=" + reuse + ", the client's " +
                  std::to_string(kClientPort) + " -> " + spec.dst_ip + ":" + std::to_string(kPort) +
                  " in TIME_WAIT (client closed first); a new connect(): " + errno_name(err) +
                  "; then on the port: " + left},
      "ok");
}

const bool registered = [] {
  // Client side.
  std::vector<ClientRow> rows;
  for (int family : {AF_INET, AF_INET6}) {
    std::string p = family == AF_INET ? "tcp4.tw_forms.client_side." : "tcp6.tw_forms.client_side.";
    auto add = [&](const std::string& id, unsigned o, unsigned n, Then then) {
      rows.push_back({p + id, family, o, n, then});
    };
    add("bind.plain", 0, 0, Then::bind);
    add("bind.reuseaddr_both", RA, RA, Then::bind);
    add("connect_same_peer.reuseaddr_both", RA, RA, Then::connect);
    if (family == AF_INET6) continue;
    add("bind.reuseaddr_new_only", 0, RA, Then::bind);
    add("bind.reuseaddr_old_only", RA, 0, Then::bind);
    add("bind_wildcard.plain", 0, 0, Then::bind_wildcard);
    add("bind_wildcard.reuseaddr_both", RA, RA, Then::bind_wildcard);
    add("listen.reuseaddr_both", RA, RA, Then::listen);
  }
  // The model (kind client_timewait) reads the client socket that went to
  // TIME_WAIT, its peer, the new socket and what it does after bind().
  for (const ClientRow& row : rows) {
    bool v6 = row.family == AF_INET6;
    const char* cli = v6 ? kCli6 : kCli4;
    const char* new_ip = row.then == Then::bind_wildcard ? (v6 ? kAny6 : kAny4) : cli;
    unsigned listen = row.then == Then::listen ? LISTEN : 0u;
    SockParams old_sock = sock_params({cli, row.old_flags}),
               new_sock = sock_params({new_ip, row.new_flags | listen});
    old_sock.state = "timewait";
    old_sock.port = new_sock.port = kClientPort;
    bool connect = row.then == Then::connect;
    Words words{
        {"closed_first", "client"},
        {"timewait", describe({cli, row.old_flags}) + " port " + std::to_string(kClientPort)},
        {"peer", v6 ? kSrv6 : kSrv4},
        {"new",
         describe({new_ip, row.new_flags | listen}) + " port " + std::to_string(kClientPort)},
        {"then", connect ? "connect to the same peer" : "none"}};
    add_case({row.id,
              "R3",
              {{"kind", "client_timewait"},
               {"proto", "tcp"},
               {"sockets", sockets_json({old_sock, new_sock})},
               {"sysctls", Json::object({})},
               {"closed_first", "client"},
               {"peer", v6 ? kSrv6 : kSrv4},
               {"then", connect ? "connect_same_peer" : "none"}},
              [row](Ctx& ctx) { return client_side(ctx, row); },
              prose(words),
              kTcpDiagOptions});
  }

  // Endings that leave no TIME_WAIT.
  for (auto [id, family, how, name, what] :
       {std::tuple{"tcp4.tw_forms.linger0.server_closes", AF_INET, Ending::server_reset,
                   "server_linger0", "SO_LINGER {1, 0} on the server's socket"},
        std::tuple{"tcp6.tw_forms.linger0.server_closes", AF_INET6, Ending::server_reset,
                   "server_linger0", "SO_LINGER {1, 0} on the server's socket"},
        std::tuple{"tcp4.tw_forms.linger0.client_closes", AF_INET, Ending::client_reset,
                   "client_linger0", "SO_LINGER {1, 0} on the client's socket"},
        std::tuple{"tcp4.tw_forms.max_tw_buckets_0", AF_INET, Ending::no_tw_buckets,
                   "max_tw_buckets_0", "net.ipv4.tcp_max_tw_buckets=0"},
        std::tuple{"tcp6.tw_forms.max_tw_buckets_0", AF_INET6, Ending::no_tw_buckets,
                   "max_tw_buckets_0", "net.ipv4.tcp_max_tw_buckets=0"}}) {
    int f = family;
    Ending h = how;
    bool v6 = family == AF_INET6, client = how == Ending::client_reset;
    // Where the TIME_WAIT would be, and the plain socket that binds there after.
    std::string at = client ? std::string(v6 ? kCli6 : kCli4) : std::string(v6 ? kSrv6 : kSrv4);
    SockSpec fresh{client ? at.c_str() : (v6 ? kAny6 : kAny4), client ? 0u : unsigned{LISTEN}};
    SockParams would_be = sock_params({at.c_str(), 0});
    would_be.state = "timewait";
    Params params{{"kind", "no_timewait"},
                  {"proto", "tcp"},
                  {"sockets", sockets_json({would_be, sock_params(fresh)})},
                  {"sysctls", how == Ending::no_tw_buckets
                                  ? Json::object({{"net.ipv4.tcp_max_tw_buckets", 0}})
                                  : Json::object({})},
                  {"ending", name},
                  {"closed_first", client ? "client" : "server"}};
    Words words{{"ending", what},
                {"closed_first", client ? "client" : "server"},
                {"timewait_would_be", at},
                {"new", describe(fresh)}};
    add_case({id, "R3", params, [f, h](Ctx& ctx) { return without_timewait(ctx, f, h); },
              prose(words), kTcpDiagOptions});
  }

  // A dual-stack [::] listener's IPv4 connection: TIME_WAIT on a v4-mapped address.
  struct MappedRow {
    const char* id;
    const char* new_ip;
    unsigned old_flags, new_flags;
  };
  for (const MappedRow& m : {MappedRow{"then_any4.plain", kAny4, 0, 0},
                             MappedRow{"then_any4.reuseaddr_both", kAny4, RA, RA},
                             MappedRow{"then_srv4.plain", kSrv4, 0, 0},
                             MappedRow{"then_mapped_srv4.plain", kMappedSrv4, 0, DUAL},
                             MappedRow{"then_any6_dual.plain", kAny6, 0, DUAL},
                             MappedRow{"then_any6_v6only.plain", kAny6, 0, V6ONLY},
                             MappedRow{"then_srv6.plain", kSrv6, 0, 0}}) {
    TimeWaitSpec spec;
    spec.listen_ip = kAny6;
    spec.connect_ip = kSrv4;
    spec.listener_flags = m.old_flags | DUAL;
    SockSpec fresh{m.new_ip, m.new_flags | LISTEN};
    add_case({std::string("tcp46.tw_forms.mapped.") + m.id, "R3", timewait_params(spec, fresh),
              [spec, fresh](Ctx& ctx) { return rebind_beside_timewait(ctx, spec, fresh); },
              prose(timewait_words(spec, fresh)), kTcpDiagOptions});
  }

  // tcp_tw_reuse for outgoing connections.
  for (auto [reuse, loopback] :
       {std::pair{"0", false}, std::pair{"1", false}, std::pair{"2", false}, std::pair{"0", true},
        std::pair{"2", true}}) {
    std::string r = reuse;
    bool lo = loopback;
    const PortRange one{kClientPort, kClientPort};
    add_case({std::string("tcp4.tw_forms.tw_reuse_") + reuse + ".connect_" +
                  (loopback ? "loopback" : "veth"),
              "R3",
              {{"kind", "tw_reuse_connect"},
               {"proto", "tcp"},
               {"sysctls", Json::object({{"net.ipv4.tcp_tw_reuse", std::stoi(r)},
                                         {"net.ipv4.ip_local_port_range", one.json()}})},
               {"peer", loopback ? kLo4 : kSrv4},
               {"timewait", "client_same_peer"},
               // The scheduler starts the cases that wait on a kernel timer first.
               {"timing", Json::object({{"kernel_timer", "tcp_tw_reuse_delay"}, {"seconds", 1}})}},
              [r, lo](Ctx& ctx) { return tw_reuse(ctx, r, lo); },
              prose({{"tcp_tw_reuse", reuse},
                     {"peer", loopback ? kLo4 : kSrv4},
                     {"timewait", "the client's connection to the same peer, closed first"},
                     {"ip_local_port_range", "one port"}}),
              kTcpDiagOptions});
  }
  return true;
}();

}  // namespace
}  // namespace sr
