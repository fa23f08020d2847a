#include "netns/vrf.h"

#include <net/if.h>
#include <netlink/netlink.h>
#include <netlink/route/link.h>
#include <netlink/route/link/vrf.h>

#include <cerrno>
#include <memory>
#include <stdexcept>

#include "netns/error.h"
#include "netns/rtnl.h"

namespace sr {
namespace {

struct SockDel {
  void operator()(nl_sock* s) const { nl_socket_free(s); }
};
struct LinkDel {
  void operator()(rtnl_link* l) const { rtnl_link_put(l); }
};
using SockPtr = std::unique_ptr<nl_sock, SockDel>;
using LinkPtr = std::unique_ptr<rtnl_link, LinkDel>;

void nl_check(int rc, const std::string& what) {
  if (rc < 0) throw NlError(what, -rc);
}

SockPtr route_socket() {
  SockPtr sk(nl_socket_alloc());
  if (!sk) throw std::runtime_error("nl_socket_alloc: out of memory");
  nl_check(nl_connect(sk.get(), NETLINK_ROUTE), "connect NETLINK_ROUTE");
  return sk;
}

LinkPtr kernel_link(nl_sock* sk, const std::string& name) {
  rtnl_link* raw = nullptr;
  nl_check(rtnl_link_get_kernel(sk, 0, name.c_str(), &raw), "query link " + name);
  return LinkPtr(raw);
}

}  // namespace

void add_vrf(const std::string& name, uint32_t table) {
  SockPtr sk = route_socket();
  LinkPtr link(rtnl_link_vrf_alloc());
  if (!link) throw std::runtime_error("rtnl_link_vrf_alloc: out of memory");
  rtnl_link_set_name(link.get(), name.c_str());
  rtnl_link_set_flags(link.get(), IFF_UP);
  nl_check(rtnl_link_vrf_set_tableid(link.get(), table), "set the table of " + name);
  nl_check(rtnl_link_add(sk.get(), link.get(), NLM_F_CREATE | NLM_F_EXCL),
           "create VRF " + name + " (table " + std::to_string(table) + ")");
}

void set_master(const std::string& dev, const std::string& master) {
  SockPtr sk = route_socket();
  nl_check(rtnl_link_enslave_ifindex(sk.get(), ifindex(master), ifindex(dev)),
           "enslave " + dev + " to " + master);
}

std::string master_of(const std::string& dev) {
  SockPtr sk = route_socket();
  LinkPtr link = kernel_link(sk.get(), dev);
  int master = rtnl_link_get_master(link.get());
  if (master <= 0) return "";
  char name[IF_NAMESIZE] = "";
  if (!if_indextoname(static_cast<unsigned>(master), name))
    throw SysError("if_indextoname " + std::to_string(master), errno);
  return name;
}

uint32_t vrf_table(const std::string& name) {
  SockPtr sk = route_socket();
  LinkPtr link = kernel_link(sk.get(), name);
  if (!rtnl_link_is_vrf(link.get())) throw std::invalid_argument(name + " is not a VRF device");
  uint32_t table = 0;
  nl_check(rtnl_link_vrf_get_tableid(link.get(), &table), "read the table of " + name);
  return table;
}

}  // namespace sr
