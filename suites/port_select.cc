// R1 (with R2, R4, R5 where an option or a second address decides), which port
// the kernel picks [port_select]. The rule: bind(0) and connect() take a free
// port of net.ipv4.ip_local_port_range and skip net.ipv4.ip_local_reserved_ports,
// which an explicit bind() may still take. For bind(0) a port is free only if
// no socket holds it on a conflicting address: TCP's bind(0) never shares a
// port through SO_REUSEADDR or SO_REUSEPORT (unless ip_autobind_reuse), though
// an explicit bind() may join it; UDP's bind(0) shares where both sockets
// allow it. IP_BIND_ADDRESS_NO_PORT leaves the port to connect(), where TCP
// picks per 4-tuple, so one port serves several peers but not one peer twice;
// UDP's connect() then picks like bind(0).
// Each case shrinks the range (and reserves ports) in its own namespace, so the
// right port is exactly one and the outcome never depends on chance.
#include <netinet/in.h>
#include <netinet/tcp.h>

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

const PortRange kOnePort{40000, 40000};
const PortRange kTwoPorts{40000, 40001};
constexpr uint16_t kReservedPort = 40000;

void use_ports(const PortRange& range, bool reserve) {
  set_sysctl("net.ipv4.ip_local_port_range", range.sysctl());
  if (reserve) set_sysctl("net.ipv4.ip_local_reserved_ports", std::to_string(kReservedPort));
}

Json port_sysctls(const PortRange& range, bool reserve) {
  return Json::object({{"net.ipv4.ip_local_port_range", range.json()},
                       {"net.ipv4.ip_local_reserved_ports",
                        reserve ? Json::list({kReservedPort}) : Json::list({})}});
}

// Client sockets that bind to `bind_ip` with port 0 (none: they only
// connect), then connect in order to `peers`: "none", "one" or "two".
Params client_params(Proto proto, const PortRange& range, bool reserve, bool no_port,
                     const char* bind_ip, int clients, const std::string& peers) {
  SockParams client{bind_ip ? bind_ip : "", 0, Opts{}, peers == "none" ? "bound" : "connected", {}};
  return {{"kind", "client_ports"},
          {"proto", proto_name(proto)},
          {"sockets",
           bind_ip ? sockets_json(std::vector<SockParams>(clients, client)) : Json::list({})},
          {"sysctls", port_sysctls(range, reserve)},
          {"clients", clients},
          {"bind_address_no_port", no_port},
          {"peers", peers == "none"  ? 0
                    : peers == "one" ? 1
                                     : 2}};
}

// --- bind() sequences in the server namespace -------------------------------
struct PortSock {
  const char* addr;
  unsigned flags;
  uint16_t port;  // 0: bind(0)
};

struct PortRow {
  std::string id;
  std::string rule;
  Proto proto;
  bool reserve;  // range 40000-40001 with 40000 reserved, else the one port 40000
  std::vector<PortSock> socks;
};

std::string describe_port(const PortSock& s) {
  return describe({s.addr, s.flags}) + (s.port ? " port " + std::to_string(s.port) : " bind(0)");
}

Outcome port_sequence(const PortRow& row) {
  const PortRange& range = row.reserve ? kTwoPorts : kOnePort;
  std::vector<uint16_t> reserved;
  if (row.reserve) reserved.push_back(kReservedPort);
  use_ports(range, row.reserve);
  std::vector<Sock> held;
  std::string detail = "ports " + range.sysctl() + (row.reserve ? ", 40000 reserved" : "");
  for (size_t i = 0; i < row.socks.size(); ++i) {
    const PortSock& spec = row.socks[i];
    SockAddr at = make_addr(spec.addr, spec.port);
    held.push_back(Sock::open(at.family(), row.proto, opts_for(spec.flags)));
    int err = held.back().bind(at);
    uint16_t got = err ? 0 : local_addr(held.back().fd()).port();
    std::string which = "sock" + std::to_string(i + 1);
    detail += "; " + which + " " + describe_port(spec) + ": " +
              (err ? errno_name(err) : "port " + std::to_string(got));
    bool last = i + 1 == row.socks.size();
    if (err) {
      Outcome o{last ? call_token("bind", err) : which + "." + call_token("bind", err), detail};
      return with_busy_control(std::move(o), [&] {
        held.clear();  // every earlier socket is a blocker
        return call_token("bind",
                          Sock::open(at.family(), row.proto, opts_for(spec.flags)).bind(at));
      });
    }
    // A port picked outside the rule is the answer, whichever socket got it.
    std::string word = spec.port ? "ok" : port_token(got, range, reserved);
    if (last || (word != "ok" && word != "port_in_range" && word != "reserved_skipped"))
      return {word, detail};
  }
  throw std::logic_error("unreachable");
}

