#include "netns/namespace.h"

#include <fcntl.h>
#include <sched.h>

#include <cstdio>

#include "netns/error.h"

namespace sr {

NetNs NetNs::current() {
  return NetNs(UniqueFd(check(::open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC),
                              "open /proc/thread-self/ns/net")));
}

NetNs NetNs::create() {
  NetNs prev = current();
  check(::unshare(CLONE_NEWNET), "unshare(CLONE_NEWNET)");
  NetNs fresh = current();
  enter(prev);
  return fresh;
}

void enter(const NetNs& ns) { check(::setns(ns.fd(), CLONE_NEWNET), "setns(CLONE_NEWNET)"); }

InNs::InNs(const NetNs& ns) : prev_(NetNs::current()) { enter(ns); }

InNs::~InNs() {
  // Staying in the wrong namespace would silently run later steps on the
  // wrong host, so a failed return is fatal for the case process.
  if (::setns(prev_.fd(), CLONE_NEWNET) != 0) {
    std::perror("sockreuse: setns back to the previous namespace");
    std::abort();
  }
}

}  // namespace sr
