#include "netns/local_route.h"

#include <linux/rtnetlink.h>
#include <netlink/msg.h>
#include <netlink/netlink.h>
#include <netlink/route/route.h>

#include "netns/nl.h"
#include "netns/rtnl.h"

namespace sr {
namespace {

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
  NlAddrPtr dst = parse_address(ip, AF_UNSPEC);
  Wanted want{dst.get(), ifindex(dev)};

  NlSockPtr sk = route_socket();
  nl_socket_modify_cb(sk.get(), NL_CB_VALID, NL_CB_CUSTOM, on_message, &want);
  rtmsg request{};
  request.rtm_family = static_cast<unsigned char>(nl_addr_get_family(dst.get()));
  nl_check(nl_send_simple(sk.get(), RTM_GETROUTE, NLM_F_DUMP, &request, sizeof request),
           "request the routes");
  nl_check(nl_recvmsgs_default(sk.get()), "dump the routes");
  return want.found;
}

}  // namespace sr