// --- IP_BIND_ADDRESS_NO_PORT and connect(), in the client namespace ----------
void no_port(const Sock& s) {
  int one = 1;
  check(setsockopt(s.fd(), IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof one),
        "IP_BIND_ADDRESS_NO_PORT");
}

// A client socket bound to the client's address with port 0.
Sock bound_client(int family, Proto proto, bool defer_port, int& err) {
  Sock s = Sock::open(family, proto);
  if (defer_port) no_port(s);
  err = s.bind(make_addr(family == AF_INET6 ? kCli6 : kCli4, 0));
  return s;
}

enum class NoPort { bound_port, two_peers, same_peer, without_option };

Outcome no_port_case(Ctx& ctx, int family, Proto proto, NoPort what) {
  bool v6 = family == AF_INET6, tcp = proto == Proto::tcp;
  const char* srv = v6 ? kSrv6 : kSrv4;
  SockAddr peer1 = make_addr(srv, kPort), peer2 = make_addr(srv, kPort + 1);
  std::vector<Sock> listeners;
  if (tcp)
    for (const SockAddr& p : {peer1, peer2}) {
      listeners.push_back(Sock::open(family, Proto::tcp));
      Step r = listeners.back().bind_listen(p, true);
      if (r.err) throw SysError("listener: " + r.call + " " + p.str(), r.err);
    }
  auto in = ctx.in_client();
  use_ports(kOnePort, false);
  bool defer = what != NoPort::without_option;
  auto attempt = [&](Sock& s, const SockAddr& to) {
    return Step{"connect", tcp ? s.connect_bounded(to) : s.connect(to)};
  };
  int err = 0;
  std::string detail = "ports " + kOnePort.sysctl() + ", client sockets bound to " +
                       std::string(v6 ? kCli6 : kCli4) + ":0" +
                       (defer ? " with IP_BIND_ADDRESS_NO_PORT" : "");

  if (what == NoPort::bound_port) {
    Sock a = bound_client(family, proto, defer, err);
    if (err) throw SysError("bind the client", err);
    uint16_t got = local_addr(a.fd()).port();
    return {got == 0 ? "port_deferred" : port_token(got, kOnePort),
            detail + "; after bind() the socket's port reads " + std::to_string(got)};
  }

  std::string control;
  if (what == NoPort::same_peer) {
    // The control runs first, on a connection that ends in a reset (no
    // TIME_WAIT), and the server's side of it is gone before the case goes on.
    Sock x = bound_client(family, proto, defer, err);
    control = err ? call_token("bind", err) : attempt(x, peer1).token();
    reset_on_close(x);
    x.close();
    InNs server(ctx.topo.server);
    wait_for([] { return sockets_on_port(kPort, kConnectionStates).empty(); },
             "the control's connection to be gone from the server");
  }
  Sock a = bound_client(family, proto, defer, err);
  if (err) throw SysError("bind the first client", err);
  if (Step r = attempt(a, peer1); r.err) throw SysError("connect the first client", r.err);
  uint16_t first = local_addr(a.fd()).port();
  detail += "; sock1 -> " + peer1.str() + " from port " + std::to_string(first);
  const SockAddr& to = what == NoPort::same_peer ? peer1 : peer2;
  Sock b = bound_client(family, proto, defer, err);
  Step r = err ? Step{"bind", err} : attempt(b, to);
  detail += "; sock2 -> " + to.str() + ": " + r.call + " " + errno_name(r.err);
  if (r.err == 0) {
    uint16_t second = local_addr(b.fd()).port();
    detail += " from port " + std::to_string(second);
    return {second == first ? port_token(second, kOnePort) : "port_outside_range", detail};
  }
  Outcome o{r.token(), detail};
  if (what == NoPort::same_peer) return with_prior_control(std::move(o), control);
  return with_busy_control(std::move(o), [&] {
    if (tcp) reset_on_close(a);  // a reset leaves no TIME_WAIT to hold the port
    a.close();
    int e = 0;
    Sock fresh = bound_client(family, proto, defer, e);
    return e ? call_token("bind", e) : attempt(fresh, to).token();
  });
}

