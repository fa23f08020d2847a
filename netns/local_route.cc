#include "netns/local_route.h"

#include <linux/rtnetlink.h>
#include <netlink/msg.h>
#include <netlink/netlink.h>
#include <netlink/route/route.h>

#include <memory>
#include <stdexcept>

#include "netns/error.h"
#include "netns/rtnl.h"

namespace sr {
namespace {

struct SockDel {
  void operator()(nl_sock* s) const { nl_socket_free(s); }
};
struct AddrDel {
  void operator()(nl_addr* a) const { nl_addr_put(a); }
};

struct Wanted {
  nl_addr* dst;
  int ifindex;
  bool found = false;
};

void match_route(nl_object* obj, void* arg) {
  auto* w = static_cast<Wanted*>(arg);
  auto* route = reinterpret_cast<rtnl_route*>(obj);
  nl_addr* dst = rtnl_route_get_dst(route);
  if (rtnl_route_get_type(route) != RTN_LOCAL || !dst || nl_addr_cmp(dst, w->dst) != 0) return;
  for (int i = 0; i < rtnl_route_get_nnexthops(route); ++i)
    if (rtnl_route_nh_get_ifindex(rtnl_route_nexthop_n(route, i)) == w->ifindex) w->found = true;
}

// Each message is parsed on its own rather than through an nl_cache, which
// would merge the local routes of one address on two interfaces.
int on_message(nl_msg* msg, void* arg) {
  nl_msg_parse(msg, match_route, arg);
  return NL_OK;
}

}  // namespace

bool has_local_route(const std::string& ip, const std::string& dev) {
  nl_addr* raw = nullptr;
  int rc = nl_addr_parse(ip.c_str(), AF_UNSPEC, &raw);
  if (rc < 0) throw NlError("parse address " + ip, -rc);
  std::unique_ptr<nl_addr, AddrDel> dst(raw);
  Wanted want{dst.get(), ifindex(dev)};

  std::unique_ptr<nl_sock, SockDel> sk(nl_socket_alloc());
  if (!sk) throw std::runtime_error("nl_socket_alloc: out of memory");
  rc = nl_connect(sk.get(), NETLINK_ROUTE);
  if (rc < 0) throw NlError("connect NETLINK_ROUTE", -rc);
  nl_socket_modify_cb(sk.get(), NL_CB_VALID, NL_CB_CUSTOM, on_message, &want);
  rtmsg request{};
  request.rtm_family = static_cast<unsigned char>(nl_addr_get_family(dst.get()));
  rc = nl_send_simple(sk.get(), RTM_GETROUTE, NLM_F_DUMP, &request, sizeof request);
  if (rc < 0) throw NlError("request the routes", -rc);
  rc = nl_recvmsgs_default(sk.get());
  if (rc < 0) throw NlError("dump the routes", -rc);
  return want.found;
}

}  // namespace sr
