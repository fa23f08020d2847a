// Who holds a port: every TCP and UDP socket of the current namespace on it,
// over sock_diag, for the report of a step the kernel refused as "in use"
// where the sequence's own sockets should be the only ones on the port. Only
// ever called on such a refusal (or in the debug check below), so the
// sequences the kernel does not refuse pay nothing for it.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <vector>

namespace sr::explore {

struct Holder {
  int protocol = 0;  // IPPROTO_TCP or IPPROTO_UDP
  int family = 0;
  int state = 0;  // TCP numbering; an unconnected UDP socket reads CLOSE
  std::string local, remote;
  int ifindex = 0;  // SO_BINDTODEVICE (0: none)
  uid_t uid = 0;
  uint32_t inode = 0;  // 0: no file any more (TIME_WAIT, an orphan)
};

// Every socket of the current network namespace whose local port is `port`.
std::vector<Holder> port_holders(uint16_t port);

// One line for a sequence's detail: each holder with its state, addresses,
// device, uid, inode and whether one of this process's descriptors is it.
std::string describe_holders(uint16_t port);

// What a refusal found on the port. `lingering`: a socket with a file that
// is none of this process's descriptors. Only this process makes sockets in
// the server namespace, so that is one it closed whose file another process
// still held at the close() — a /proc/<pid>/fd reader (ss -p, lsof) holds
// each file it looks at for a moment — and which stays bound until that
// reference goes: the refusal is the harness's, not the kernel's rules.
// `fileless`: a socket with no file on the port (a TIME_WAIT, an orphan),
// which no step of a sequence leaves before its first socket is set up.
struct PortReport {
  std::string text;  // describe_holders()
  bool lingering = false;
  bool fileless = false;
  // Whatever refused is gone, or going: only sockets with a file are on the
  // port (the refused socket itself, closed ones still held elsewhere), or
  // none (a dump takes milliseconds under load; a lingering socket goes).
  bool transient() const { return !fileless; }
};
PortReport inspect_port(uint16_t port);

// Waits, within the suite's wait bound, until no socket is on `port`;
// throws WaitTimeout naming the holders left.
void wait_port_free(uint16_t port);

// Whether a premise step's failure says the port (not the address) is taken:
// EADDRINUSE, EAGAIN, or EADDRNOTAVAIL from anything but bind() (bind()'s
// EADDRNOTAVAIL is about the address, e.g. ::1 on s0, and expected).
bool refused_as_busy(const char* call, int err);

// Throws std::runtime_error naming the holders when any socket is on `port`.
void require_port_free(uint16_t port, const char* moment);

// Waits, within the wait bound, until no TCP listener of `family` is on
// `port`: after the close() of a listener the next step depends on. A dump
// of listeners only (tens of microseconds), so cheap enough for every
// TIME_WAIT and ESTABLISHED sequence.
void wait_listener_gone(int family, uint16_t port);

// SOCKREUSE_EXPLORE_CHECK_PORTS=1: before each sequence's first bind(), the
// shard asserts over sock_diag that its port is free (a debug mode: a dump
// per sequence). Read once.
bool check_ports_enabled();

}  // namespace sr::explore
