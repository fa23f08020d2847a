#include "netns/nl.h"

#include <netlink/addr.h>
#include <netlink/netlink.h>
#include <netlink/route/link.h>
#include <netlink/socket.h>

#include <stdexcept>

#include "netns/error.h"

namespace sr {

void NlSockDel::operator()(nl_sock* s) const { nl_socket_free(s); }
void NlAddrDel::operator()(nl_addr* a) const { nl_addr_put(a); }
void LinkDel::operator()(rtnl_link* l) const { rtnl_link_put(l); }

void nl_check(int rc, const std::string& what) {
  if (rc < 0) throw NlError(what, -rc);
}

NlSockPtr nl_socket() {
  NlSockPtr sk(nl_socket_alloc());
  if (!sk) throw std::runtime_error("nl_socket_alloc: out of memory");
  return sk;
}

NlSockPtr route_socket() {
  NlSockPtr sk = nl_socket();
  nl_check(nl_connect(sk.get(), NETLINK_ROUTE), "connect NETLINK_ROUTE");
  return sk;
}

NlAddrPtr parse_address(const std::string& text, int family) {
  nl_addr* a = nullptr;
  nl_check(nl_addr_parse(text.c_str(), family, &a), "parse address " + text);
  return NlAddrPtr(a);
}

LinkPtr kernel_link(nl_sock* sk, const std::string& name) {
  rtnl_link* raw = nullptr;
  nl_check(rtnl_link_get_kernel(sk, 0, name.c_str(), &raw), "query link " + name);
  return LinkPtr(raw);
}

}  // namespace sr
