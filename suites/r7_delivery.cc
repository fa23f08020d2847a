// R7: where UDP datagrams go once several sockets share an address. With
// SO_REUSEADDR unicast reaches only the most recently bound socket; broadcast
// and multicast reach every socket; with SO_REUSEPORT unicast is spread over
// the group by flow hash, each flow sticking to one socket. TCP connections to
// a SO_REUSEPORT group are spread the same way.
#include <arpa/inet.h>
#include <netinet/in.h>

#include <string>

#include "fixtures/delivery.h"
#include "fixtures/sock_params.h"
#include "netns/error.h"
#include "netns/rtnl.h"

namespace sr {
namespace {

// Enough distinct flows that a working hash leaves no member of a group of
// three empty except with probability ~1e-11, so "spread" is not a ratio.
constexpr int kFlows = 64;

struct UdpRow {
  std::string id;
  const char* bind_ip;
  int sockets;
  Opts opts;
  UdpPlan plan;
};

Outcome run_udp(Ctx& ctx, const UdpRow& row) {
  std::vector<Sock> group = bind_group(row.bind_ip, row.sockets, Proto::udp, row.opts, false);
  if (!row.plan.multicast_dev.empty()) {
    ip_mreqn m{};
    inet_pton(AF_INET, kMcast4, &m.imr_multiaddr);
    m.imr_ifindex = ifindex(topo::kS0.name);
    for (Sock& s : group)
      check(setsockopt(s.fd(), IPPROTO_IP, IP_ADD_MEMBERSHIP, &m, sizeof m), "join multicast");
  }
  Delivery d = deliver_udp(ctx, pointers(group), row.plan);
  return {classify(d), describe(d)};
}

Outcome run_tcp(Ctx& ctx, const char* ip, int listeners) {
  Opts o;
  o.reuseport = true;
  std::vector<Sock> group = bind_group(ip, listeners, Proto::tcp, o, true);
  Delivery d = deliver_tcp(ctx, pointers(group), ip, kFlows);
  return {classify(d), describe(d)};
}

const bool registered = [] {
  Opts ra, rp;
  ra.reuseaddr = true;
  rp.reuseport = true;
  UdpPlan unicast4, unicast6, spread4, spread6, bcast, mcast;
  unicast6.dst_ip = kSrv6;
  spread4.flows = kFlows;
  spread4.per_flow = 2;
  spread6 = spread4;
  spread6.dst_ip = kSrv6;
  bcast.dst_ip = kBcast4;
  bcast.broadcast = true;
  mcast.dst_ip = kMcast4;
  mcast.multicast_dev = topo::kC0.name;
  std::vector<UdpRow> rows = {
      {"udp4.deliver.reuseaddr.two", kSrv4, 2, ra, unicast4},
      {"udp4.deliver.reuseaddr.three", kSrv4, 3, ra, unicast4},
      {"udp4.deliver.reuseaddr.two.any", kAny4, 2, ra, unicast4},
      {"udp4.deliver.reuseaddr.two.many_flows", kSrv4, 2, ra, spread4},
      {"udp6.deliver.reuseaddr.two", kSrv6, 2, ra, unicast6},
      {"udp6.deliver.reuseaddr.three", kSrv6, 3, ra, unicast6},
      {"udp4.deliver.reuseaddr.broadcast.two", kAny4, 2, ra, bcast},
      {"udp4.deliver.reuseaddr.broadcast.three", kAny4, 3, ra, bcast},
      {"udp4.deliver.reuseaddr.multicast.two", kAny4, 2, ra, mcast},
      {"udp4.deliver.reuseport.two", kSrv4, 2, rp, spread4},
      {"udp4.deliver.reuseport.three", kSrv4, 3, rp, spread4},
      {"udp4.deliver.reuseport.two.any", kAny4, 2, rp, spread4},
      {"udp6.deliver.reuseport.two", kSrv6, 2, rp, spread6},
      {"udp6.deliver.reuseport.three", kSrv6, 3, rp, spread6},
      {"udp4.deliver.reuseport.broadcast.two", kAny4, 2, rp, bcast},
  };
  for (const UdpRow& row : rows) {
    std::vector<SockParams> group(row.sockets, {row.bind_ip, kSharedPort, row.opts, "bound", {}});
    Params params{{"kind", "udp_delivery"},         {"proto", "udp"},
                  {"sockets", sockets_json(group)}, {"sysctls", Json::object({})},
                  {"send_to", row.plan.dst_ip},     {"flows", row.plan.flows}};
    Words words{{"bind", row.bind_ip},
                {"sockets", std::to_string(row.sockets)},
                {"option", row.opts.reuseport ? "reuseport" : "reuseaddr"},
                {"send_to", row.plan.dst_ip},
                {"flows", std::to_string(row.plan.flows)}};
    add_case({row.id, "R7", params, [row](Ctx& ctx) { return run_udp(ctx, row); }, prose(words)});
  }
  for (auto [id, ip, n] : {std::tuple{"tcp4.deliver.reuseport.two", kSrv4, 2},
                           std::tuple{"tcp4.deliver.reuseport.three", kSrv4, 3},
                           std::tuple{"tcp6.deliver.reuseport.two", kSrv6, 2}}) {
    std::vector<SockParams> group(n, {ip, kSharedPort, rp, "listen", {}});
    Params params{{"kind", "tcp_delivery"},
                  {"proto", "tcp"},
                  {"sockets", sockets_json(group)},
                  {"sysctls", Json::object({})},
                  {"connections", kFlows}};
    Words words{{"option", "reuseport"},
                {"bind", ip},
                {"listeners", std::to_string(n)},
                {"connections", std::to_string(kFlows)}};
    const char* bind_ip = ip;
    int count = n;
    add_case({id, "R7", params, [bind_ip, count](Ctx& ctx) { return run_tcp(ctx, bind_ip, count); },
              prose(words)});
  }
  return true;
}();

}  // namespace
}  // namespace sr
