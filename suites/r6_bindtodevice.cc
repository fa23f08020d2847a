// R6: sockets bound to different interfaces with SO_BINDTODEVICE share an
// address:port; the same interface, or one side not bound to any, falls
// through to the other rules.
#include "fixtures/delivery.h"
#include "fixtures/sequence.h"
#include "fixtures/sock_params.h"
#include "netns/error.h"

namespace sr {
namespace {

const bool registered = add_bind_cases({
    {"tcp4.bindtodevice.different",
     "R6",
     Proto::tcp,
     {{kAny4, DEV_S0 | LISTEN}, {kAny4, DEV_S1 | LISTEN}}},
    {"tcp4.bindtodevice.same",
     "R6",
     Proto::tcp,
     {{kAny4, DEV_S0 | LISTEN}, {kAny4, DEV_S0 | LISTEN}}},
    {"tcp4.bindtodevice.first_unbound",
     "R6",
     Proto::tcp,
     {{kAny4, LISTEN}, {kAny4, DEV_S0 | LISTEN}}},
    {"tcp4.bindtodevice.second_unbound",
     "R6",
     Proto::tcp,
     {{kAny4, DEV_S0 | LISTEN}, {kAny4, LISTEN}}},
    {"tcp4.bindtodevice.same.reuseaddr_bound",
     "R6",
     Proto::tcp,
     {{kAny4, DEV_S0 | RA}, {kAny4, DEV_S0 | RA}}},
    {"tcp4.bindtodevice.same.reuseport",
     "R6",
     Proto::tcp,
     {{kAny4, DEV_S0 | RP | LISTEN}, {kAny4, DEV_S0 | RP | LISTEN}}},
    {"tcp6.bindtodevice.different",
     "R6",
     Proto::tcp,
     {{kAny6, DEV_S0 | LISTEN}, {kAny6, DEV_S1 | LISTEN}}},
    {"tcp6.bindtodevice.same",
     "R6",
     Proto::tcp,
     {{kAny6, DEV_S0 | LISTEN}, {kAny6, DEV_S0 | LISTEN}}},
    {"tcp6.bindtodevice.second_unbound",
     "R6",
     Proto::tcp,
     {{kAny6, DEV_S0 | LISTEN}, {kAny6, LISTEN}}},
    {"udp4.bindtodevice.different", "R6", Proto::udp, {{kAny4, DEV_S0}, {kAny4, DEV_S1}}},
    {"udp4.bindtodevice.same", "R6", Proto::udp, {{kAny4, DEV_S0}, {kAny4, DEV_S0}}},
    {"udp4.bindtodevice.first_unbound", "R6", Proto::udp, {{kAny4, 0}, {kAny4, DEV_S0}}},
    {"udp4.bindtodevice.second_unbound", "R6", Proto::udp, {{kAny4, DEV_S0}, {kAny4, 0}}},
    {"udp6.bindtodevice.different", "R6", Proto::udp, {{kAny6, DEV_S0}, {kAny6, DEV_S1}}},
    {"udp6.bindtodevice.same", "R6", Proto::udp, {{kAny6, DEV_S0}, {kAny6, DEV_S0}}},
});

}  // namespace
}  // namespace sr

namespace sr {
namespace {

// Two wildcard listeners, one per interface: a connection arriving on an
// interface goes to the listener bound to that interface.
Outcome served_by_device(Ctx& ctx, int family, bool via_second) {
  bool v6 = family == AF_INET6;
  std::vector<Sock> ls;
  for (unsigned dev : {DEV_S0, DEV_S1}) {
    ls.push_back(Sock::open(family, Proto::tcp, opts_for(dev)));
    if (int err = ls.back().bind(make_addr(v6 ? kAny6 : kAny4))) throw SysError("bind", err);
    if (int err = ls.back().listen()) throw SysError("listen", err);
  }
  const char* dst = via_second ? (v6 ? kSrv6b : kSrv4b) : (v6 ? kSrv6 : kSrv4);
  Delivery d = deliver_tcp(ctx, {&ls[0], &ls[1]}, dst, 4);
  return {classify(d), describe(d) + " (first bound to s0, last to s1; sent to " + dst + ")"};
}

const bool served = [] {
  for (int family : {AF_INET, AF_INET6})
    for (bool second : {false, true}) {
      std::string id = std::string(family == AF_INET ? "tcp4" : "tcp6") + ".bindtodevice.deliver." +
                       (second ? "via_s1" : "via_s0");
      add_case({id,
                "R6",
                {{"kind", "device_delivery"},
                 {"proto", "tcp"},
                 {"sockets", sockets_json(std::vector<SockSpec>{
                                 {family == AF_INET ? kAny4 : kAny6, DEV_S0 | LISTEN},
                                 {family == AF_INET ? kAny4 : kAny6, DEV_S1 | LISTEN}})},
                 {"sysctls", Json::object({})},
                 {"arrives_on", second ? topo::kS1.name : topo::kS0.name}},
                [family, second](Ctx& ctx) { return served_by_device(ctx, family, second); },
                prose({{"family", family == AF_INET ? "4" : "6"},
                       {"listeners", "dev=s0, dev=s1"},
                       {"arrives_on", second ? topo::kS1.name : topo::kS0.name}})});
    }
  return true;
}();

}  // namespace
}  // namespace sr
