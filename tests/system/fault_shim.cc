// LD_PRELOAD shim for self-tests only, never loaded by a normal run. Each
// fault makes the "kernel" misbehave in one way a self-test must catch.
//
// SOCKREUSE_IGNORE=reuseaddr,reuseport makes those setsockopt() calls report
// success without reaching the kernel: a suite whose verdicts come from real
// syscalls must then fail the cases that depend on them.
//
// SOCKREUSE_FAULT is a comma-separated list of:
//   no_netns, no_veth, no_ipv6   unshare(CLONE_NEWNET), veth creation or IPv6
//                                fail the way a kernel built without them does
//   no_vrf, no_bpf, no_inet_diag VRF devices, the bpf() system call or TCP
//                                socket monitoring (inet_diag) likewise
//                                (CONFIG_NET_VRF, CONFIG_BPF_SYSCALL,
//                                CONFIG_INET_DIAG; suites/config)
//   bind_any_eacces              bind() to a wildcard address fails with EACCES
//   bind_any_flaky               a wildcard bind() the kernel refused with
//                                EADDRINUSE succeeds in three calls of four
//   conflict_at_listen           a bind() conflict is reported by listen() instead
//   reuseaddr_busy               bind() of a socket with SO_REUSEADDR always
//                                fails with EADDRINUSE, whoever holds the port
//   rps_on                       every new network namespace steers received
//                                packets over all CPUs (net.core.rps_default_mask)
//   blind                        the harness never sees what it waits for: poll()
//                                on an inet socket never reports it readable,
//                                inet_diag finds no socket, TCP_INFO says
//                                ESTABLISHED; every wait must end in an error
//   reuseport_bpf_noop           SO_ATTACH_REUSEPORT_CBPF and _EBPF report success
//                                without attaching anything: a group keeps
//                                selecting by its hash (R10)
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <netlink/errno.h>
#include <netlink/idiag/idiagnl.h>
#include <netlink/idiag/msg.h>
#include <netlink/route/addr.h>
#include <netlink/route/link.h>
#include <poll.h>
#include <sched.h>
#include <stdarg.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <set>

namespace {

// Read per call so one process can change them. NOLINTNEXTLINE(concurrency-mt-unsafe)
bool env_has(const char* var, const char* word) {
  const char* v = std::getenv(var);  // NOLINT(concurrency-mt-unsafe)
  return v && std::strstr(v, word);
}

template <typename Fn>
Fn next(const char* name) {
  return reinterpret_cast<Fn>(dlsym(RTLD_NEXT, name));
}

bool is_wildcard(const sockaddr* a) {
  if (a->sa_family == AF_INET)
    return reinterpret_cast<const sockaddr_in*>(a)->sin_addr.s_addr == htonl(INADDR_ANY);
  if (a->sa_family != AF_INET6) return false;
  const in6_addr& v6 = reinterpret_cast<const sockaddr_in6*>(a)->sin6_addr;
  static const unsigned char mapped_any[16] = {0, 0, 0,    0,    0, 0, 0, 0,
                                               0, 0, 0xff, 0xff, 0, 0, 0, 0};
  return IN6_IS_ADDR_UNSPECIFIED(&v6) || std::memcmp(&v6, mapped_any, 16) == 0;
}

bool is_inet_socket(int fd) {
  int domain = 0;
  socklen_t n = sizeof domain;
  return getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &domain, &n) == 0 &&
         (domain == AF_INET || domain == AF_INET6);
}

std::mutex g_lock;
std::set<int> g_deferred;  // fds whose bind() conflict listen() reports
int g_flaky_calls = 0;

}  // namespace

extern "C" int setsockopt(int fd, int level, int name, const void* value, socklen_t len) {
  if (level == SOL_SOCKET && ((name == SO_REUSEADDR && env_has("SOCKREUSE_IGNORE", "reuseaddr")) ||
                              (name == SO_REUSEPORT && env_has("SOCKREUSE_IGNORE", "reuseport"))))
    return 0;
  if (level == SOL_SOCKET &&
      (name == SO_ATTACH_REUSEPORT_CBPF || name == SO_ATTACH_REUSEPORT_EBPF) &&
      env_has("SOCKREUSE_FAULT", "reuseport_bpf_noop"))
    return 0;
  static auto real = next<int (*)(int, int, int, const void*, socklen_t)>("setsockopt");
  return real(fd, level, name, value, len);
}

extern "C" int poll(struct pollfd* fds, nfds_t n, int timeout) {
  static auto real = next<int (*)(struct pollfd*, nfds_t, int)>("poll");
  if (env_has("SOCKREUSE_FAULT", "blind")) {
    bool blinded = false;
    for (nfds_t i = 0; i < n; ++i)
      if ((fds[i].events & POLLIN) && is_inet_socket(fds[i].fd)) blinded = true;
    if (blinded) {
      for (nfds_t i = 0; i < n; ++i) fds[i].revents = 0;
      if (timeout > 0) usleep(static_cast<useconds_t>(timeout) * 1000);
      return 0;
    }
  }
  return real(fds, n, timeout);
}

extern "C" int idiagnl_msg_parse(struct nlmsghdr* hdr, struct idiagnl_msg** out) {
  if (env_has("SOCKREUSE_FAULT", "blind")) return -NLE_INVAL;
  static auto real = next<int (*)(struct nlmsghdr*, struct idiagnl_msg**)>("idiagnl_msg_parse");
  return real(hdr, out);
}

