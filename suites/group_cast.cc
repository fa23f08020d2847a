// R7 [group_cast]: multicast and broadcast to a port that several UDP sockets
// share through SO_REUSEPORT (or SO_REUSEADDR, for comparison). Unlike
// unicast, which a SO_REUSEPORT group gives to one member per flow, a
// multicast or broadcast datagram goes to every socket of the port that
// accepts it: bound to the wildcard or to the destination itself (never to
// another unicast address), on the device it arrives on, and for multicast a
// member of the group -- or, with IP_MULTICAST_ALL / IPV6_MULTICAST_ALL on
// (the default), any socket at all once the device has joined the group for
// someone. A member that drops its membership therefore keeps receiving
// while another socket keeps the group joined, unless it turned that option
// off.
//
// Datagrams go from the client namespace out of c0 to the group (or to s0's
// subnet broadcast address), then a fence datagram (fixtures/delivery.h):
// once the fence is read, a socket that got nothing got nothing for good.
// Every row has at least one receiver, the positive control of the path.
#include <netinet/in.h>
#include <sys/socket.h>

#include <string>
#include <vector>

#include "fixtures/delivery.h"
#include "fixtures/sequence.h"
#include "fixtures/sock_params.h"
#include "netns/error.h"
#include "netns/rtnl.h"

