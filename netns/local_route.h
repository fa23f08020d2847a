// Whether the kernel has installed the local route of an address on one
// interface. Rtnl::is_local asks a route lookup, which cannot tell which
// interface answers: a link-local address on two interfaces, or an address in
// a VRF's table, needs the route itself. Queries see the current namespace.
#pragma once

#include <string>

namespace sr {

// True once some routing table (the local table, or a VRF's) holds a route of
// type local for ip (a host address, no prefix) on dev.
bool has_local_route(const std::string& ip, const std::string& dev);

}  // namespace sr
