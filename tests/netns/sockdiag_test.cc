#include "netns/sockdiag.h"

#include <gtest/gtest.h>
#include <netinet/tcp.h>

#include <chrono>

#include "fixtures/socket.h"
#include "netns/namespace.h"
#include "netns/rtnl.h"
#include "netns/wait.h"

namespace sr {
namespace {

using std::chrono::milliseconds;

TEST(SockDiag, SeesAListenerWithItsPort) {
  NetNs ns = NetNs::create();
  InNs in(ns);
  Rtnl().set_up("lo");
  Sock s = Sock::open(AF_INET, Proto::tcp);
  ASSERT_EQ(s.bind(make_addr("127.0.0.1", 7777)), 0);
  ASSERT_EQ(s.listen(), 0);
  auto found = tcp_sockets(AF_INET, state_bit(TCP_LISTEN));
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(found[0].sport, 7777);
  EXPECT_EQ(found[0].inode, s.inode());
  EXPECT_TRUE(tcp_sockets(AF_INET, state_bit(TCP_TIME_WAIT)).empty());
}

// Two SO_REUSEPORT listeners share addresses and ports; both must be listed
// (an nl_cache would merge them into one object).
TEST(SockDiag, ListsEveryReuseportListener) {
  NetNs ns = NetNs::create();
  InNs in(ns);
  Rtnl().set_up("lo");
  Opts o;
  o.reuseport = true;
  Sock a = Sock::open(AF_INET, Proto::tcp, o), b = Sock::open(AF_INET, Proto::tcp, o);
  for (Sock* s : {&a, &b}) {
    ASSERT_EQ(s->bind(make_addr("127.0.0.1", 7777)), 0);
    ASSERT_EQ(s->listen(), 0);
  }
  EXPECT_EQ(tcp_sockets(AF_INET, state_bit(TCP_LISTEN)).size(), 2u);
}

TEST(SockDiag, CountsTheAcceptQueue) {
  NetNs ns = NetNs::create();
  InNs in(ns);
  Rtnl().set_up("lo");
  Sock l = Sock::open(AF_INET, Proto::tcp);
  ASSERT_EQ(l.bind(make_addr("127.0.0.1", 7777)), 0);
  ASSERT_EQ(l.listen(), 0);
  Sock c = Sock::open(AF_INET, Proto::tcp);
  ASSERT_EQ(c.connect(make_addr("127.0.0.1", 7777)), 0);
  EXPECT_TRUE(wait_until(
      [] {
        auto ls = tcp_sockets(AF_INET, state_bit(TCP_LISTEN));
        return ls.size() == 1 && ls[0].rqueue == 1;
      },
      milliseconds(3000)));
}

TEST(WaitUntil, TrueAtOnce) {
  auto t0 = std::chrono::steady_clock::now();
  EXPECT_TRUE(wait_until([] { return true; }, milliseconds(1000)));
  EXPECT_LT(std::chrono::steady_clock::now() - t0, milliseconds(50));
}

TEST(WaitUntil, GivesUpAfterTheBound) {
  auto t0 = std::chrono::steady_clock::now();
  EXPECT_FALSE(wait_until([] { return false; }, milliseconds(100)));
  auto took = std::chrono::steady_clock::now() - t0;
  EXPECT_GE(took, milliseconds(100));
  EXPECT_LT(took, milliseconds(300));
}

TEST(TcpStateName, Names) {
  EXPECT_EQ(tcp_state_name(TCP_TIME_WAIT), "TIME_WAIT");
  EXPECT_EQ(tcp_state_name(TCP_LISTEN), "LISTEN");
}

}  // namespace
}  // namespace sr
