// LD_PRELOAD shim for self-tests only, never loaded by a normal run.
//
// SOCKREUSE_IGNORE=reuseaddr,reuseport makes those setsockopt() calls report
// success without reaching the kernel: a suite whose verdicts come from real
// syscalls must then fail the cases that depend on them.
//
// SOCKREUSE_FAULT=no_netns|no_veth|no_ipv6 makes unshare(CLONE_NEWNET), veth
// creation or IPv6 addresses fail the way a kernel built without them does, so
// the tests can check how the harness reports a missing kernel feature.
#include <dlfcn.h>
#include <errno.h>
#include <netlink/errno.h>
#include <netlink/route/addr.h>
#include <netlink/route/link.h>
#include <sched.h>
#include <sys/socket.h>

#include <cstdlib>
#include <cstring>

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

}  // namespace

extern "C" int setsockopt(int fd, int level, int name, const void* value, socklen_t len) {
  if (level == SOL_SOCKET && ((name == SO_REUSEADDR && env_has("SOCKREUSE_IGNORE", "reuseaddr")) ||
                              (name == SO_REUSEPORT && env_has("SOCKREUSE_IGNORE", "reuseport"))))
    return 0;
  static auto real = next<int (*)(int, int, int, const void*, socklen_t)>("setsockopt");
  return real(fd, level, name, value, len);
}

extern "C" int unshare(int flags) {
  if ((flags & CLONE_NEWNET) && env_has("SOCKREUSE_FAULT", "no_netns")) {
    errno = EINVAL;
    return -1;
  }
  static auto real = next<int (*)(int)>("unshare");
  return real(flags);
}

extern "C" int rtnl_link_add(struct nl_sock* sk, struct rtnl_link* link, int flags) {
  if (env_has("SOCKREUSE_FAULT", "no_veth")) return -NLE_OPNOTSUPP;
  static auto real = next<int (*)(struct nl_sock*, struct rtnl_link*, int)>("rtnl_link_add");
  return real(sk, link, flags);
}

extern "C" int rtnl_addr_add(struct nl_sock* sk, struct rtnl_addr* addr, int flags) {
  if (rtnl_addr_get_family(addr) == AF_INET6 && env_has("SOCKREUSE_FAULT", "no_ipv6"))
    return -NLE_AF_NOSUPPORT;
  static auto real = next<int (*)(struct nl_sock*, struct rtnl_addr*, int)>("rtnl_addr_add");
  return real(sk, addr, flags);
}
