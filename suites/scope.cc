// Scopes [scope]: IPv6 link-local addresses, and the namespace's default for
// IPV6_V6ONLY. The rules:
// - R6: binding a link-local address needs an interface, from sin6_scope_id or
//   an earlier SO_BINDTODEVICE (a scope id given to bind() overrides the
//   latter); without one bind() fails with EINVAL. The socket is then bound to
//   that interface, so one address on two interfaces (fe80::1 on s0 and on s1)
//   behaves like two device-bound sockets: they share the port, and a
//   connection is taken by the socket of the interface it arrives on. On one
//   interface, or beside a socket bound to no device, R1 and R4 decide.
// - R8: net.ipv6.bindv6only is only the default of IPV6_V6ONLY, read when the
//   socket is made: with 1, [::] leaves 0.0.0.0 free unless the socket sets
//   IPV6_V6ONLY=0, and a V6ONLY socket cannot bind a v4-mapped address.
// The link-local addresses are added by each case in its own namespaces, not
// by the shared topology.
#include <string>

#include "fixtures/receiver.h"
#include "fixtures/sequence.h"
#include "fixtures/sock_params.h"
#include "fixtures/sysctl_step.h"
#include "netns/error.h"
#include "netns/local_route.h"
#include "netns/rtnl.h"
#include "netns/wait.h"

