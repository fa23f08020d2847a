#include "netns/vrf.h"

#include <net/if.h>
#include <netlink/netlink.h>
#include <netlink/route/link.h>
#include <netlink/route/link/vrf.h>

#include <cerrno>
#include <stdexcept>

#include "netns/error.h"
#include "netns/nl.h"
#include "netns/rtnl.h"

namespace sr {

void add_vrf(const std::string& name, uint32_t table) {
  NlSockPtr sk = route_socket();
  LinkPtr link(rtnl_link_vrf_alloc());
  if (!link) throw std::runtime_error("rtnl_link_vrf_alloc: out of memory");
  rtnl_link_set_name(link.get(), name.c_str());
  rtnl_link_set_flags(link.get(), IFF_UP);
  nl_check(rtnl_link_vrf_set_tableid(link.get(), table), "set the table of " + name);
  nl_check(rtnl_link_add(sk.get(), link.get(), NLM_F_CREATE | NLM_F_EXCL),
           "create VRF " + name + " (table " + std::to_string(table) + ")");
}

void set_master(const std::string& dev, const std::string& master) {
  NlSockPtr sk = route_socket();
  nl_check(rtnl_link_enslave_ifindex(sk.get(), ifindex(master), ifindex(dev)),
           "enslave " + dev + " to " + master);
}

std::string master_of(const std::string& dev) {
  NlSockPtr sk = route_socket();
  LinkPtr link = kernel_link(sk.get(), dev);
  int master = rtnl_link_get_master(link.get());
  if (master <= 0) return "";
  char name[IF_NAMESIZE] = "";
  if (!if_indextoname(static_cast<unsigned>(master), name))
    throw SysError("if_indextoname " + std::to_string(master), errno);
  return name;
}

uint32_t vrf_table(const std::string& name) {
  NlSockPtr sk = route_socket();
  LinkPtr link = kernel_link(sk.get(), name);
  if (!rtnl_link_is_vrf(link.get())) throw std::invalid_argument(name + " is not a VRF device");
  uint32_t table = 0;
  nl_check(rtnl_link_vrf_get_tableid(link.get(), &table), "read the table of " + name);
  return table;
}

}  // namespace sr
