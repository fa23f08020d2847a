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
  // UDP beside an IPv6 wildcard: ::1 is an IPv6 address, so [::] covers it
  // with IPV6_V6ONLY or without (R4, either order); a v4-mapped address is an
  // IPv4 address, covered by a dual-stack [::] only (R8, either order).
  auto udp = [&](const std::string& id, std::vector<SockSpec> socks) {
    out.push_back({"udp" + id, "R8", Proto::udp, std::move(socks)});
  };
  udp("6.dualstack.any6_then_loopback6", {{kAny6, DUAL}, {kLo6, 0}});
  udp("6.dualstack.any6_v6only_then_loopback6", {{kAny6, V6ONLY}, {kLo6, 0}});
  udp("6.dualstack.loopback6_then_any6", {{kLo6, 0}, {kAny6, DUAL}});
  udp("6.dualstack.loopback6_then_any6_v6only", {{kLo6, 0}, {kAny6, V6ONLY}});
  udp("46.dualstack.any6_then_mapped_specific", {{kAny6, DUAL}, {kMappedSrv4, DUAL}});
  udp("46.dualstack.any6_v6only_then_mapped_specific", {{kAny6, V6ONLY}, {kMappedSrv4, DUAL}});
  udp("46.dualstack.mapped_specific_then_any6", {{kMappedSrv4, DUAL}, {kAny6, DUAL}});
  udp("46.dualstack.mapped_specific_then_any6_v6only", {{kMappedSrv4, DUAL}, {kAny6, V6ONLY}});
  udp("46.dualstack.any6_then_mapped_any", {{kAny6, DUAL}, {kMappedAny, DUAL}});
  udp("46.dualstack.mapped_any_then_any6_v6only", {{kMappedAny, DUAL}, {kAny6, V6ONLY}});
  return out;
}

const bool registered = add_bind_cases(rows());

}  // namespace
}  // namespace sr
