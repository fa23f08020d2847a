#include "netns/steering.h"

#include <gtest/gtest.h>

#include "netns/namespace.h"
#include "netns/rtnl.h"
#include "netns/sysctl.h"

namespace sr {
namespace {

// A namespace whose new devices steer packets over CPUs 0 and 1, as a
// distribution's tuning might arrange: steering_off() must undo it.
TEST(Steering, OffUndoesADefaultMask) {
  NetNs here = NetNs::create(), there = NetNs::create();
  InNs in(here);
  if (!read_sysctl("net.core.rps_default_mask"))
    GTEST_SKIP() << "this kernel has no per-namespace net.core.rps_default_mask (before 6.2)";
  write_sysctl("net.core.rps_default_mask", "3");
  Rtnl nl;
  nl.add_veth({"ta", "02:00:00:00:aa:01"}, {"tb", "02:00:00:00:aa:02"}, there);
  EXPECT_FALSE(steering_is_off({"ta"}));
  EXPECT_TRUE(steering_off({"ta", "lo"}));
  EXPECT_TRUE(steering_is_off({"ta", "lo"}));
}

TEST(Steering, MissingDeviceIsAnError) {
  NetNs here = NetNs::create();
  InNs in(here);
  EXPECT_THROW(steering_off({"no-such-dev"}), std::exception);
}

}  // namespace
}  // namespace sr
