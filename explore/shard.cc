#include "explore/shard.h"

#include <netinet/tcp.h>
#include <sched.h>
#include <sys/socket.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <optional>
#include <set>

#include "explore/sequence.h"
#include "fixtures/skip.h"
#include "fixtures/topology.h"
#include "netns/error.h"
#include "netns/sockdiag.h"
#include "netns/sysctl.h"

namespace sr::explore {
namespace {

using Clock = std::chrono::steady_clock;

std::string one_line(std::string s) {
  for (char& c : s)
    if (c == '\t' || c == '\n') c = ' ';
  return s;
}

// Every local port in TIME_WAIT in the current namespace.
std::set<uint16_t> timewait_ports() {
  std::set<uint16_t> out;
  for (int family : {AF_INET, AF_INET6})
    for (const TcpSockInfo& s : tcp_sockets(family, state_bit(TCP_TIME_WAIT))) out.insert(s.sport);
  return out;
}

struct Pending {
  size_t seq;
  uint16_t port;
  SeqResult result;
};

// A fresh server namespace with the topology; the previous one goes away
// with its last descriptor, and its TIME_WAIT sockets with it.
Topology fresh_topology() {
  check(unshare(CLONE_NEWNET), "unshare(CLONE_NEWNET)");
  Topology t = Topology::build();
  write_sysctl("net.ipv4.ip_local_port_range", kEphemeralRange);
  // The default limit scales with the hash table and can be a few thousand
  // in a small guest; past it a closing socket skips TIME_WAIT altogether.
  write_sysctl("net.ipv4.tcp_max_tw_buckets", "1000000");
  return t;
}

}  // namespace

int run_shard(const ShardPlan& plan) {
  std::ofstream out(plan.out_path);
  if (!out) {
    std::perror(("sockreuse-explore: open " + plan.out_path).c_str());
    return 2;
  }
  size_t next = 0;
  try {
    while (next < plan.seqs.size()) {
      std::optional<Topology> topo(fresh_topology());
      auto born = Clock::now();
      std::vector<Pending> batch;
      for (int port = kFirstPort; port <= kLastPort && next < plan.seqs.size(); ++port) {
        // Checked before every sequence: in a slow guest a few hundred
        // sequences can take longer than the margin left before expiry.
        if (Clock::now() - born > std::chrono::seconds(kTopologySeconds)) break;
        size_t i = plan.seqs[next++];
        auto p = static_cast<uint16_t>(port);
        batch.push_back({i, p, run_sequence(plan.input->seqs[i], p, *topo)});
        plan.done->fetch_add(1, std::memory_order_relaxed);
      }
      std::set<uint16_t> tw = timewait_ports();
      for (Pending& p : batch) {
        SeqResult& r = p.result;
        if (r.timewait && r.status == "ok" && !tw.count(p.port)) {
          r.status = "error";
          r.detail = "the TIME_WAIT on port " + std::to_string(p.port) +
                     " was gone before its topology was (never made, or dropped)";
        }
        out << plan.input->seqs[p.seq].index << '\t' << r.status << '\t' << r.token << '\t'
            << r.control << '\t' << one_line(r.detail) << '\n';
      }
    }
  } catch (const Skip& e) {
    (void)std::fprintf(stderr, "sockreuse-explore: cannot run here: %s\n", e.what());
    return 4;
  } catch (const std::exception& e) {
    (void)std::fprintf(stderr, "sockreuse-explore: shard failed: %s\n", e.what());
    return 3;
  }
  out.flush();
  return out ? 0 : 2;
}

}  // namespace sr::explore
