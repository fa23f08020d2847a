#include "netns/rtnl.h"

#include <gtest/gtest.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>

#include <cstring>
#include <set>
#include <string>

#include "fixtures/address.h"
#include "fixtures/socket.h"
#include "netns/error.h"
#include "netns/namespace.h"
#include "netns/sockdiag.h"
#include "netns/wait.h"

namespace sr {
namespace {

std::set<std::string> addresses_of(const std::string& dev) {
  std::set<std::string> out;
  ifaddrs* list = nullptr;
  EXPECT_EQ(getifaddrs(&list), 0);
  for (ifaddrs* a = list; a; a = a->ifa_next) {
    if (!a->ifa_addr || dev != a->ifa_name) continue;
    SockAddr s;
    s.len = a->ifa_addr->sa_family == AF_INET6 ? sizeof(sockaddr_in6) : sizeof(sockaddr_in);
    if (a->ifa_addr->sa_family != AF_INET && a->ifa_addr->sa_family != AF_INET6) continue;
    std::memcpy(&s.ss, a->ifa_addr, s.len);
    std::string text = s.str();
    out.insert(text.substr(0, text.rfind(':')));
  }
  freeifaddrs(list);
  return out;
}

TEST(Rtnl, VethPeerLandsInTheOtherNamespace) {
  NetNs here = NetNs::create(), there = NetNs::create();
  InNs in(here);
  Rtnl nl;
  nl.add_veth({"ta", "02:00:00:00:aa:01"}, {"tb", "02:00:00:00:aa:02"}, there);
  EXPECT_GT(if_nametoindex("ta"), 0u);
  EXPECT_EQ(if_nametoindex("tb"), 0u);
  InNs in_there(there);
  EXPECT_GT(if_nametoindex("tb"), 0u);
  EXPECT_EQ(if_nametoindex("ta"), 0u);
}

TEST(Rtnl, AddressesAreUsableAtOnce) {
  NetNs here = NetNs::create(), there = NetNs::create();
  InNs in(here);
  Rtnl nl;
  nl.add_veth({"ta", "02:00:00:00:aa:01"}, {"tb", "02:00:00:00:aa:02"}, there);
  nl.add_address("ta", "198.51.100.7/24");
  nl.add_address("ta", "2001:db8:7::1/64");
  auto have = addresses_of("ta");
  EXPECT_TRUE(have.count("198.51.100.7"));
  EXPECT_TRUE(have.count("[2001:db8:7::1]"));
  // No DAD: the IPv6 address is not tentative, so bind works right away.
  Sock s = Sock::open(AF_INET6, Proto::udp);
  EXPECT_EQ(s.bind(make_addr("2001:db8:7::1", 9)), 0);
  EXPECT_FALSE(nl.is_oper_up("ta"));  // its peer is still down
}

TEST(Rtnl, LinkComesUpAndAddressBecomesLocal) {
  NetNs here = NetNs::create(), there = NetNs::create();
  {
    InNs in(here);
    Rtnl nl;
    nl.add_veth({"ta", "02:00:00:00:aa:01"}, {"tb", "02:00:00:00:aa:02"}, there);
    nl.add_address("ta", "2001:db8:7::1/64");
  }
  {
    InNs in(there);
    Rtnl nl;
    nl.set_up("tb");
  }
  InNs in(here);
  Rtnl nl;
  EXPECT_TRUE(wait_until([&] { return nl.is_oper_up("ta"); }, std::chrono::milliseconds(3000)));
  EXPECT_TRUE(
      wait_until([&] { return nl.is_local("2001:db8:7::1"); }, std::chrono::milliseconds(3000)));
  EXPECT_FALSE(nl.is_local("2001:db8:7::99"));
}

// A link given with its index is configured by that index, without a lookup
// by name; the name then only labels errors.
TEST(Rtnl, LinkByKnownIndex) {
  NetNs here = NetNs::create(), there = NetNs::create();
  InNs in(here);
  Rtnl nl;
  nl.add_veth({"ta", "02:00:00:00:aa:01", 7}, {"tb", "02:00:00:00:aa:02"}, there);
  nl.add_address({"ta", 7}, "198.51.100.7/24");
  EXPECT_TRUE(addresses_of("ta").count("198.51.100.7"));
  try {
    nl.add_address({"ta", 99}, "198.51.100.8/24");
    FAIL() << "expected an error";
  } catch (const std::exception& e) {
    EXPECT_NE(std::string(e.what()).find("to ta"), std::string::npos) << e.what();
  }
}

TEST(Rtnl, MissingInterfaceIsAClearError) {
  NetNs here = NetNs::create();
  InNs in(here);
  Rtnl nl;
  try {
    nl.add_address("nosuchdev", "198.51.100.7/24");
    FAIL() << "expected an error";
  } catch (const SysError& e) {
    EXPECT_NE(std::string(e.what()).find("nosuchdev"), std::string::npos);
    EXPECT_EQ(e.err(), ENODEV);
  }
}

}  // namespace
}  // namespace sr
