// R8: an AF_INET6 wildcard without IPV6_V6ONLY also takes the IPv4 wildcard,
// so it conflicts with 0.0.0.0 (and specific IPv4 addresses) on the same port;
// with IPV6_V6ONLY it does not. v4-mapped addresses are IPv4 addresses for the
// conflict check, and cannot be bound by a V6ONLY socket.
#include "fixtures/sequence.h"

namespace sr {
namespace {

std::vector<BindCase> rows() {
  std::vector<BindCase> out;
  for (Proto p : {Proto::tcp, Proto::udp}) {
    std::string n = proto_name(p) + "46.dualstack.";
    auto add = [&](const std::string& id, std::vector<SockSpec> socks) {
      out.push_back({n + id, "R8", p, std::move(socks)});
    };
    add("any6_then_any4", {{kAny6, DUAL}, {kAny4, 0}});
    add("any4_then_any6", {{kAny4, 0}, {kAny6, DUAL}});
    add("any6_v6only_then_any4", {{kAny6, V6ONLY}, {kAny4, 0}});
    add("any4_then_any6_v6only", {{kAny4, 0}, {kAny6, V6ONLY}});
    add("any6_then_specific4", {{kAny6, DUAL}, {kSrv4, 0}});
    add("specific4_then_any6", {{kSrv4, 0}, {kAny6, DUAL}});
    add("any6_v6only_then_specific4", {{kAny6, V6ONLY}, {kSrv4, 0}});
    add("any6_then_any4.reuseaddr", {{kAny6, DUAL | RA}, {kAny4, RA}});
    add("mapped_specific_then_specific4", {{kMappedSrv4, DUAL}, {kSrv4, 0}});
    add("specific4_then_mapped_specific", {{kSrv4, 0}, {kMappedSrv4, DUAL}});
    add("mapped_any_then_any4", {{kMappedAny, DUAL}, {kAny4, 0}});
    add("any4_then_mapped_any", {{kAny4, 0}, {kMappedAny, DUAL}});
    add("mapped_on_v6only", {{kMappedSrv4, V6ONLY}});
    add("specific6_then_specific4", {{kSrv6, DUAL}, {kSrv4, 0}});
  }
  return out;
}

const bool registered = add_bind_cases(rows());

}  // namespace
}  // namespace sr
