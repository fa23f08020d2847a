#include "netns/sysctl.h"

#include <gtest/gtest.h>

#include "netns/error.h"
#include "netns/namespace.h"

namespace sr {
namespace {

TEST(Sysctl, PathFromKey) {
  EXPECT_EQ(sysctl_path("net.ipv4.tcp_migrate_req"), "/proc/sys/net/ipv4/tcp_migrate_req");
}

TEST(Sysctl, WriteStaysInItsNamespace) {
  NetNs a = NetNs::create(), b = NetNs::create();
  std::string before;
  {
    InNs in(b);
    before = read_sysctl("net.ipv4.tcp_fin_timeout").value();
  }
  {
    InNs in(a);
    write_sysctl("net.ipv4.tcp_fin_timeout", "7");
    EXPECT_EQ(read_sysctl("net.ipv4.tcp_fin_timeout").value(), "7");
  }
  InNs in(b);
  EXPECT_EQ(read_sysctl("net.ipv4.tcp_fin_timeout").value(), before);
}

TEST(Sysctl, MissingSysctl) {
  EXPECT_FALSE(read_sysctl("net.ipv4.no_such_knob").has_value());
  try {
    write_sysctl("net.ipv4.no_such_knob", "1");
    FAIL() << "expected an error";
  } catch (const SysError& e) {
    EXPECT_EQ(e.err(), ENOENT);
  }
}

TEST(Errors, ErrnoNames) {
  EXPECT_EQ(errno_name(0), "ok");
  EXPECT_EQ(errno_name(EADDRINUSE), "EADDRINUSE");
  EXPECT_EQ(errno_name(EINVAL), "EINVAL");
}

}  // namespace
}  // namespace sr