extern "C" int getsockopt(int fd, int level, int name, void* value, socklen_t* len) {
  static auto real = next<int (*)(int, int, int, void*, socklen_t*)>("getsockopt");
  int rc = real(fd, level, name, value, len);
  if (rc == 0 && level == IPPROTO_TCP && name == TCP_INFO && env_has("SOCKREUSE_FAULT", "blind"))
    static_cast<tcp_info*>(value)->tcpi_state = TCP_ESTABLISHED;
  return rc;
}

extern "C" int bind(int fd, const sockaddr* addr, socklen_t len) {
  static auto real = next<int (*)(int, const sockaddr*, socklen_t)>("bind");
  if (env_has("SOCKREUSE_FAULT", "bind_any_eacces") && is_wildcard(addr)) {
    errno = EACCES;
    return -1;
  }
  if (env_has("SOCKREUSE_FAULT", "reuseaddr_busy")) {
    int on = 0;
    socklen_t n = sizeof on;
    if (getsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, &n) == 0 && on) {
      errno = EADDRINUSE;
      return -1;
    }
  }
  int rc = real(fd, addr, len);
  if (rc != 0 && errno == EADDRINUSE) {
    std::lock_guard<std::mutex> hold(g_lock);
    if (env_has("SOCKREUSE_FAULT", "bind_any_flaky") && is_wildcard(addr) &&
        ++g_flaky_calls % 4 != 0)
      return 0;
    if (env_has("SOCKREUSE_FAULT", "conflict_at_listen")) {
      g_deferred.insert(fd);
      return 0;
    }
  }
  return rc;
}

extern "C" int listen(int fd, int backlog) {
  {
    std::lock_guard<std::mutex> hold(g_lock);
    if (g_deferred.erase(fd)) {
      errno = EADDRINUSE;
      return -1;
    }
  }
  static auto real = next<int (*)(int, int)>("listen");
  return real(fd, backlog);
}

extern "C" int socket(int family, int type, int protocol) {
  if (family == AF_INET6 && env_has("SOCKREUSE_FAULT", "no_ipv6")) {
    errno = EAFNOSUPPORT;
    return -1;
  }
  static auto real = next<int (*)(int, int, int)>("socket");
  int fd = real(family, type, protocol);
  if (fd >= 0) {
    std::lock_guard<std::mutex> hold(g_lock);
    g_deferred.erase(fd);  // a reused fd number starts clean
  }
  return fd;
}

extern "C" int unshare(int flags) {
  if ((flags & CLONE_NEWNET) && env_has("SOCKREUSE_FAULT", "no_netns")) {
    errno = EINVAL;
    return -1;
  }
  static auto real = next<int (*)(int)>("unshare");
  int rc = real(flags);
  if (rc == 0 && (flags & CLONE_NEWNET) && env_has("SOCKREUSE_FAULT", "rps_on")) {
    // Every CPU in the mask, as a distribution tuned for throughput might set it.
    int fd = open("/proc/sys/net/core/rps_default_mask", O_WRONLY | O_CLOEXEC);
    if (fd >= 0) {
      char mask[32];
      long cpus = sysconf(_SC_NPROCESSORS_ONLN);
      int n = std::snprintf(mask, sizeof mask, "%lx", cpus >= 63 ? -1L : (1L << cpus) - 1);
      if (write(fd, mask, static_cast<size_t>(n)) != n) std::perror("fault_shim: rps_default_mask");
      close(fd);
    }
  }
  return rc;
}

extern "C" int rtnl_link_add(struct nl_sock* sk, struct rtnl_link* link, int flags) {
  if (env_has("SOCKREUSE_FAULT", "no_veth")) return -NLE_OPNOTSUPP;
  const char* type = rtnl_link_get_type(link);
  if (type && std::strcmp(type, "vrf") == 0 && env_has("SOCKREUSE_FAULT", "no_vrf"))
    return -NLE_OPNOTSUPP;
  static auto real = next<int (*)(struct nl_sock*, struct rtnl_link*, int)>("rtnl_link_add");
  return real(sk, link, flags);
}

extern "C" int rtnl_addr_add(struct nl_sock* sk, struct rtnl_addr* addr, int flags) {
  if (rtnl_addr_get_family(addr) == AF_INET6 && env_has("SOCKREUSE_FAULT", "no_ipv6"))
    return -NLE_AF_NOSUPPORT;
  static auto real = next<int (*)(struct nl_sock*, struct rtnl_addr*, int)>("rtnl_addr_add");
  return real(sk, addr, flags);
}

// Without inet_diag the kernel refuses the request with EOPNOTSUPP (without
// tcp_diag, ENOENT): libnl reports it as NLE_OPNOTSUPP.
extern "C" int idiagnl_send_simple(struct nl_sock* sk, int flags, uint8_t family, uint16_t states,
                                   uint16_t ext) {
  if (env_has("SOCKREUSE_FAULT", "no_inet_diag")) return -NLE_OPNOTSUPP;
  static auto real =
      next<int (*)(struct nl_sock*, int, uint8_t, uint16_t, uint16_t)>("idiagnl_send_simple");
  return real(sk, flags, family, states, ext);
}

// libbpf makes its bpf() calls through syscall(2). Every system call takes at
// most six word-sized arguments, so they are passed on as such.
extern "C" long syscall(long number, ...) {  // NOLINT(cert-dcl50-cpp): it is syscall(2)
  va_list ap;
  va_start(ap, number);
  long a[6];
  for (long& x : a) x = va_arg(ap, long);
  va_end(ap);
  if (number == SYS_bpf && env_has("SOCKREUSE_FAULT", "no_bpf")) {
    errno = ENOSYS;
    return -1;
  }
  static auto real = next<long (*)(long, ...)>("syscall");
  return real(number, a[0], a[1], a[2], a[3], a[4], a[5]);
}
