// What every libnl user in netns/ needs: owning pointers for libnl objects,
// libnl's negative return codes as NlError, and a socket that talks to the
// namespace current when it is made.
#pragma once

#include <memory>
#include <string>

struct nl_addr;
struct nl_sock;
struct rtnl_link;

namespace sr {

struct NlSockDel {
  void operator()(nl_sock* s) const;
};
struct NlAddrDel {
  void operator()(nl_addr* a) const;
};
struct LinkDel {
  void operator()(rtnl_link* l) const;
};
using NlSockPtr = std::unique_ptr<nl_sock, NlSockDel>;
using NlAddrPtr = std::unique_ptr<nl_addr, NlAddrDel>;
using LinkPtr = std::unique_ptr<rtnl_link, LinkDel>;

// Throws NlError(what, -rc) when rc < 0 (libnl returns -NLE_*).
void nl_check(int rc, const std::string& what);

// An unconnected libnl socket; throws when out of memory.
NlSockPtr nl_socket();
// A libnl socket connected to NETLINK_ROUTE.
NlSockPtr route_socket();
// "198.51.100.1/24", "2001:db8::1", a MAC with AF_LLC ...
NlAddrPtr parse_address(const std::string& text, int family);
// The kernel's current view of link `name`.
LinkPtr kernel_link(nl_sock* sk, const std::string& name);

}  // namespace sr
