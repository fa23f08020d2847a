#include "fixtures/topology.h"

#include <gtest/gtest.h>
#include <net/if.h>
#include <unistd.h>

#include <chrono>
#include <string>
#include <vector>

#include "fixtures/case.h"
#include "fixtures/isolated.h"
#include "fixtures/socket.h"
#include "netns/sysctl.h"

namespace sr {
namespace {

using std::chrono::milliseconds;

// A connection over either veth, IPv4 and IPv6, completes without a SYN
// retransmission (1 s): the topology is fully ready when build() returns.
TEST(Topology, ReadyForTrafficOnBothPairsAndFamilies) {
  CaseResult r = run_isolated(
      [](Ctx& ctx) -> Outcome {
        for (const char* ip : {kSrv4, kSrv4b, kSrv6, kSrv6b}) {
          SockAddr at = make_addr(ip);
          Sock l = Sock::open(at.family(), Proto::tcp);
          if (l.bind(at) || l.listen()) return {"bind_failed", ip};
          auto in = ctx.in_client();
          Sock c = Sock::open(at.family(), Proto::tcp);
          auto t0 = std::chrono::steady_clock::now();
          if (c.connect(at)) return {"connect_failed", ip};
          if (std::chrono::steady_clock::now() - t0 > milliseconds(500)) return {"slow", ip};
        }
        return {"ok", ""};
      },
      Shape::two_hosts, milliseconds(10000));
  EXPECT_EQ(r.status, "ok") << r.detail;
  EXPECT_EQ(r.observed, "ok") << r.detail;
}

TEST(Topology, InterfacesAreWhereTheyBelong) {
  CaseResult r = run_isolated(
      [](Ctx& ctx) -> Outcome {
        // Distinct indexes on the two ends of each pair (see VethEnd in netns/rtnl.h).
        unsigned s0 = if_nametoindex("s0"), s1 = if_nametoindex("s1");
        bool server_ok = s0 == 10 && s1 == 11 && !if_nametoindex("c0");
        auto in = ctx.in_client();
        unsigned c0 = if_nametoindex("c0"), c1 = if_nametoindex("c1");
        bool client_ok = c0 == 20 && c1 == 21 && !if_nametoindex("s0");
        std::string where = "s0=" + std::to_string(s0) + " s1=" + std::to_string(s1) +
                            " c0=" + std::to_string(c0) + " c1=" + std::to_string(c1);
        return {server_ok && client_ok ? "ok" : "misplaced", where};
      },
      Shape::two_hosts, milliseconds(10000));
  EXPECT_EQ(r.observed, "ok") << r.detail;
}

// The server half alone: s0 and s1 with their indexes, addresses and
// carrier, bindable in both families at once; no client device anywhere in
// the namespace; asking for the client namespace is an error, not a silent
// second host.
TEST(Topology, ServerOnlyHasTheServerHalf) {
  CaseResult r = run_isolated(
      [](Ctx& ctx) -> Outcome {
        unsigned s0 = if_nametoindex("s0"), s1 = if_nametoindex("s1");
        if (s0 != 10 || s1 != 11 || if_nametoindex("c0") || if_nametoindex("c1"))
          return {"misplaced", "s0=" + std::to_string(s0) + " s1=" + std::to_string(s1)};
        std::vector<Sock> held;
        for (const char* ip : {kSrv4, kSrv4b, kSrv6, kSrv6b}) {
          SockAddr at = make_addr(ip);
          held.push_back(Sock::open(at.family(), Proto::tcp));
          if (held.back().bind(at) || held.back().listen()) return {"bind_failed", ip};
        }
        try {
          auto in = ctx.in_client();
        } catch (const std::logic_error& e) {
          return {"ok", e.what()};
        }
        return {"client_exists", ""};
      },
      Shape::server_only, milliseconds(10000));
  EXPECT_EQ(r.status, "ok") << r.detail;
  EXPECT_EQ(r.observed, "ok") << r.detail;
  EXPECT_NE(r.detail.find("Shape::two_hosts"), std::string::npos) << r.detail;
}

// Each case starts in namespaces no case before it touched, whichever shape
// it asks for: every case finds a per-namespace setting at its default in each
// of its namespaces, then changes it and leaves. A harness that handed a case
// a namespace an earlier case had used (a pool recycling them, say) would show
// the change.
TEST(Isolated, EveryCaseStartsInNamespacesNoCaseTouched) {
  constexpr const char* kKey = "net.ipv4.tcp_fin_timeout";
  for (int i = 0; i < 8; ++i) {
    Shape shape = i % 2 ? Shape::server_only : Shape::two_hosts;
    CaseResult r = run_isolated(
        [&](Ctx& ctx) -> Outcome {
          std::string seen = read_sysctl(kKey).value_or("?");
          write_sysctl(kKey, "17");
          if (shape == Shape::two_hosts) {
            auto in = ctx.in_client();
            seen += "/";
            seen += read_sysctl(kKey).value_or("?");
            write_sysctl(kKey, "17");
          }
          return {seen, ""};
        },
        shape, milliseconds(10000));
    ASSERT_EQ(r.status, "ok") << r.detail;
    EXPECT_EQ(r.observed, shape == Shape::two_hosts ? "60/60" : "60")
        << "case " << i << " (" << shape_name(shape)
        << ") found a namespace an earlier case changed";
  }
}

TEST(Isolated, ReportsErrorsSkipsAndCrashes) {
  auto error = run_isolated([](Ctx&) -> Outcome { throw std::runtime_error("boom"); },
                            Shape::two_hosts, milliseconds(10000));
  EXPECT_EQ(error.status, "error");
  EXPECT_EQ(error.detail, "boom");
  auto skip = run_isolated([](Ctx&) -> Outcome { throw Skip("no veth"); }, Shape::two_hosts,
                           milliseconds(10000));
  EXPECT_EQ(skip.status, "skip");
  auto crash =
      run_isolated([](Ctx&) -> Outcome { std::abort(); }, Shape::two_hosts, milliseconds(10000));
  EXPECT_EQ(crash.status, "error");
  EXPECT_NE(crash.detail.find("signal"), std::string::npos) << crash.detail;
}

TEST(Isolated, HangIsKilledAtTheBound) {
  auto t0 = std::chrono::steady_clock::now();
  auto hang = run_isolated(
      [](Ctx&) -> Outcome {
        for (;;) pause();
      },
      Shape::two_hosts, milliseconds(300));
  EXPECT_EQ(hang.status, "error");
  EXPECT_NE(hang.detail.find("timed out"), std::string::npos);
  EXPECT_LT(std::chrono::steady_clock::now() - t0, milliseconds(2000));
}

}  // namespace
}  // namespace sr
