// TCP socket states over inet_diag (libnl-idiag), so a case can wait until a
// socket really is in TIME_WAIT or LISTEN instead of sleeping. Queries see the
// namespace that is current when they run.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace sr {

struct TcpSockInfo {
  int family = 0;
  int state = 0;  // TCP_ESTABLISHED ... TCP_LISTEN (netinet/tcp.h numbering)
  uint16_t sport = 0;
  uint16_t dport = 0;
  uint32_t rqueue = 0;  // for a listener: connections waiting in accept()
  uint32_t expires_ms = 0;
  // The timer inet_diag reports: 0 none, 1 retransmit, 2 keepalive (also an
  // orphaned FIN_WAIT2's), 3 a timewait socket's (TIME_WAIT, or FIN_WAIT2 as
  // its substate), 4 zero window probe.
  int timer = 0;
  uint32_t inode = 0;
};

constexpr uint32_t state_bit(int state) { return 1u << state; }

// Every TCP socket of `family` whose state bit is in state_mask. A kernel
// without inet_diag refuses the request (NlError NLE_OPNOTSUPP; without
// tcp_diag, NLE_OBJ_NOTFOUND).
std::vector<TcpSockInfo> tcp_sockets(int family, uint32_t state_mask);

// The name the kernel uses for a TCP state ("TIME_WAIT").
std::string tcp_state_name(int state);

}  // namespace sr