namespace sr {
namespace {

const char* const kServerDevs[] = {topo::kS0.name, topo::kS1.name};
const char* const kClientDevs[] = {topo::kC0.name, topo::kC1.name};

// The server's link-local address scoped to a device: "fe80::1%s0".
std::string scoped(const char* dev) { return std::string(kLinkLocalSrv) + "%" + dev; }

void need_ipv6(Ctx& ctx) {
  if (!ctx.topo.ipv6)
    throw Skip("this kernel has no IPv6 (CONFIG_IPV6): the case needs link-local addresses");
}

// fe80::1 on s0 and on s1 of the server namespace (no DAD: usable at once).
void server_link_locals(Ctx& ctx) {
  need_ipv6(ctx);
  Rtnl nl;
  for (const char* dev : kServerDevs) nl.add_address(dev, topo::kServerLlCidr);
}

// --- bind() sequences ----------------------------------------------------------
const std::string kOnS0 = scoped(topo::kS0.name);
const std::string kOnS1 = scoped(topo::kS1.name);
const std::string kOnLo = scoped(topo::kLo.name);

const bool link_local_rows = add_bind_cases(
    {
        {"tcp6.scope.link_local.two_links",
         "R6",
         Proto::tcp,
         {{kOnS0.c_str(), LISTEN}, {kOnS1.c_str(), LISTEN}}},
        {"tcp6.scope.link_local.same_link",
         "R1",
         Proto::tcp,
         {{kOnS0.c_str(), LISTEN}, {kOnS0.c_str(), LISTEN}}},
        {"udp6.scope.link_local.two_links",
         "R6",
         Proto::udp,
         {{kOnS0.c_str(), 0}, {kOnS1.c_str(), 0}}},
        {"udp6.scope.link_local.same_link",
         "R1",
         Proto::udp,
         {{kOnS0.c_str(), 0}, {kOnS0.c_str(), 0}}},
        {"tcp6.scope.link_local.no_scope_id", "R6", Proto::tcp, {{kLinkLocalSrv, 0}}},
        {"udp6.scope.link_local.no_scope_id", "R6", Proto::udp, {{kLinkLocalSrv, 0}}},
        {"tcp6.scope.link_local.no_scope_id.dev_s0", "R6", Proto::tcp, {{kLinkLocalSrv, DEV_S0}}},
        {"tcp6.scope.link_local.scope_overrides_device",
         "R6",
         Proto::tcp,
         {{kOnS1.c_str(), DEV_S0 | LISTEN}, {kOnS1.c_str(), LISTEN}}},
        {"tcp6.scope.link_local.scope_without_address", "R6", Proto::tcp, {{kOnLo.c_str(), 0}}},
        {"tcp6.scope.link_local.then_any6",
         "R4",
         Proto::tcp,
         {{kOnS0.c_str(), LISTEN}, {kAny6, LISTEN}}},
        {"tcp6.scope.any6_then_link_local",
         "R4",
         Proto::tcp,
         {{kAny6, LISTEN}, {kOnS0.c_str(), LISTEN}}},
        {"tcp6.scope.link_local.then_any6_dev_s1",
         "R6",
         Proto::tcp,
         {{kOnS0.c_str(), LISTEN}, {kAny6, DEV_S1 | LISTEN}}},
    },
    {{"kind", "scoped_sequence"},
     {"link_local", Json::object({{"addr", kLinkLocalSrv},
                                  {"links", Json::list({kServerDevs[0], kServerDevs[1]})}})}},
    server_link_locals,
    {{"link_local",
      std::string(topo::kServerLlCidr) + " on " + kServerDevs[0] + " and " + kServerDevs[1]}});

// --- which socket a connection reaches ---------------------------------------------
// Two listeners on fe80::1, one per interface; the client connects to fe80::1
// through c0 or c1, from its own fe80::2 there. Every address has a permanent
// neighbour entry and its local route before the connection starts.
Outcome accepted_via(Ctx& ctx, bool via_s1) {
  server_link_locals(ctx);
  {
    Rtnl nl;
    nl.add_neighbour(topo::kS0.name, kLinkLocalCli, kMacC0);
    nl.add_neighbour(topo::kS1.name, kLinkLocalCli, kMacC1);
  }
  {
    auto in = ctx.in_client();
    Rtnl nl;
    for (const char* dev : kClientDevs) nl.add_address(dev, topo::kClientLlCidr);
    nl.add_neighbour(topo::kC0.name, kLinkLocalSrv, kMacS0);
    nl.add_neighbour(topo::kC1.name, kLinkLocalSrv, kMacS1);
    for (const char* dev : kClientDevs)
      wait_for([&] { return has_local_route(kLinkLocalCli, dev); },
               std::string("the local route of ") + kLinkLocalCli + " on " + dev);
  }
  for (const char* dev : kServerDevs)
    wait_for([&] { return has_local_route(kLinkLocalSrv, dev); },
             std::string("the local route of ") + kLinkLocalSrv + " on " + dev);
  std::vector<Sock> ls;
  for (const std::string& at : {kOnS0, kOnS1}) {
    ls.push_back(Sock::open(AF_INET6, Proto::tcp));
    Step r = ls.back().bind_listen(make_addr(at), true);
    if (r.err) throw SysError("listener " + at + ": " + r.call, r.err);
  }
  const char* dev = kClientDevs[via_s1 ? 1 : 0];
  auto in = ctx.in_client();
  Sock client = Sock::open(AF_INET6, Proto::tcp);
  SockAddr src = make_addr(std::string(kLinkLocalCli) + "%" + dev, 0);
  if (int err = client.bind(src)) throw SysError("bind the client to " + src.str(), err);
  SockAddr dst = make_addr(std::string(kLinkLocalSrv) + "%" + dev);
  std::string word = tcp_receiver(client, dst, {{&ls[0], "first_bound"}, {&ls[1], "last_bound"}});
  auto at = [](const std::string& a) { return "[" + a + "]:" + std::to_string(kPort); };
  return {word, "listeners on " + at(kOnS0) + " (first) and " + at(kOnS1) + " (last); client " +
                    src.str() + " connects to " + dst.str()};
}

const bool accepted = [] {
  for (bool via_s1 : {false, true})
    add_case({std::string("tcp6.scope.link_local.accept_via_") + kServerDevs[via_s1 ? 1 : 0],
              "R6",
              {{"kind", "scoped_accept"},
               {"proto", "tcp"},
               {"sockets", sockets_json(std::vector<SockSpec>{{kOnS0.c_str(), LISTEN},
                                                              {kOnS1.c_str(), LISTEN}})},
               {"sysctls", Json::object({})},
               {"arrives_on", kServerDevs[via_s1 ? 1 : 0]}},
              [via_s1](Ctx& ctx) { return accepted_via(ctx, via_s1); },
              prose({{"listeners", std::string(kOnS0).append(", ").append(kOnS1)},
                     {"arrives_on", kServerDevs[via_s1 ? 1 : 0]}})});
  return true;
}();

// --- net.ipv6.bindv6only --------------------------------------------------------
void bindv6only(const char* value) { set_sysctl("net.ipv6.bindv6only", value); }

Params bindv6only_params(int value) {
  return {{"kind", "scoped_sequence"}, {"sysctls", Json::object({{"net.ipv6.bindv6only", value}})}};
}

const bool v6only_1 = add_bind_cases(
    {
        {"tcp46.scope.bindv6only_1.any6_then_any4",
         "R8",
         Proto::tcp,
         {{kAny6, LISTEN}, {kAny4, LISTEN}}},
        {"tcp46.scope.bindv6only_1.any6_v6only_0_then_any4",
         "R8",
         Proto::tcp,
         {{kAny6, DUAL | LISTEN}, {kAny4, LISTEN}}},
        {"tcp46.scope.bindv6only_1.any4_then_any6",
         "R8",
         Proto::tcp,
         {{kAny4, LISTEN}, {kAny6, LISTEN}}},
        {"tcp46.scope.bindv6only_1.mapped", "R8", Proto::tcp, {{kMappedSrv4, 0}}},
        {"udp46.scope.bindv6only_1.any6_then_any4", "R8", Proto::udp, {{kAny6, 0}, {kAny4, 0}}},
        {"udp46.scope.bindv6only_1.any6_v6only_0_then_any4",
         "R8",
         Proto::udp,
         {{kAny6, DUAL}, {kAny4, 0}}},
    },
    bindv6only_params(1), [](Ctx&) { bindv6only("1"); }, {{"net.ipv6.bindv6only", "1"}});

const bool v6only_0 = add_bind_cases({{"tcp46.scope.bindv6only_0.any6_v6only_1_then_any4",
                                       "R8",
                                       Proto::tcp,
                                       {{kAny6, V6ONLY | LISTEN}, {kAny4, LISTEN}}}},
                                     bindv6only_params(0), [](Ctx&) { bindv6only("0"); },
                                     {{"net.ipv6.bindv6only", "0"}});

// The sysctl is read when a socket is made: one made before the change keeps
// the old default.
Outcome socket_before_sysctl(Ctx&) {
  Sock any6 = Sock::open(AF_INET6, Proto::tcp);
  bindv6only("1");
  Step first = any6.bind_listen(make_addr(kAny6), true);
  if (first.err) return {"sock1." + first.token(), "[::] made before bindv6only=1"};
  Sock any4 = Sock::open(AF_INET, Proto::tcp);
  Step r = any4.bind_listen(make_addr(kAny4), true);
  return with_control(
      {r.token(),
       "[::] made before net.ipv6.bindv6only=1 was set, bound after; "
       "0.0.0.0: " +
           r.call + " " + errno_name(r.err)},
      [&] {
        any6.close();
        any4.close();
        return Sock::open(AF_INET, Proto::tcp).bind_listen(make_addr(kAny4), true).token();
      });
}

const bool made_before = add_case(
    only_binds({"tcp46.scope.bindv6only_1.socket_made_before",
                "R8",
                {{"kind", "scoped_sequence"},
                 {"proto", "tcp"},
                 {"sockets", sockets_json(std::vector<SockSpec>{{kAny6, LISTEN}, {kAny4, LISTEN}})},
                 {"sysctls", Json::object({{"net.ipv6.bindv6only", 1}})},
                 {"sysctls_after_socket", 1}},
                socket_before_sysctl,
                prose({{"net.ipv6.bindv6only", "1"},
                       {"bindv6only_set", "after socket()"},
                       {"sock1", ":: listen"},
                       {"sock2", "0.0.0.0 listen"}})}));

}  // namespace
}  // namespace sr