namespace sr {
namespace {

// What a receiver does about the group besides binding.
enum Member : unsigned {
  JOIN = 1u << 0,    // joins the group on s0
  DROP = 1u << 1,    // then drops the membership again, before the datagrams
  ALL_OFF = 1u << 2  // IP_MULTICAST_ALL / IPV6_MULTICAST_ALL = 0
};

struct Receiver {
  SockSpec spec;
  unsigned member;
};

// A destination of the topology, by its name in fixtures/topology.yaml.
struct Target {
  const char* name;
  const char* addr;
  bool broadcast;
};

const Target kGroup4{"mcast_4", kMcast4, false};
const Target kGroup6{"mcast_6", topo::kMcast6, false};
const Target kBroadcast{"s0_4_bcast", kBcast4, true};

struct CastRow {
  std::string id;
  Target to;
  std::vector<Receiver> rx;
};

bool is_v6(const Target& t) { return std::string(t.addr).find(':') != std::string::npos; }

void membership(const Sock& s, const Target& group, bool join) {
  if (is_v6(group)) {
    ipv6_mreq m{};
    SockAddr g = make_addr(group.addr);
    m.ipv6mr_multiaddr = reinterpret_cast<const sockaddr_in6*>(g.sa())->sin6_addr;
    m.ipv6mr_interface = static_cast<unsigned>(ifindex(topo::kS0.name));
    check(setsockopt(s.fd(), IPPROTO_IPV6, join ? IPV6_JOIN_GROUP : IPV6_LEAVE_GROUP, &m, sizeof m),
          join ? "IPV6_JOIN_GROUP" : "IPV6_LEAVE_GROUP");
    return;
  }
  ip_mreqn m{};
  m.imr_multiaddr = reinterpret_cast<const sockaddr_in*>(make_addr(group.addr).sa())->sin_addr;
  m.imr_ifindex = ifindex(topo::kS0.name);
  check(setsockopt(s.fd(), IPPROTO_IP, join ? IP_ADD_MEMBERSHIP : IP_DROP_MEMBERSHIP, &m, sizeof m),
        join ? "IP_ADD_MEMBERSHIP" : "IP_DROP_MEMBERSHIP");
}

void multicast_all_off(const Sock& s, bool v6) {
  int zero = 0;
  check(v6 ? setsockopt(s.fd(), IPPROTO_IPV6, IPV6_MULTICAST_ALL, &zero, sizeof zero)
           : setsockopt(s.fd(), IPPROTO_IP, IP_MULTICAST_ALL, &zero, sizeof zero),
        v6 ? "IPV6_MULTICAST_ALL" : "IP_MULTICAST_ALL");
}

// classify()'s word, or for a proper subset of two or more receivers, which:
// only_socks1+3 (each of them got every datagram, the others none).
std::string receivers_token(const Delivery& d) {
  std::string word = classify(d);
  if (word != "mixed") return word;
  std::string got;
  for (size_t i = 0; i < d.per_socket.size(); ++i) {
    if (d.per_socket[i] != 0 && d.per_socket[i] != d.sent) return word;
    if (d.per_socket[i] == d.sent) got += (got.empty() ? "" : "+") + std::to_string(i + 1);
  }
  return "only_socks" + got;
}

Outcome run(Ctx& ctx, const CastRow& row) {
  bool v6 = is_v6(row.to);
  std::vector<Sock> socks;
  for (const Receiver& r : row.rx) {
    SockAddr at = make_addr(r.spec.addr);
    socks.push_back(Sock::open(at.family(), Proto::udp, opts_for(r.spec.flags)));
    if (r.member & ALL_OFF) multicast_all_off(socks.back(), v6);
    if (int err = socks.back().bind(at)) throw SysError("bind " + describe(r.spec), err);
    if (r.member & JOIN) membership(socks.back(), row.to, true);
  }
  // Drops come after every join, so the device still has the group for the others.
  for (size_t i = 0; i < row.rx.size(); ++i)
    if (row.rx[i].member & DROP) membership(socks[i], row.to, false);
  UdpPlan plan;
  plan.dst_ip = row.to.addr;
  plan.broadcast = row.to.broadcast;
  if (!row.to.broadcast) plan.multicast_dev = topo::kC0.name;
  Delivery d = deliver_udp(ctx, pointers(socks), plan);
  return {receivers_token(d), describe(d) + " (sent to " + row.to.addr + ")"};
}

Json member_json(const Receiver& r, const Target& to) {
  bool joined = r.member & JOIN;
  return Json::object({{"group", joined ? Json(to.name) : Json()},
                       {"device", joined ? Json(topo::kS0.name) : Json()},
                       {"dropped", static_cast<bool>(r.member & DROP)},
                       {"multicast_all", !(r.member & ALL_OFF)}});
}

std::string member_words(const Receiver& r) {
  std::string out = r.member & JOIN ? "joined" : "not joined";
  if (r.member & DROP) out += ", dropped";
  if (r.member & ALL_OFF) out += ", multicast_all 0";
  return out;
}

const bool registered = [] {
  const unsigned J = JOIN;
  const std::vector<CastRow> rows = {
      // Multicast: every socket of the port that matches gets every datagram.
      {"udp4.group_cast.reuseport.group_bound.three",
       kGroup4,
       {{{kMcast4, RP}, J}, {{kMcast4, RP}, J}, {{kMcast4, RP}, J}}},
      {"udp4.group_cast.reuseport.any.three",
       kGroup4,
       {{{kAny4, RP}, J}, {{kAny4, RP}, J}, {{kAny4, RP}, J}}},
      {"udp4.group_cast.reuseport.group_and_any", kGroup4, {{{kMcast4, RP}, J}, {{kAny4, RP}, J}}},
      {"udp4.group_cast.reuseaddr.any.three",
       kGroup4,
       {{{kAny4, RA}, J}, {{kAny4, RA}, J}, {{kAny4, RA}, J}}},
      // A socket bound to a unicast address is no receiver of the group.
      {"udp4.group_cast.reuseport.unicast_and_any", kGroup4, {{{kSrv4, RP}, J}, {{kAny4, RP}, J}}},
      // Membership: not joined, joined then dropped, with and without IP_MULTICAST_ALL.
      {"udp4.group_cast.reuseport.one_not_joined",
       kGroup4,
       {{{kAny4, RP}, J}, {{kAny4, RP}, J}, {{kAny4, RP}, 0}}},
      {"udp4.group_cast.reuseport.one_dropped",
       kGroup4,
       {{{kAny4, RP}, J}, {{kAny4, RP}, J}, {{kAny4, RP}, J | DROP}}},
      {"udp4.group_cast.reuseport.one_dropped.multicast_all_off",
       kGroup4,
       {{{kAny4, RP}, J}, {{kAny4, RP}, J}, {{kAny4, RP}, J | DROP | ALL_OFF}}},
      {"udp4.group_cast.reuseaddr.one_dropped.multicast_all_off",
       kGroup4,
       {{{kAny4, RA}, J}, {{kAny4, RA}, J}, {{kAny4, RA}, J | DROP | ALL_OFF}}},
      {"udp6.group_cast.reuseport.group_bound.three",
       kGroup6,
       {{{topo::kMcast6, RP}, J}, {{topo::kMcast6, RP}, J}, {{topo::kMcast6, RP}, J}}},
      {"udp6.group_cast.reuseport.any.three",
       kGroup6,
       {{{kAny6, RP}, J}, {{kAny6, RP}, J}, {{kAny6, RP}, J}}},
      {"udp6.group_cast.reuseport.unicast_and_any", kGroup6, {{{kSrv6, RP}, J}, {{kAny6, RP}, J}}},
      {"udp6.group_cast.reuseport.one_dropped",
       kGroup6,
       {{{kAny6, RP}, J}, {{kAny6, RP}, J}, {{kAny6, RP}, J | DROP}}},
      {"udp6.group_cast.reuseport.one_dropped.multicast_all_off",
       kGroup6,
       {{{kAny6, RP}, J}, {{kAny6, RP}, J}, {{kAny6, RP}, J | DROP | ALL_OFF}}},
      // Broadcast to s0's subnet: wildcard sockets and one bound to the
      // broadcast address receive; one bound to s0's own address, or to s1, does not.
      {"udp4.group_cast.broadcast.reuseport.any_and_unicast",
       kBroadcast,
       {{{kAny4, RP}, 0}, {{kAny4, RP}, 0}, {{kSrv4, RP}, 0}}},
      {"udp4.group_cast.broadcast.reuseaddr.any_and_unicast",
       kBroadcast,
       {{{kAny4, RA}, 0}, {{kAny4, RA}, 0}, {{kSrv4, RA}, 0}}},
      {"udp4.group_cast.broadcast.reuseport.bcast_bound_and_any",
       kBroadcast,
       {{{kBcast4, RP}, 0}, {{kAny4, RP}, 0}}},
      {"udp4.group_cast.broadcast.reuseport.other_device",
       kBroadcast,
       {{{kAny4, RP | DEV_S1}, 0}, {{kAny4, RP}, 0}}},
  };
  for (const CastRow& row : rows) {
    std::vector<SockSpec> specs;
    std::vector<Json> members;
    Words words{{"send_to", row.to.name}};
    for (const Receiver& r : row.rx) {
      specs.push_back(r.spec);
      members.push_back(member_json(r, row.to));
      words.emplace_back("sock" + std::to_string(specs.size()),
                         describe(r.spec) + (row.to.broadcast ? "" : ", " + member_words(r)));
    }
    Params params{{"kind", "group_cast"},           {"proto", "udp"},
                  {"sockets", sockets_json(specs)}, {"sysctls", Json::object({})},
                  {"send_to", row.to.name},         {"arrives_on", topo::kS0.name},
                  {"members", Json::list(members)}};
    add_case({row.id, "R7", params, [row](Ctx& ctx) { return run(ctx, row); }, prose(words)});
  }
  return true;
}();

}  // namespace
}  // namespace sr
