// Scenarios of the kernel's selftests reuseaddr_conflict.c,
// reuseport_addr_any.c and reuseport_dualstack.c, in this suite's style.
// (bind_timewait.c's scenarios are the tcp*.bhash2.timewait_then_specific.*
// and tcp*.timewait.* cases.)
#include <string>
#include <vector>

#include "fixtures/delivery.h"
#include "fixtures/sequence.h"
#include "fixtures/sock_params.h"
#include "netns/error.h"

namespace sr {
namespace {

// reuseaddr_conflict.c: SO_REUSEADDR never lets a second socket bind beside a
// listening wildcard of the other family when the IPv6 one is dual stack.
const bool conflict = add_bind_cases({{"tcp46.reuseaddr_conflict.any6_listening_then_any4",
                                       "R8",
                                       Proto::tcp,
                                       {{kAny6, DUAL | RA | LISTEN}, {kAny4, RA}}},
                                      {"tcp46.reuseaddr_conflict.any4_listening_then_any6",
                                       "R8",
                                       Proto::tcp,
                                       {{kAny4, RA | LISTEN}, {kAny6, DUAL | RA}}},
                                      {"tcp46.reuseaddr_conflict.any6_v6only_listening_then_any4",
                                       "R8",
                                       Proto::tcp,
                                       {{kAny6, V6ONLY | RA | LISTEN}, {kAny4, RA | LISTEN}}}},
                                     {{"selftest", "reuseaddr_conflict.c"}});

struct Member {
  const char* addr;
  unsigned flags;
  const char* label;
};

// Binds the members in order (all must succeed), sends to dst from the client
// and names the members that received anything, in bind order, joined by '+'.
Outcome who_receives(Ctx& ctx, Proto proto, const std::vector<Member>& members, const char* dst) {
  std::vector<Sock> socks;
  std::string setup;
  for (const Member& m : members) {
    SockAddr at = make_addr(m.addr);
    socks.push_back(Sock::open(at.family(), proto, opts_for(m.flags)));
    Step r = socks.back().bind_listen(at, proto == Proto::tcp);
    if (r.err) throw SysError(r.call + " " + m.label + " member on " + at.str(), r.err);
    setup += std::string(setup.empty() ? "" : ", ") + m.label + "=" + describe({m.addr, m.flags});
  }
  std::vector<Sock*> rx = pointers(socks);
  Delivery d;
  if (proto == Proto::udp) {
    UdpPlan plan;
    plan.dst_ip = dst;
    plan.flows = 32;
    plan.per_flow = 1;
    d = deliver_udp(ctx, rx, plan);
  } else {
    d = deliver_tcp(ctx, rx, dst, 32);
  }
  if (d.seen < d.sent) return {"lost", describe(d)};
  std::string token;
  for (size_t i = 0; i < members.size(); ++i)
    if (d.per_socket[i] > 0 && token.find(members[i].label) == std::string::npos)
      token += (token.empty() ? "" : "+") + std::string(members[i].label);
  return {token, describe(d) + "; " + setup + "; sent to " + dst};
}

struct Row {
  std::string id;
  const char* selftest;
  Proto proto;
  std::vector<Member> members;
  const char* dst;
};

const bool delivery = [] {
  std::vector<Row> rows;
  for (Proto p : {Proto::udp, Proto::tcp}) {
    std::string n = proto_name(p);
    // reuseport_addr_any.c: a group on the wildcard and one on the specific
    // address; traffic to the specific address goes to the specific group.
    rows.push_back({n + "4.reuseport_addr_any.any_first",
                    "reuseport_addr_any.c",
                    p,
                    {{kAny4, RP, "wildcard"},
                     {kAny4, RP, "wildcard"},
                     {kSrv4, RP, "specific"},
                     {kSrv4, RP, "specific"}},
                    kSrv4});
    rows.push_back({n + "4.reuseport_addr_any.specific_first",
                    "reuseport_addr_any.c",
                    p,
                    {{kSrv4, RP, "specific"},
                     {kSrv4, RP, "specific"},
                     {kAny4, RP, "wildcard"},
                     {kAny4, RP, "wildcard"}},
                    kSrv4});
    rows.push_back({n + "6.reuseport_addr_any.any_first",
                    "reuseport_addr_any.c",
                    p,
                    {{kAny6, RP, "wildcard"},
                     {kAny6, RP, "wildcard"},
                     {kSrv6, RP, "specific"},
                     {kSrv6, RP, "specific"}},
                    kSrv6});
    rows.push_back({n + "46.reuseport_addr_any.any6_and_specific4",
                    "reuseport_addr_any.c",
                    p,
                    {{kAny6, RP | DUAL, "wildcard6"},
                     {kAny6, RP | DUAL, "wildcard6"},
                     {kSrv4, RP, "specific4"},
                     {kSrv4, RP, "specific4"}},
                    kSrv4});
    // reuseport_dualstack.c: IPv4 and dual-stack IPv6 groups on one port;
    // IPv4 traffic belongs to the IPv4 sockets whichever bound first.
    rows.push_back({n + "46.reuseport_dualstack.v4_first.send4",
                    "reuseport_dualstack.c",
                    p,
                    {{kAny4, RP, "ipv4"},
                     {kAny4, RP, "ipv4"},
                     {kAny6, RP | DUAL, "ipv6"},
                     {kAny6, RP | DUAL, "ipv6"}},
                    kSrv4});
    rows.push_back({n + "46.reuseport_dualstack.v6_first.send4",
                    "reuseport_dualstack.c",
                    p,
                    {{kAny6, RP | DUAL, "ipv6"},
                     {kAny6, RP | DUAL, "ipv6"},
                     {kAny4, RP, "ipv4"},
                     {kAny4, RP, "ipv4"}},
                    kSrv4});
    rows.push_back({n + "46.reuseport_dualstack.v4_first.send6",
                    "reuseport_dualstack.c",
                    p,
                    {{kAny4, RP, "ipv4"},
                     {kAny4, RP, "ipv4"},
                     {kAny6, RP | DUAL, "ipv6"},
                     {kAny6, RP | DUAL, "ipv6"}},
                    kSrv6});
  }
  for (const Row& r : rows) {
    std::string labels;
    std::vector<Json> label_list;
    std::vector<SockSpec> socks;
    for (const Member& m : r.members) {
      labels += (labels.empty() ? "" : ",") + std::string(m.label);
      label_list.emplace_back(m.label);
      socks.push_back({m.addr, m.flags});
    }
    Params params{{"kind", "group_delivery"},        {"proto", proto_name(r.proto)},
                  {"sockets", sockets_json(socks)},  {"sysctls", Json::object({})},
                  {"selftest", r.selftest},          {"send_to", r.dst},
                  {"labels", Json::list(label_list)}};
    Words words{{"selftest", r.selftest}, {"send_to", r.dst}, {"labels", labels}};
    for (auto& w : socket_words(socks)) words.push_back(w);
    add_case({r.id, "R7", params,
              [r](Ctx& ctx) { return who_receives(ctx, r.proto, r.members, r.dst); },
              prose(words)});
  }
  return true;
}();

}  // namespace
}  // namespace sr
