#include "netns/rtnl.h"

#include <linux/if_addr.h>
#include <linux/neighbour.h>
#include <net/if.h>
#include <netlink/netlink.h>
#include <netlink/route/addr.h>
#include <netlink/route/link.h>
#include <netlink/route/link/veth.h>
#include <netlink/route/neighbour.h>
#include <netlink/route/route.h>
#include <sys/socket.h>

#include <cerrno>
#include <memory>
#include <stdexcept>

#include "netns/error.h"
#include "netns/namespace.h"
#include "netns/nl.h"

namespace sr {
namespace {

struct AddrDel {
  void operator()(rtnl_addr* a) const { rtnl_addr_put(a); }
};
struct NeighDel {
  void operator()(rtnl_neigh* n) const { rtnl_neigh_put(n); }
};
struct VethDel {
  void operator()(rtnl_link* l) const { rtnl_link_veth_release(l); }
};
using VethPtr = std::unique_ptr<rtnl_link, VethDel>;
using AddrPtr = std::unique_ptr<rtnl_addr, AddrDel>;

int index_of(const Link& link) { return link.index > 0 ? link.index : ifindex(link.name); }

}  // namespace

Rtnl::Rtnl() : sk_(route_socket().release()) {}

Rtnl::~Rtnl() { nl_socket_free(sk_); }

void Rtnl::add_veth(const VethEnd& here, const VethEnd& peer, const NetNs& peer_ns) {
  NlAddrPtr lladdr = parse_address(here.mac, AF_LLC), peer_lladdr = parse_address(peer.mac, AF_LLC);
  VethPtr link(rtnl_link_veth_alloc());
  if (!link) throw std::runtime_error("rtnl_link_veth_alloc: out of memory");
  rtnl_link* other = rtnl_link_veth_get_peer(link.get());
  rtnl_link_set_name(link.get(), here.name.c_str());
  rtnl_link_set_flags(link.get(), IFF_UP);
  rtnl_link_set_addr(link.get(), lladdr.get());
  if (here.ifindex > 0) rtnl_link_set_ifindex(link.get(), here.ifindex);
  rtnl_link_set_name(other, peer.name.c_str());
  rtnl_link_set_addr(other, peer_lladdr.get());
  if (peer.ifindex > 0) rtnl_link_set_ifindex(other, peer.ifindex);
  rtnl_link_set_ns_fd(other, peer_ns.fd());
  int rc = rtnl_link_add(sk_, link.get(), NLM_F_CREATE | NLM_F_EXCL);
  rtnl_link_put(other);
  nl_check(rc, "create veth " + here.name + " <-> " + peer.name);
}

void Rtnl::set_up(const Link& link) {
  LinkPtr change(rtnl_link_alloc());
  rtnl_link_set_ifindex(change.get(), index_of(link));
  rtnl_link_set_flags(change.get(), IFF_UP);
  nl_check(rtnl_link_change(sk_, change.get(), change.get(), 0), "set " + link.name + " up");
}

bool Rtnl::is_oper_up(const std::string& name) {
  LinkPtr link = kernel_link(sk_, name);
  constexpr uint8_t kOperUp = 6;  // IF_OPER_UP; <linux/if.h> clashes with <net/if.h>
  return rtnl_link_get_operstate(link.get()) == kOperUp;
}

bool Rtnl::is_local(const std::string& ip) {
  NlAddrPtr dst = parse_address(ip, AF_UNSPEC);
  rtnl_route* raw = nullptr;
  int rc = rtnl_route_lookup(sk_, dst.get(), &raw);
  if (rc < 0) return false;
  bool local = rtnl_route_get_type(raw) == RTN_LOCAL;
  rtnl_route_put(raw);
  return local;
}

void Rtnl::add_address(const Link& dev, const std::string& cidr) {
  NlAddrPtr local = parse_address(cidr, AF_UNSPEC);
  AddrPtr addr(rtnl_addr_alloc());
  rtnl_addr_set_ifindex(addr.get(), index_of(dev));
  nl_check(rtnl_addr_set_local(addr.get(), local.get()), "set local " + cidr);
  rtnl_addr_set_prefixlen(addr.get(), static_cast<int>(nl_addr_get_prefixlen(local.get())));
  if (nl_addr_get_family(local.get()) == AF_INET) {
    // Directed broadcast (x.y.z.255) only reaches sockets when the address
    // carries its broadcast; the UDP broadcast cases depend on it.
    auto* bytes = static_cast<unsigned char*>(nl_addr_get_binary_addr(local.get()));
    unsigned prefix = nl_addr_get_prefixlen(local.get());
    uint32_t host = (uint32_t{bytes[0]} << 24) | (uint32_t{bytes[1]} << 16) |
                    (uint32_t{bytes[2]} << 8) | bytes[3];
    uint32_t bcast = host | (prefix >= 32 ? 0 : (0xffffffffu >> prefix));
    std::string text = std::to_string(bcast >> 24) + "." + std::to_string((bcast >> 16) & 255) +
                       "." + std::to_string((bcast >> 8) & 255) + "." + std::to_string(bcast & 255);
    NlAddrPtr b = parse_address(text, AF_INET);
    nl_check(rtnl_addr_set_broadcast(addr.get(), b.get()), "set broadcast " + text);
  } else {
    rtnl_addr_set_flags(addr.get(), IFA_F_NODAD);
  }
  nl_check(rtnl_addr_add(sk_, addr.get(), 0), "add address " + cidr + " to " + dev.name);
}

void Rtnl::add_neighbour(const Link& dev, const std::string& ip, const std::string& mac) {
  std::unique_ptr<rtnl_neigh, NeighDel> n(rtnl_neigh_alloc());
  NlAddrPtr dst = parse_address(ip, AF_UNSPEC), ll = parse_address(mac, AF_LLC);
  rtnl_neigh_set_ifindex(n.get(), index_of(dev));
  nl_check(rtnl_neigh_set_dst(n.get(), dst.get()), "neighbour " + ip);
  rtnl_neigh_set_lladdr(n.get(), ll.get());
  rtnl_neigh_set_state(n.get(), NUD_PERMANENT);
  nl_check(rtnl_neigh_add(sk_, n.get(), NLM_F_CREATE), "add neighbour " + ip + " on " + dev.name);
}

int ifindex(const std::string& name) {
  unsigned idx = if_nametoindex(name.c_str());
  if (idx == 0) throw SysError("if_nametoindex " + name, errno);
  return static_cast<int>(idx);
}

}  // namespace sr
