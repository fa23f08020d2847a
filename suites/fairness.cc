// R7 [fairness]: how evenly a SO_REUSEPORT group of k members spreads N flows
// (distinct source ports from the client namespace, one connection or one
// datagram each). The kernel picks a flow's member by a keyed hash of its
// addresses and ports scaled onto k (reciprocal_scale), the key random per
// boot and namespace; every case runs in namespaces of its own, so each run
// is a fresh draw and a uniform hash gives each member X_i ~ Binomial(N, 1/k)
// flows.
//
// The bound stated: every member gets between half and one and a half times
// its fair share N/k (lo = ceil(N/2k), hi = floor(3N/2k)). A correct kernel
// fails it with probability
//   P(fail) <= sum_i P(X_i < lo or X_i > hi) = k * P(X < lo or X > hi)
// (union bound over the members; X ~ Binomial(N, 1/k), the tail summed
// exactly from the binomial pmf). N is the smallest multiple of k for which
// that bound is below 1e-6, less than once in a million runs: N = 96 for
// k = 2 (bound 6.2e-7), 210 for k = 3 (7.2e-7), 328 for k = 4 (8.3e-7).
// fairness_plan() derives N, lo and hi from exactly this statement; the
// figures here are what it computes. (A Chernoff bound, P(|X - m| > m/2) <=
// 2 exp(-m/12), would need about 2.5 times as many flows.)
#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

#include "fixtures/flows.h"
#include "fixtures/sock_params.h"
#include "netns/error.h"

namespace sr {
namespace {

constexpr double kFailureBound = 1e-6;  // runs a correct kernel may fail, at most

struct FairPlan {
  int members;
  int flows;
  int lo;        // fewest flows a member may get
  int hi;        // most flows a member may get
  double bound;  // the union bound on a correct kernel failing
};

// P(X < lo or X > hi) for X ~ Binomial(n, p), from the pmf in log space
// (log n! as a running sum: std::lgamma is not thread safe).
double outside(int n, double p, int lo, int hi) {
  std::vector<double> log_fact(static_cast<size_t>(n) + 1, 0.0);
  for (int i = 2; i <= n; ++i)
    log_fact[static_cast<size_t>(i)] = log_fact[static_cast<size_t>(i) - 1] + std::log(i);
  double sum = 0;
  for (int x = 0; x <= n; ++x) {
    if (x >= lo && x <= hi) continue;
    sum +=
        std::exp(log_fact[static_cast<size_t>(n)] - log_fact[static_cast<size_t>(x)] -
                 log_fact[static_cast<size_t>(n - x)] + x * std::log(p) + (n - x) * std::log1p(-p));
  }
  return sum;
}

FairPlan fairness_plan(int k) {
  for (int n = k;; n += k) {
    int share = n / k;
    FairPlan plan{k, n, (share + 1) / 2, share + share / 2, 0};
    plan.bound = k * outside(n, 1.0 / k, plan.lo, plan.hi);
    if (plan.bound < kFailureBound) return plan;
  }
}

// 7.2e-07
std::string sci(double v) {
  char buf[32];
  (void)std::snprintf(buf, sizeof buf, "%.1e", v);
  return buf;
}

// Flows per member: each flow counted once, on the member it reached.
std::vector<int> flows_per_member(const Delivery& d) {
  std::vector<int> out(d.per_socket.size(), 0);
  for (const auto& members : d.flow_socks)
    for (int m : members) out[static_cast<size_t>(m)]++;
  return out;
}

// "fair" when every flow arrived, each on one member, and every member's
// count of flows is within [lo, hi]; "unfair" when a member's is not; else
// classify()'s word.
std::string fairness_token(const Delivery& d, const FairPlan& plan) {
  std::string word = classify(d);
  if (word != "spread" && word != "spread_partial") return word;
  for (int n : flows_per_member(d))
    if (n < plan.lo || n > plan.hi) return "unfair";
  return "fair";
}

Outcome run(Ctx& ctx, Proto proto, const char* ip, const FairPlan& plan) {
  std::vector<Sock> group = reuseport_group(proto, ip, plan.members);
  std::vector<Flow> flows = plain_flows(plan.flows);
  int refused = 0;
  Delivery d;
  if (proto == Proto::udp)
    d = udp_flows(ctx, pointers(group), ip, flows, 1);  // one datagram names a flow's member
  else
    d = send_flows(ctx, proto, pointers(group), ip, flows, refused);
  if (refused)
    throw SysError("connect (" + std::to_string(refused) + " flows refused)", ECONNREFUSED);
  std::string counts;
  for (int n : flows_per_member(d)) counts += " " + std::to_string(n);
  return {fairness_token(d, plan),
          std::to_string(plan.flows) + " flows, per member in bind order:" + counts +
              "; each member must get " + std::to_string(plan.lo) + ".." + std::to_string(plan.hi)};
}

const bool registered = [] {
  struct Row {
    const char* id;
    Proto proto;
    const char* ip;
    int members;
  };
  for (const Row& r : {Row{"tcp4.fairness.reuseport.three", Proto::tcp, kSrv4, 3},
                       Row{"tcp6.fairness.reuseport.two", Proto::tcp, kSrv6, 2},
                       Row{"udp4.fairness.reuseport.three", Proto::udp, kSrv4, 3},
                       Row{"udp6.fairness.reuseport.four", Proto::udp, kSrv6, 4}}) {
    FairPlan plan = fairness_plan(r.members);
    Opts rp;
    rp.reuseport = true;
    std::vector<SockParams> group(
        static_cast<size_t>(r.members),
        {r.ip, kSharedPort, rp, r.proto == Proto::tcp ? "listen" : "bound", {}});
    Params params{{"kind", "reuseport_fairness"},
                  {"proto", proto_name(r.proto)},
                  {"sockets", sockets_json(group)},
                  {"sysctls", Json::object({})},
                  {"flows", plan.flows},
                  {"min_per_member", plan.lo},
                  {"max_per_member", plan.hi}};
    Words words{{"members", std::to_string(plan.members)},
                {"bind", r.ip},
                {"flows", std::to_string(plan.flows)},
                {"each member", std::to_string(plan.lo) + ".." + std::to_string(plan.hi)},
                {"a uniform hash fails it with probability at most", sci(plan.bound)}};
    const char* ip = r.ip;
    Proto proto = r.proto;
    add_case({r.id, "R7", params, [proto, ip, plan](Ctx& ctx) { return run(ctx, proto, ip, plan); },
              prose(words)});
  }
  return true;
}();

}  // namespace
}  // namespace sr
