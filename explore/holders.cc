#include "explore/holders.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <set>
#include <stdexcept>
#include <string>

#include "netns/error.h"
#include "netns/fd.h"
#include "netns/sockdiag.h"
#include "netns/wait.h"

namespace sr::explore {
namespace {

std::string addr_text(int family, const uint32_t* words, uint16_t port_be) {
  char buf[INET6_ADDRSTRLEN] = "?";
  inet_ntop(family, words, buf, sizeof buf);
  std::string ip = family == AF_INET6 ? "[" + std::string(buf) + "]" : std::string(buf);
  return ip + ":" + std::to_string(ntohs(port_be));
}

// One sock_diag dump (NETLINK_SOCK_DIAG, inet_diag_req_v2, every state) of
// `protocol` and `family`; keeps the sockets whose local port is `port`.
// Raw netlink rather than libnl-idiag, whose request is TCP's legacy one.
void dump(int protocol, int family, uint16_t port, std::vector<Holder>& out) {
  UniqueFd nl(check(socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_SOCK_DIAG),
                    "socket(NETLINK_SOCK_DIAG)"));
  struct {
    nlmsghdr h;
    inet_diag_req_v2 r;
  } req{};
  req.h.nlmsg_len = sizeof req;
  req.h.nlmsg_type = SOCK_DIAG_BY_FAMILY;
  req.h.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
  req.r.sdiag_family = static_cast<uint8_t>(family);
  req.r.sdiag_protocol = static_cast<uint8_t>(protocol);
  req.r.idiag_states = ~0u;
  check(static_cast<int>(send(nl.get(), &req, sizeof req, 0)), "send sock_diag request");
  alignas(nlmsghdr) char buf[32768];
  for (;;) {
    ssize_t n = recv(nl.get(), buf, sizeof buf, 0);
    if (n < 0 && errno == EINTR) continue;
    check(static_cast<int>(n), "recv sock_diag dump");
    auto left = static_cast<unsigned>(n);
    for (auto* h = reinterpret_cast<nlmsghdr*>(buf); NLMSG_OK(h, left); h = NLMSG_NEXT(h, left)) {
      if (h->nlmsg_type == NLMSG_DONE) return;
      if (h->nlmsg_type == NLMSG_ERROR) {
        auto* e = static_cast<nlmsgerr*>(NLMSG_DATA(h));
        // A protocol without a diag module (udp_diag not loaded) has nothing to say.
        if (e->error == -ENOENT) return;
        throw SysError("sock_diag dump", -e->error);
      }
      auto* m = static_cast<inet_diag_msg*>(NLMSG_DATA(h));
      if (ntohs(m->id.idiag_sport) != port) continue;
      Holder x;
      x.protocol = protocol;
      x.family = m->idiag_family;
      x.state = m->idiag_state;
      x.local = addr_text(m->idiag_family, m->id.idiag_src, m->id.idiag_sport);
      x.remote = addr_text(m->idiag_family, m->id.idiag_dst, m->id.idiag_dport);
      x.ifindex = static_cast<int>(m->id.idiag_if);
      x.uid = m->idiag_uid;
      x.inode = m->idiag_inode;
      out.push_back(x);
    }
  }
}

// The inodes of the sockets this process holds a descriptor for.
std::set<uint32_t> own_socket_inodes() {
  std::set<uint32_t> out;
  DIR* d = opendir("/proc/self/fd");
  if (!d) return out;
  // readdir is safe on a stream no other thread sees. NOLINTNEXTLINE(concurrency-mt-unsafe)
  while (dirent* e = readdir(d)) {
    char link[64];
    std::string path = std::string("/proc/self/fd/") + e->d_name;
    ssize_t n = readlink(path.c_str(), link, sizeof link - 1);
    if (n <= 0) continue;
    link[n] = '\0';
    if (std::strncmp(link, "socket:[", 8) == 0)
      out.insert(static_cast<uint32_t>(std::strtoul(link + 8, nullptr, 10)));
  }
  closedir(d);
  return out;
}

}  // namespace

std::vector<Holder> port_holders(uint16_t port) {
  std::vector<Holder> out;
  for (int protocol : {IPPROTO_TCP, IPPROTO_UDP})
    for (int family : {AF_INET, AF_INET6}) dump(protocol, family, port, out);
  return out;
}

std::string describe_holders(uint16_t port) { return inspect_port(port).text; }

PortReport inspect_port(uint16_t port) {
  std::vector<Holder> hs;
  try {
    hs = port_holders(port);
  } catch (const std::exception& e) {
    return {std::string("holders of the port unknown: ") + e.what(), false, true};
  }
  std::set<uint32_t> own = own_socket_inodes();
  bool lingering = false, fileless = false;
  std::string s = "sockets on port " + std::to_string(port) + " in the server namespace (" +
                  std::to_string(hs.size()) + "):";
  if (hs.empty()) s += " none";
  for (const Holder& h : hs) {
    char dev[IF_NAMESIZE] = "";
    std::string dev_text = "none";
    if (h.ifindex)
      dev_text = if_indextoname(static_cast<unsigned>(h.ifindex), dev)
                     ? std::string(dev)
                     : "if" + std::to_string(h.ifindex);
    lingering = lingering || (h.inode != 0 && own.count(h.inode) == 0);
    fileless = fileless || h.inode == 0;
    s += std::string(" [") + (h.protocol == IPPROTO_TCP ? "tcp" : "udp") +
         (h.family == AF_INET6 ? "6 " : "4 ") + tcp_state_name(h.state) + " " + h.local + " -> " +
         h.remote + " dev " + dev_text + " uid " + std::to_string(h.uid) + " inode " +
         std::to_string(h.inode) +
         (h.inode == 0         ? " (no file)"
          : own.count(h.inode) ? " (ours)"
                               : " (not a descriptor of this process)") +
         "]";
  }
  return {s, lingering, fileless};
}

void wait_port_free(uint16_t port) {
  wait_for([port] { return port_holders(port).empty(); },
           [port] { return "the port to be free: " + describe_holders(port); });
}

bool refused_as_busy(const char* call, int err) {
  if (err == EADDRINUSE || err == EAGAIN) return true;
  return err == EADDRNOTAVAIL && std::strcmp(call, "bind") != 0;
}

void require_port_free(uint16_t port, const char* moment) {
  if (!port_holders(port).empty())
    throw std::runtime_error(std::string("the port was not free ") + moment + ": " +
                             describe_holders(port));
}

void wait_listener_gone(int family, uint16_t port) {
  auto gone = [family, port] {
    for (const TcpSockInfo& s : tcp_sockets(family, state_bit(TCP_LISTEN)))
      if (s.sport == port) return false;
    return true;
  };
  if (gone()) return;
  (void)std::fprintf(stderr,
                     "sockreuse-explore: port %u: a closed listener outlived its close(); "
                     "waiting for it. %s\n",
                     static_cast<unsigned>(port), describe_holders(port).c_str());
  wait_for(gone, [port] { return "the closed listener to go: " + describe_holders(port); });
}

bool check_ports_enabled() {
  static const bool on = [] {
    const char* v = std::getenv("SOCKREUSE_EXPLORE_CHECK_PORTS");  // NOLINT(concurrency-mt-unsafe)
    return v != nullptr && std::strcmp(v, "1") == 0;
  }();
  return on;
}

}  // namespace sr::explore