// connect() without bind() picks its port like bind(0): the reserved one is skipped.
Outcome connect_skips_reserved(Ctx& ctx) {
  Sock listener = Sock::open(AF_INET, Proto::tcp);
  if (Step r = listener.bind_listen(make_addr(kSrv4), true); r.err)
    throw SysError("listener: " + r.call, r.err);
  auto in = ctx.in_client();
  use_ports(kTwoPorts, true);
  Sock c = Sock::open(AF_INET, Proto::tcp);
  if (int err = c.connect_bounded(make_addr(kSrv4))) return {call_token("connect", err), ""};
  uint16_t got = local_addr(c.fd()).port();
  return {port_token(got, kTwoPorts, {kReservedPort}),
          "ports " + kTwoPorts.sysctl() + ", 40000 reserved; connect() without bind() took port " +
              std::to_string(got)};
}

const bool registered = [] {
  const std::vector<PortRow> rows = {
      {"tcp4.port_select.one_port.bind0_twice.plain",
       "R1",
       Proto::tcp,
       false,
       {{kSrv4, 0, 0}, {kSrv4, 0, 0}}},
      {"tcp4.port_select.one_port.bind0_twice.reuseaddr",
       "R2",
       Proto::tcp,
       false,
       {{kSrv4, RA, 0}, {kSrv4, RA, 0}}},
      {"tcp4.port_select.one_port.bind0_twice.reuseport",
       "R5",
       Proto::tcp,
       false,
       {{kSrv4, RP, 0}, {kSrv4, RP, 0}}},
      {"tcp4.port_select.one_port.bind0_other_addr",
       "R4",
       Proto::tcp,
       false,
       {{kSrv4, 0, 0}, {kSrv4b, 0, 0}}},
      {"tcp4.port_select.one_port.bind0_then_explicit.reuseport",
       "R5",
       Proto::tcp,
       false,
       {{kSrv4, RP, 0}, {kSrv4, RP, 40000}}},
      {"tcp4.port_select.one_port.explicit_then_bind0.reuseport",
       "R5",
       Proto::tcp,
       false,
       {{kSrv4, RP, 40000}, {kSrv4, RP, 0}}},
      {"tcp6.port_select.one_port.bind0_twice.plain",
       "R1",
       Proto::tcp,
       false,
       {{kSrv6, 0, 0}, {kSrv6, 0, 0}}},
      {"udp4.port_select.one_port.bind0_twice.plain",
       "R1",
       Proto::udp,
       false,
       {{kSrv4, 0, 0}, {kSrv4, 0, 0}}},
      {"udp4.port_select.one_port.bind0_twice.reuseaddr",
       "R2",
       Proto::udp,
       false,
       {{kSrv4, RA, 0}, {kSrv4, RA, 0}}},
      {"udp4.port_select.one_port.bind0_twice.reuseport",
       "R5",
       Proto::udp,
       false,
       {{kSrv4, RP, 0}, {kSrv4, RP, 0}}},
      {"udp6.port_select.one_port.bind0_twice.reuseaddr",
       "R2",
       Proto::udp,
       false,
       {{kSrv6, RA, 0}, {kSrv6, RA, 0}}},
      {"tcp4.port_select.reserved.bind0", "R1", Proto::tcp, true, {{kSrv4, 0, 0}}},
      {"tcp6.port_select.reserved.bind0", "R1", Proto::tcp, true, {{kSrv6, 0, 0}}},
      {"udp4.port_select.reserved.bind0", "R1", Proto::udp, true, {{kSrv4, 0, 0}}},
      {"tcp4.port_select.reserved.explicit", "R1", Proto::tcp, true, {{kSrv4, 0, kReservedPort}}},
      {"tcp4.port_select.reserved.bind0_rest_busy",
       "R1",
       Proto::tcp,
       true,
       {{kSrv4, 0, 40001}, {kSrv4, 0, 0}}},
      {"udp4.port_select.reserved.bind0_rest_busy",
       "R1",
       Proto::udp,
       true,
       {{kSrv4, 0, 40001}, {kSrv4, 0, 0}}},
  };
  for (const PortRow& row : rows) {
    const PortRange& range = row.reserve ? kTwoPorts : kOnePort;
    std::vector<SockParams> socks;
    Words words{{"ip_local_port_range", range.sysctl()},
                {"ip_local_reserved_ports", row.reserve ? std::to_string(kReservedPort) : ""}};
    for (size_t i = 0; i < row.socks.size(); ++i) {
      socks.push_back(sock_params({row.socks[i].addr, row.socks[i].flags}));
      socks.back().port = row.socks[i].port;
      words.emplace_back("sock" + std::to_string(i + 1), describe_port(row.socks[i]));
    }
    Params params{{"kind", "port_sequence"},
                  {"proto", proto_name(row.proto)},
                  {"sockets", sockets_json(socks)},
                  {"sysctls", port_sysctls(range, row.reserve)}};
    add_case(only_binds(
        {row.id, row.rule, params, [row](Ctx&) { return port_sequence(row); }, prose(words)}));
  }

  struct NoPortRow {
    const char* id;
    int family;
    Proto proto;
    NoPort what;
    const char* sockets;  // how many client sockets bind (and connect, in order)
    const char* peers;    // none, one (both to the same peer) or two
  };
  for (const NoPortRow& n : {NoPortRow{"tcp4.port_select.no_port.bound_port", AF_INET, Proto::tcp,
                                       NoPort::bound_port, "1", "none"},
                             NoPortRow{"tcp4.port_select.no_port.two_peers", AF_INET, Proto::tcp,
                                       NoPort::two_peers, "2", "two"},
                             NoPortRow{"tcp6.port_select.no_port.two_peers", AF_INET6, Proto::tcp,
                                       NoPort::two_peers, "2", "two"},
                             NoPortRow{"tcp4.port_select.no_port.same_peer", AF_INET, Proto::tcp,
                                       NoPort::same_peer, "2", "one"},
                             NoPortRow{"tcp4.port_select.no_port.without_option", AF_INET,
                                       Proto::tcp, NoPort::without_option, "2", "two"},
                             NoPortRow{"udp4.port_select.no_port.two_peers", AF_INET, Proto::udp,
                                       NoPort::two_peers, "2", "two"}}) {
    NoPortRow row = n;
    bool no_port = row.what != NoPort::without_option;
    const char* cli = row.family == AF_INET6 ? kCli6 : kCli4;
    add_case(
        {row.id, "R1",
         client_params(row.proto, kOnePort, false, no_port, cli, std::stoi(row.sockets), row.peers),
         [row](Ctx& ctx) { return no_port_case(ctx, row.family, row.proto, row.what); },
         prose({{"ip_local_port_range", kOnePort.sysctl()},
                {"ip_local_reserved_ports", ""},
                {"IP_BIND_ADDRESS_NO_PORT", no_port ? "1" : "0"},
                {"bind", std::string(cli) + " port 0"},
                {"sockets", row.sockets},
                {"peers", row.peers}}),
         // Only the same-peer row waits for its control's connection to go.
         row.what == NoPort::same_peer ? kTcpDiagOptions : KernelOptions{}});
  }
  add_case({"tcp4.port_select.reserved.connect", "R1",
            client_params(Proto::tcp, kTwoPorts, true, false, nullptr, 1, "one"),
            connect_skips_reserved,
            prose({{"ip_local_port_range", kTwoPorts.sysctl()},
                   {"ip_local_reserved_ports", std::to_string(kReservedPort)},
                   {"IP_BIND_ADDRESS_NO_PORT", "0"},
                   {"bind", "none"},
                   {"sockets", "1"},
                   {"peers", "one"}})});
  return true;
}();

}  // namespace
}  // namespace sr
