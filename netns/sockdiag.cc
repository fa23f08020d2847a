#include "netns/sockdiag.h"

#include <arpa/inet.h>
#include <netinet/tcp.h>
#include <netlink/idiag/idiagnl.h>
#include <netlink/idiag/msg.h>
#include <netlink/msg.h>
#include <netlink/netlink.h>

#include "netns/nl.h"

namespace sr {
namespace {

int collect(nl_msg* msg, void* arg) {
  auto* out = static_cast<std::vector<TcpSockInfo>*>(arg);
  idiagnl_msg* m = nullptr;
  if (idiagnl_msg_parse(nlmsg_hdr(msg), &m) < 0) return NL_SKIP;
  TcpSockInfo s;
  s.family = idiagnl_msg_get_family(m);
  s.state = idiagnl_msg_get_state(m);
  s.sport = ntohs(idiagnl_msg_get_sport(m));  // libnl hands ports over in network order
  s.dport = ntohs(idiagnl_msg_get_dport(m));
  s.rqueue = idiagnl_msg_get_rqueue(m);
  s.expires_ms = idiagnl_msg_get_expires(m);
  s.timer = idiagnl_msg_get_timer(m);
  s.inode = idiagnl_msg_get_inode(m);
  idiagnl_msg_put(m);
  out->push_back(s);
  return NL_OK;
}

}  // namespace

// Parses the dump message by message instead of through an nl_cache: a cache
// merges objects with the same addresses and ports, so two SO_REUSEPORT
// listeners would come back as one.
std::vector<TcpSockInfo> tcp_sockets(int family, uint32_t state_mask) {
  NlSockPtr sk = nl_socket();
  nl_check(idiagnl_connect(sk.get()), "connect inet_diag");
  std::vector<TcpSockInfo> out;
  nl_socket_modify_cb(sk.get(), NL_CB_VALID, NL_CB_CUSTOM, collect, &out);
  nl_check(idiagnl_send_simple(sk.get(), NLM_F_DUMP, static_cast<uint8_t>(family),
                               static_cast<uint16_t>(state_mask), 0),
           "inet_diag request");
  nl_check(nl_recvmsgs_default(sk.get()), "inet_diag dump");
  std::vector<TcpSockInfo> matching;
  // The legacy request libnl sends is not filtered by family for request
  // sockets (SYN_RECV), which then show up in both dumps.
  for (const TcpSockInfo& s : out)
    if (s.family == family && (state_mask & state_bit(s.state))) matching.push_back(s);
  return matching;
}

std::string tcp_state_name(int state) {
  static const char* const names[] = {
      "UNKNOWN", "ESTABLISHED", "SYN_SENT", "SYN_RECV", "FIN_WAIT1", "FIN_WAIT2",   "TIME_WAIT",
      "CLOSE",   "CLOSE_WAIT",  "LAST_ACK", "LISTEN",   "CLOSING",   "NEW_SYN_RECV"};
  if (state >= 0 && state < static_cast<int>(sizeof names / sizeof names[0])) return names[state];
  return "STATE_" + std::to_string(state);
}

}  // namespace sr
