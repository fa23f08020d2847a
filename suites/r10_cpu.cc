// R10: members chosen by the CPU a packet is processed on. SO_INCOMING_CPU
// gives each member of a SO_REUSEPORT group a CPU; a flow processed on that
// CPU should reach that member ("soreuseport: Fix socket selection for
// SO_INCOMING_CPU.", 6.1, with the selftest so_incoming_cpu.c, whose four
// orders of setting the option are ported here). And a classic BPF program
// that returns the processing CPU (SKF_AD_CPU) picks the member at that index
// (selftests/net/reuseport_bpf_cpu.c). Every case needs two CPUs: the flows
// are sent from each in turn, and with receive steering off each flow is
// processed on the CPU that sent it (fixtures/cpu.h).
#include <sys/socket.h>

#include <algorithm>
#include <string>
#include <vector>

#include "fixtures/bpf.h"
#include "fixtures/cpu.h"
#include "fixtures/flows.h"
#include "fixtures/json.h"
#include "netns/error.h"

namespace sr {
namespace {

constexpr int kFlowsPerCpu = 16;

// When SO_INCOMING_CPU is set on each member, relative to its other calls;
// for UDP, "listen" reads "bind" (a UDP socket joins its group at bind()).
enum class When { before_reuseport, before_listen, after_listen, after_all_listen };

const char* when_name(When w, Proto p) {
  bool tcp = p == Proto::tcp;
  switch (w) {
    case When::before_reuseport:
      return "before_reuseport";
    case When::before_listen:
      return tcp ? "before_listen" : "before_bind";
    case When::after_listen:
      return tcp ? "after_listen" : "after_bind";
    case When::after_all_listen:
      return tcp ? "after_all_listen" : "after_all_bind";
  }
  return "?";
}

// A member without a CPU of its own, beside the per-CPU members
// (so_incoming_cpu.c test2 and test3).
enum class Unset { none, closed, kept };

void set_cpu(const Sock& s, int cpu) {
  check(setsockopt(s.fd(), SOL_SOCKET, SO_INCOMING_CPU, &cpu, sizeof cpu),
        "setsockopt SO_INCOMING_CPU " + std::to_string(cpu));
}

// One member, with SO_INCOMING_CPU set at `when` (cpu < 0: never).
Sock member(Proto proto, const SockAddr& at, int cpu, When when) {
  Sock s = Sock::open(at.family(), proto);
  if (cpu >= 0 && when == When::before_reuseport) set_cpu(s, cpu);
  int one = 1;
  check(setsockopt(s.fd(), SOL_SOCKET, SO_REUSEPORT, &one, sizeof one), "setsockopt SO_REUSEPORT");
  if (cpu >= 0 && proto == Proto::udp && when == When::before_listen) set_cpu(s, cpu);
  if (int err = s.bind(at)) throw SysError("bind member on " + at.str(), err);
  if (cpu >= 0 && proto == Proto::tcp && when == When::before_listen) set_cpu(s, cpu);
  if (proto == Proto::tcp)
    if (int err = s.listen(64)) throw SysError("listen member on " + at.str(), err);
  if (cpu >= 0 && when == When::after_listen) set_cpu(s, cpu);
  return s;
}

// Flows kFlowsPerCpu at a time from each CPU.
std::vector<Flow> from_each(const std::vector<int>& cpus) {
  std::vector<Flow> flows;
  for (size_t c = 0; c < cpus.size(); ++c) {
    std::vector<Flow> more = plain_flows(kFlowsPerCpu, cpus[c], int(c) * kFlowsPerCpu);
    flows.insert(flows.end(), more.begin(), more.end());
  }
  return flows;
}

Outcome incoming_cpu(Ctx& ctx, Proto proto, const char* ip, When when, Unset unset) {
  std::vector<int> cpus = need_cpus(2);
  SockAddr at = make_addr(ip);
  std::vector<Sock> members;
  std::vector<int> cpu_of;
  for (int cpu : cpus) {
    members.push_back(member(proto, at, cpu, when));
    cpu_of.push_back(cpu);
  }
  if (when == When::after_all_listen)
    for (size_t i = 0; i < members.size(); ++i) set_cpu(members[i], cpu_of[i]);
  std::string detail = "members' SO_INCOMING_CPU " + std::to_string(cpus[0]) + " and " +
                       std::to_string(cpus[1]) + ", set " + when_name(when, proto);
  if (unset != Unset::none) {
    members.push_back(member(proto, at, -1, when));
    cpu_of.push_back(-1);
    detail += std::string("; a third member without a CPU, ") +
              (unset == Unset::closed ? "closed before the flows" : "open");
    if (unset == Unset::closed) {
      members.back().close();
      members.pop_back();
      cpu_of.pop_back();
    }
  }
  std::vector<Flow> flows = from_each(cpus);
  int refused = 0;
  Delivery d = send_flows(ctx, proto, pointers(members), ip, flows, refused);
  if (refused) return {call_token("connect", ECONNREFUSED), describe(d)};
  return {cpu_token(d, flows, cpu_of),
          detail + "; " + std::to_string(kFlowsPerCpu) + " flows from each CPU; " + describe(d)};
}

// so_incoming_cpu.c's fallback: no member has the CPU the flows come from, so
// the kernel picks by hash among all members.
Outcome no_member_for_cpu(Ctx& ctx) {
  std::vector<int> cpus = need_cpus(2);
  SockAddr at = make_addr(kSrv4);
  std::vector<Sock> members;
  members.push_back(member(Proto::udp, at, cpus[0], When::after_listen));
  for (int i = 0; i < 2; ++i) members.push_back(member(Proto::udp, at, -1, When::after_listen));
  std::vector<Flow> flows = plain_flows(64, cpus[1]);
  Delivery d = udp_flows(ctx, pointers(members), kSrv4, flows);
  return {classify(d), "member 1 has SO_INCOMING_CPU " + std::to_string(cpus[0]) +
                           ", members 2 and 3 none; 64 flows from CPU " + std::to_string(cpus[1]) +
                           "; " + describe(d)};
}

// reuseport_bpf_cpu.c: one member per CPU index, and a classic program on the
// first returns the CPU the packet is processed on.
Outcome by_processing_cpu(Ctx& ctx, Proto proto, const char* ip) {
  std::vector<int> cpus = need_cpus(2);
  int n = *std::max_element(cpus.begin(), cpus.end()) + 1;
  std::vector<Sock> group = reuseport_group(proto, ip, n);
  if (int err = attach_cbpf(group.front().fd(), cbpf_processing_cpu()))
    return {call_token("setsockopt", err), "SO_ATTACH_REUSEPORT_CBPF on member 1"};
  // Back and forth between the CPUs, as the selftest iterates forwards and back.
  std::vector<Flow> flows;
  std::vector<int> want;
  for (int round = 0; round < 8; ++round)
    for (size_t c = 0; c < cpus.size(); ++c) {
      int cpu = cpus[round % 2 ? cpus.size() - 1 - c : c];
      flows.push_back({static_cast<uint16_t>(10000 + flows.size()), cpu});
      want.push_back(cpu);
    }
  int refused = 0;
  Delivery d = send_flows(ctx, proto, pointers(group), ip, flows, refused);
  return {steered_token(d, want, refused), std::to_string(n) +
                                               " members, the program returns the CPU; flows "
                                               "alternate between CPUs " +
                                               std::to_string(cpus[0]) + " and " +
                                               std::to_string(cpus[1]) + "; " + describe(d)};
}

// What the model (sockreuse/model/r10_cpu.py) predicts from. CPUs are named
// by their index among the case's CPUs (need_cpus: the first usable ones):
// member_cpus[i] is member i+1's SO_INCOMING_CPU (null: never set), and the
// flows come from each CPU of flows_from_cpus in turn.
Json incoming(Proto proto, const char* ip, When when, const std::vector<Json>& member_cpus,
              const std::vector<int>& closed, const std::vector<int>& flows_from, bool selftest) {
  Json::Members m = {{"kind", "r10_incoming_cpu"},
                     {"proto", proto_name(proto)},
                     {"bind", ip},
                     {"cpus", 2},
                     {"member_cpus", Json::list(member_cpus)},
                     {"set_incoming_cpu", when_name(when, proto)},
                     {"closed_before_flows", Json::ints(closed)},
                     {"flows_from_cpus", Json::ints(flows_from)}};
  if (selftest) m.emplace_back("selftest", "so_incoming_cpu.c");
  return Json::object(m);
}

const bool registered = [] {
  // The fix the cases show is the feature incoming_cpu_select
  // ("soreuseport: Fix socket selection for SO_INCOMING_CPU.").
  const std::vector<Json> per_cpu = {0, 1};
  const std::vector<int> both = {0, 1};
  for (Proto proto : {Proto::tcp, Proto::udp}) {
    std::string p = proto_name(proto);
    for (When when : {When::before_reuseport, When::before_listen, When::after_listen,
                      When::after_all_listen}) {
      add_case(p + "4.r10.incoming_cpu." + when_name(when, proto), "R10",
               std::string("2 members, one per CPU, SO_INCOMING_CPU set ") +
                   when_name(when, proto) + "; flows from every member's CPU",
               incoming(proto, kSrv4, when, per_cpu, {}, both, true), [proto, when](Ctx& ctx) {
                 return incoming_cpu(ctx, proto, kSrv4, when, Unset::none);
               });
    }
    add_case(p + "6.r10.incoming_cpu." + when_name(When::after_all_listen, proto), "R10",
             std::string("2 members on ") + kSrv6 + ", one per CPU, SO_INCOMING_CPU set " +
                 when_name(When::after_all_listen, proto) + "; flows from every member's CPU",
             incoming(proto, kSrv6, When::after_all_listen, per_cpu, {}, both, false),
             [proto](Ctx& ctx) {
               return incoming_cpu(ctx, proto, kSrv6, When::after_all_listen, Unset::none);
             });
  }
  for (Unset unset : {Unset::closed, Unset::kept}) {
    bool closed = unset == Unset::closed;
    add_case(std::string("tcp4.r10.incoming_cpu.member_without_cpu.") +
                 (closed ? "closed" : "listening"),
             "R10",
             std::string("2 members, one per CPU, and one without SO_INCOMING_CPU, ") +
                 (closed ? "closed before the flows" : "listening") +
                 "; flows from every member's CPU",
             incoming(Proto::tcp, kSrv4, When::before_listen, {0, 1, nullptr},
                      closed ? std::vector<int>{3} : std::vector<int>{}, both, true),
             [unset](Ctx& ctx) {
               return incoming_cpu(ctx, Proto::tcp, kSrv4, When::before_listen, unset);
             });
  }
  add_case("udp4.r10.incoming_cpu.no_member_for_cpu", "R10",
           "3 members, one with SO_INCOMING_CPU of the other CPU; flows from a CPU no member set",
           incoming(Proto::udp, kSrv4, When::after_listen, {0, nullptr, nullptr}, {}, {1}, true),
           no_member_for_cpu);
  for (auto [tag, proto, ip] :
       {std::tuple{"udp4", Proto::udp, kSrv4}, std::tuple{"udp6", Proto::udp, kSrv6},
        std::tuple{"tcp4", Proto::tcp, kSrv4}, std::tuple{"tcp6", Proto::tcp, kSrv6}}) {
    Proto pr = proto;
    const char* addr = ip;
    // members null: one member per CPU index, as many as the highest CPU's
    // number plus one, known only when the case runs.
    add_case(std::string(tag) + ".r10.cbpf.processing_cpu", "R10",
             "one member per CPU, member i on CPU i; a SO_ATTACH_REUSEPORT_CBPF program on "
             "member 1 after every bind returns SKF_AD_CPU, the CPU processing the packet",
             Json::object({{"kind", "r10_program"},
                           {"proto", proto_name(proto)},
                           {"bind", ip},
                           {"send_to", ip},
                           {"members", nullptr},
                           {"members_per_cpu", 1},
                           {"reuseport", true},
                           {"program", Json::object({{"attach", "cbpf"},
                                                     {"returns", "cpu"},
                                                     {"attached_to", Json::ints({1})},
                                                     {"when", "after_all_bind"}})},
                           {"then", nullptr},
                           {"selftest", "reuseport_bpf_cpu.c"}}),
             [pr, addr](Ctx& ctx) { return by_processing_cpu(ctx, pr, addr); });
  }
  return true;
}();

}  // namespace
}  // namespace sr
