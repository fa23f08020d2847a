// The VRF helper and the per-interface local-route check. Where the kernel
// has no VRF support (this host: no CONFIG_NET_VRF) the VRF test checks that
// the failure is the one the suite turns into a skip.
#include "netns/vrf.h"

#include <gtest/gtest.h>
#include <netlink/errno.h>

#include "netns/error.h"
#include "netns/local_route.h"
#include "netns/namespace.h"
#include "netns/rtnl.h"
#include "netns/wait.h"

namespace sr {
namespace {

TEST(Vrf, EnslavesALinkOrSaysItIsNotSupported) {
  NetNs here = NetNs::create(), there = NetNs::create();
  InNs in(here);
  Rtnl nl;
  nl.add_veth({"ta", "02:00:00:00:aa:01"}, {"tb", "02:00:00:00:aa:02"}, there);
  try {
    add_vrf("tvrf", 10);
  } catch (const NlError& e) {
    EXPECT_EQ(e.code(), NLE_OPNOTSUPP) << e.what();
    GTEST_SKIP() << "no VRF support here: " << e.what();
  }
  EXPECT_EQ(vrf_table("tvrf"), 10u);
  EXPECT_EQ(master_of("ta"), "");
  set_master("ta", "tvrf");
  EXPECT_EQ(master_of("ta"), "tvrf");
  EXPECT_THROW(vrf_table("ta"), std::invalid_argument);
}

TEST(LocalRoute, TellsTheInterfaceOfALinkLocalAddress) {
  NetNs here = NetNs::create(), there = NetNs::create();
  InNs in(here);
  Rtnl nl;
  nl.add_veth({"ta", "02:00:00:00:aa:01"}, {"tb", "02:00:00:00:aa:02"}, there);
  nl.add_veth({"tc", "02:00:00:00:aa:03"}, {"td", "02:00:00:00:aa:04"}, there);
  nl.add_address("ta", "fe80::1/64");
  nl.add_address("tc", "fe80::7/64");
  EXPECT_TRUE(
      wait_until([] { return has_local_route("fe80::1", "ta"); }, std::chrono::milliseconds(3000)));
  EXPECT_TRUE(
      wait_until([] { return has_local_route("fe80::7", "tc"); }, std::chrono::milliseconds(3000)));
  EXPECT_FALSE(has_local_route("fe80::1", "tc"));
  EXPECT_FALSE(has_local_route("fe80::7", "ta"));
  // The same address on the second link too: each link's route on its own.
  nl.add_address("tc", "fe80::1/64");
  EXPECT_TRUE(
      wait_until([] { return has_local_route("fe80::1", "tc"); }, std::chrono::milliseconds(3000)));
  nl.add_address("ta", "198.51.100.7/24");
  EXPECT_TRUE(has_local_route("198.51.100.7", "ta"));
  EXPECT_FALSE(has_local_route("198.51.100.8", "ta"));
}

}  // namespace
}  // namespace sr
