// Route-netlink requests over libnl for the topology: veth pairs, links up,
// addresses. The socket is bound to the namespace that was current when the
// object was made, so make one per namespace.
#pragma once

#include <string>

struct nl_sock;

namespace sr {

class NetNs;

// One end of a veth pair. Giving the two ends different interface indexes
// matters: the kernel applies a link's carrier change at once only when the
// link's index differs from its peer's (or its qdisc is not yet running);
// otherwise linkwatch batches the change up to a second later. Two fresh
// namespaces would both number their first veth 2.
struct VethEnd {
  std::string name;
  std::string mac;
  int ifindex = 0;  // 0: the kernel picks one
};

// A link by name, and by index when the caller knows it: the topology fixes
// every index, so its requests skip a lookup (a socket, an ioctl and a close
// each, about twenty per case set-up). 0: looked up by name.
struct Link {
  // Implicit, so that a name alone still names a link.
  // NOLINTNEXTLINE(google-explicit-constructor)
  Link(const std::string& n, int i = 0) : name(n), index(i) {}
  // NOLINTNEXTLINE(google-explicit-constructor)
  Link(const char* n, int i = 0) : name(n), index(i) {}
  std::string name;
  int index;
};

class Rtnl {
 public:
  Rtnl();
  ~Rtnl();
  Rtnl(const Rtnl&) = delete;
  Rtnl& operator=(const Rtnl&) = delete;

  // Creates `here` in this namespace, already up, and `peer` inside peer_ns,
  // still down: veth refuses to open a device before its peer is attached
  // (ENOTCONN), so the peer is set up later from its own namespace.
  // MACs are given so that neighbours can be made permanent up front.
  void add_veth(const VethEnd& here, const VethEnd& peer, const NetNs& peer_ns);
  void set_up(const Link& link);
  // True once the kernel reports the link operationally up: carrier on and
  // the queueing discipline attached (until then transmitted packets are
  // dropped, which would cost a case a 1 s SYN retransmission).
  bool is_oper_up(const std::string& name);
  // True once a route lookup for ip yields a local route. An IPv6 address can
  // be bound as soon as it is added, but the kernel installs its local route
  // later from a workqueue; a packet arriving before that is dropped
  // (Ip6InAddrErrors) and costs a TCP case a 1 s SYN retransmission.
  bool is_local(const std::string& ip);
  // "198.51.100.1/24" (broadcast derived) or "2001:db8:1::1/64" (no DAD, usable at once).
  void add_address(const Link& dev, const std::string& cidr);
  // A permanent neighbour entry: no ARP or neighbour discovery before the
  // first packet, so no case waits on address resolution or on the kernel
  // joining a solicited-node group in the background.
  void add_neighbour(const Link& dev, const std::string& ip, const std::string& mac);

 private:
  nl_sock* sk_;
};

// Interface index in the calling thread's namespace; throws if there is none.
int ifindex(const std::string& name);

}  // namespace sr
