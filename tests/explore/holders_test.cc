#include "explore/holders.h"

#include <gtest/gtest.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <cstring>

#include "fixtures/socket.h"
#include "netns/namespace.h"
#include "netns/rtnl.h"

namespace sr::explore {
namespace {

constexpr uint16_t kPort = 7777;

TEST(Holders, NamesEverySocketOnThePortWithItsDeviceUidAndInode) {
  NetNs ns = NetNs::create();
  InNs in(ns);
  Rtnl().set_up("lo");
  Opts o;
  o.device = "lo";
  o.euid = 65534;
  Sock tcp = Sock::open(AF_INET, Proto::tcp, o);
  ASSERT_EQ(tcp.bind(make_addr("127.0.0.1", kPort)), 0);
  ASSERT_EQ(tcp.listen(), 0);
  Sock udp = Sock::open(AF_INET6, Proto::udp);
  ASSERT_EQ(udp.bind(make_addr("::1", kPort)), 0);
  Sock other = Sock::open(AF_INET, Proto::tcp);
  ASSERT_EQ(other.bind(make_addr("127.0.0.1", kPort + 1)), 0);

  std::vector<Holder> hs = port_holders(kPort);
  ASSERT_EQ(hs.size(), 2u);
  EXPECT_EQ(hs[0].protocol, IPPROTO_TCP);
  EXPECT_EQ(hs[0].state, TCP_LISTEN);
  EXPECT_EQ(hs[0].local, "127.0.0.1:7777");
  EXPECT_EQ(hs[0].ifindex, static_cast<int>(if_nametoindex("lo")));
  EXPECT_EQ(hs[0].uid, 65534u);
  EXPECT_EQ(hs[0].inode, tcp.inode());
  EXPECT_EQ(hs[1].protocol, IPPROTO_UDP);
  EXPECT_EQ(hs[1].local, "[::1]:7777");
  EXPECT_EQ(hs[1].inode, udp.inode());
  std::string text = describe_holders(kPort);
  EXPECT_NE(text.find("tcp4 LISTEN 127.0.0.1:7777 -> 0.0.0.0:0 dev lo uid 65534"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("(ours)"), std::string::npos) << text;
}

// A socket closed here stays bound while another reference to its file
// lives (here one in flight over a UNIX socket, as a /proc/<pid>/fd reader
// holds one for a moment): the report says so, and the port is not free.
TEST(Holders, SaysWhenTheFileLivesOnOutsideThisProcesssDescriptors) {
  NetNs ns = NetNs::create();
  InNs in(ns);
  Rtnl().set_up("lo");
  EXPECT_NO_THROW(require_port_free(kPort, "before"));
  int pair[2];
  ASSERT_EQ(socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0, pair), 0);
  {
    Sock s = Sock::open(AF_INET, Proto::tcp);
    ASSERT_EQ(s.bind(make_addr("127.0.0.1", kPort)), 0);
    int fd = s.fd();
    char byte = 0;
    iovec iov{&byte, 1};
    alignas(cmsghdr) char ctl[CMSG_SPACE(sizeof fd)] = {};
    msghdr m{};
    m.msg_iov = &iov;
    m.msg_iovlen = 1;
    m.msg_control = ctl;
    m.msg_controllen = sizeof ctl;
    cmsghdr* c = CMSG_FIRSTHDR(&m);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof fd);
    std::memcpy(CMSG_DATA(c), &fd, sizeof fd);
    ASSERT_EQ(sendmsg(pair[0], &m, 0), 1);
  }  // closed here
  std::string text = describe_holders(kPort);
  EXPECT_NE(text.find("(not a descriptor of this process)"), std::string::npos) << text;
  EXPECT_THROW(require_port_free(kPort, "after close"), std::runtime_error);
  close(pair[0]);
  close(pair[1]);  // the file in flight goes, and the socket with it
  EXPECT_TRUE(port_holders(kPort).empty());
}

TEST(Holders, OnlyAPortConflictAsksWhoHoldsThePort) {
  EXPECT_TRUE(refused_as_busy("bind", EADDRINUSE));
  EXPECT_TRUE(refused_as_busy("listen", EADDRINUSE));
  EXPECT_TRUE(refused_as_busy("connect", EADDRNOTAVAIL));
  EXPECT_FALSE(refused_as_busy("bind", EADDRNOTAVAIL));
  EXPECT_FALSE(refused_as_busy("connect", ECONNREFUSED));
}

}  // namespace
}  // namespace sr::explore
