// R10: a BPF_PROG_TYPE_SK_REUSEPORT program picks the member itself, with
// bpf_sk_select_reuseport() and a REUSEPORT_SOCKARRAY map, and its verdict
// (SK_PASS, SK_DROP) decides whether the packet is delivered at all. The
// scenarios of the kernel's selftests/bpf/prog_tests/select_reuseport.c, in
// this suite's style: a member selected through the map (filled in the
// opposite order of the group, so the map's index is not the group's), an
// empty slot, a socket of another group, protocol or family in the map, a
// member closed after it was put there, the program's verdicts, detaching it,
// and which sockets the map accepts at all.
//
// Each outcome is where the flows went, then what the helper returned:
// "by_program|helper:ok", "none|helper:EBADFD" (suites/bpf/select_sockarray.bpf.c).
#include <optional>
#include <string>
#include <vector>

#include "fixtures/bpf.h"
#include "fixtures/flows.h"
#include "fixtures/json.h"
#include "netns/error.h"
#include "suites/bpf/r10_maps.h"

namespace sr {
namespace {

constexpr int kMembers = 4;
constexpr int kFlowsPerMember = 4;
constexpr uint16_t kOtherPort = kPort + 2;

struct Target {
  const char* tag;
  Proto proto;
  const char* bind_ip;
  const char* dst_ip;
};

// What goes into the map slot the flows ask for, or what the program does.
enum class Scenario {
  select,               // slot k holds member kMembers-1-k
  empty_slot_drop,      // the flows ask for an empty slot; the program drops
  empty_slot_pass,      // ... and passes, leaving the choice to the kernel
  other_group,          // the slot holds a socket of the same kind on another port
  other_protocol,       // ... a socket of the other protocol on the group's port
  other_family,         // ... an IPv6 socket, for an IPv4 group
  closed_member,        // the slot's member closed after it was put there
  select_then_drop,     // the program selects, then returns SK_DROP
  pass_without_select,  // SK_PASS and no selection
  drop_without_select,  // SK_DROP and no selection
  detached,             // SO_DETACH_REUSEPORT_BPF through member 1 before the flows
};

// Besides its name and scenario, a row says what the model
// (sockreuse/model/r10_sockarray.py) predicts from: what the slot the flows
// ask for holds ("member", "empty", "member_closed", "other_group",
// "other_protocol", "other_family"), whether the program calls
// bpf_sk_select_reuseport(), its verdict when the helper succeeds (or is not
// called) and when it fails, and whether it is detached before the flows.
struct Row {
  const char* name;
  Scenario scenario;
  const char* what;
  const char* slot;
  bool selects;
  const char* verdict;
  const char* on_error;
  bool detached;
};

const std::vector<Row>& rows() {
  static const std::vector<Row> r = {
      {"select", Scenario::select, "slot k holds member 4-k; flow i asks for slot i%4", "member",
       true, "SK_PASS", "SK_DROP", false},
      {"empty_slot.drop", Scenario::empty_slot_drop, "flows ask for an empty slot; SK_DROP",
       "empty", true, "SK_PASS", "SK_DROP", false},
      {"empty_slot.pass", Scenario::empty_slot_pass, "flows ask for an empty slot; SK_PASS",
       "empty", true, "SK_PASS", "SK_PASS", false},
      {"other_group", Scenario::other_group, "the slot holds a socket bound to another port",
       "other_group", true, "SK_PASS", "SK_DROP", false},
      {"other_protocol", Scenario::other_protocol, "the slot holds a socket of the other protocol",
       "other_protocol", true, "SK_PASS", "SK_DROP", false},
      {"other_family", Scenario::other_family, "the slot holds an IPv6 socket", "other_family",
       true, "SK_PASS", "SK_DROP", false},
      {"closed_member", Scenario::closed_member, "the slot's member closed after the update",
       "member_closed", true, "SK_PASS", "SK_DROP", false},
      {"select_then_drop", Scenario::select_then_drop, "the program selects, then SK_DROP",
       "member", true, "SK_DROP", "SK_DROP", false},
      {"pass_without_select", Scenario::pass_without_select, "SK_PASS, nothing selected", "member",
       false, "SK_PASS", "SK_PASS", false},
      {"drop_without_select", Scenario::drop_without_select, "SK_DROP, nothing selected", "member",
       false, "SK_DROP", "SK_DROP", false},
      {"detached", Scenario::detached, "SO_DETACH_REUSEPORT_BPF through member 1", "member", true,
       "SK_PASS", "SK_DROP", true},
  };
  return r;
}

uint32_t policy_for(Scenario s) {
  switch (s) {
    case Scenario::empty_slot_pass:
      return R10_SELECT_PASS_ON_ERROR;
    case Scenario::select_then_drop:
      return R10_SELECT_THEN_DROP;
    case Scenario::pass_without_select:
      return R10_PASS_WITHOUT_SELECTING;
    case Scenario::drop_without_select:
      return R10_DROP_WITHOUT_SELECTING;
    default:
      return R10_SELECT_DROP_ON_ERROR;
  }
}

// A bound (and, for TCP, listening) SO_REUSEPORT socket in a group of its own.
Sock lone_member(int family, Proto proto, uint16_t port) {
  SockAddr at = make_addr(family == AF_INET6 ? kSrv6 : kSrv4, port);
  Opts rp;
  rp.reuseport = true;
  Sock s = Sock::open(family, proto, rp);
  Step r = s.bind_listen(at, proto == Proto::tcp);
  if (r.err) throw SysError(r.call + " " + at.str(), r.err);
  return s;
}

Outcome run(Ctx& ctx, const Target& t, Scenario scenario) {
  BpfObject obj = BpfObject::load(kBpfSelectSockarray);
  if (obj.err()) return {"prog_load:" + errno_name(obj.err()), obj.log()};
  int prog = obj.prog("select_by_port");
  int map = obj.map("members");
  if (int err = map_update_u32(obj.map("policy"), 0, policy_for(scenario)))
    throw SysError("policy map update", err);
  std::vector<Sock> group = reuseport_group(t.proto, t.bind_ip, kMembers, {}, [&](int i, Sock& s) {
    // As select_reuseport.c: the program goes to the first socket before its bind.
    if (i == 0)
      if (int err = attach_ebpf(s.fd(), prog)) throw SysError("SO_ATTACH_REUSEPORT_EBPF", err);
  });
  for (int k = 0; k < kMembers; ++k)
    if (int err = map_update_u64(map, uint32_t(k), uint64_t(group[size_t(kMembers - 1 - k)].fd())))
      return {"map_update:" + errno_name(err), "slot " + std::to_string(k)};
  std::vector<int> slots;
  for (int r = 0; r < kFlowsPerMember; ++r)
    for (int k = 0; k < kMembers; ++k) slots.push_back(k);
  int family = make_addr(t.bind_ip).family();
  std::optional<Sock> stranger;
  constexpr uint32_t kStrangerSlot = 8;
  switch (scenario) {
    case Scenario::empty_slot_drop:
    case Scenario::empty_slot_pass:
      slots.assign(slots.size(), R10_MAP_SLOTS - 1);
      break;
    case Scenario::other_group:
      stranger = lone_member(family, t.proto, kOtherPort);
      break;
    case Scenario::other_protocol:
      stranger = lone_member(family, t.proto == Proto::tcp ? Proto::udp : Proto::tcp, kPort);
      break;
    case Scenario::other_family:
      stranger = lone_member(family == AF_INET ? AF_INET6 : AF_INET, t.proto, kPort);
      break;
    case Scenario::closed_member:
      group[0].close();  // in slot kMembers-1
      slots.assign(slots.size(), kMembers - 1);
      break;
    case Scenario::detached:
      if (int err = detach_reuseport_bpf(group[0].fd()))
        return {call_token("setsockopt", err), "SO_DETACH_REUSEPORT_BPF through member 1"};
      break;
    default:
      break;
  }
  if (stranger) {
    if (int err = map_update_u64(map, kStrangerSlot, uint64_t(stranger->fd())))
      return {"map_update:" + errno_name(err), "the other socket into slot 8"};
    slots.assign(slots.size(), kStrangerSlot);
  }
  std::vector<Flow> flows = flows_to(slots);
  bool by_hash = scenario == Scenario::empty_slot_pass ||
                 scenario == Scenario::pass_without_select || scenario == Scenario::detached;
  if (by_hash) flows = plain_flows(64);  // enough flows to reach every member
  // Only `select` names a member for each flow: the member at the slot asked for.
  std::vector<int> want(flows.size(), -1);
  if (scenario == Scenario::select)
    for (size_t i = 0; i < slots.size(); ++i) want[i] = kMembers - 1 - slots[i];
  int refused = 0;
  // A closed member stays in the list: its fd is gone and it counts nothing.
  Delivery d = send_flows(ctx, t.proto, pointers(group), t.dst_ip, flows, refused);
  uint32_t runs = map_lookup_u32(obj.map("counters"), R10_RUNS);
  uint32_t failures = map_lookup_u32(obj.map("counters"), R10_HELPER_FAILURES);
  int last_err = static_cast<int>(map_lookup_u32(obj.map("counters"), R10_HELPER_ERRNO));
  std::string landing = steered_token(d, want, refused);
  std::string detail = describe(d) + "; program ran " + std::to_string(runs) +
                       " times, helper failed " + std::to_string(failures) +
                       (refused ? "; refused " + std::to_string(refused) : "");
  return {landing + "|helper:" + (failures ? errno_name(last_err) : "ok"), detail};
}

// Which sockets the map takes: only members of a SO_REUSEPORT group, that is
// bound UDP sockets and listening TCP ones with the option.
Outcome update_with(Proto proto, bool reuseport, bool bind, bool listen) {
  BpfObject obj = BpfObject::load(kBpfSelectSockarray);
  if (obj.err()) return {"prog_load:" + errno_name(obj.err()), obj.log()};
  Opts o;
  o.reuseport = reuseport;
  SockAddr at = make_addr(kSrv4);
  Sock s = Sock::open(AF_INET, proto, o);
  if (bind) {
    Step r = s.bind_listen(at, listen);
    if (r.err) throw SysError(r.call + " " + at.str(), r.err);
  }
  int err = map_update_u64(obj.map("members"), 0, uint64_t(s.fd()));
  return {err ? "map_update:" + errno_name(err) : "ok",
          std::string("a ") + proto_name(proto) + " socket" + (reuseport ? " with" : " without") +
              " SO_REUSEPORT, " + (bind ? "bound" : "not bound") +
              (listen ? " and listening" : "") + ", into the REUSEPORT_SOCKARRAY map"};
}

const bool registered = [] {
  const std::vector<Target> targets = {{"udp4", Proto::udp, kSrv4, kSrv4},
                                       {"udp6", Proto::udp, kSrv6, kSrv6},
                                       {"tcp4", Proto::tcp, kSrv4, kSrv4},
                                       {"tcp6", Proto::tcp, kSrv6, kSrv6},
                                       {"tcp4.any", Proto::tcp, kAny4, kSrv4}};
  for (const Target& t : targets) {
    bool full = std::string(t.tag) == "udp4" || std::string(t.tag) == "tcp4";
    for (const Row& row : rows()) {
      if (!full && row.scenario != Scenario::select) continue;
      std::string tag = t.tag, id;
      // "tcp4.any" -> "tcp4.r10.sockarray.select.any"
      std::string::size_type dot = tag.find('.');
      std::string suffix = dot == std::string::npos ? "" : tag.substr(dot);
      id = tag.substr(0, dot) + ".r10.sockarray." + row.name + suffix;
      Target target = t;
      Scenario s = row.scenario;
      add_case(
          id, "R10",
          std::string(row.what) + "; " + std::to_string(kMembers) +
              " members, a SO_ATTACH_REUSEPORT_EBPF sk_reuseport program with a "
              "REUSEPORT_SOCKARRAY map",
          Json::object(
              {{"kind", "r10_sockarray"},
               {"proto", proto_name(t.proto)},
               {"bind", t.bind_ip},
               {"members", kMembers},
               {"program", Json::object({{"attach", "ebpf"},
                                         {"type", "sk_reuseport"},
                                         {"selects", row.selects},
                                         {"verdict", row.verdict},
                                         {"verdict_on_helper_error", row.on_error}})},
               {"slot", row.slot},
               {"then", row.detached ? Json::object({{"op", "detach"}, {"member", 1}}) : nullptr},
               {"selftest", "select_reuseport.c"}}),
          [target, s](Ctx& ctx) { return run(ctx, target, s); },
          // The stranger in the slot is an IPv6 socket even in an IPv4 group.
          s == Scenario::other_family ? all_of({kBpfOptions, kIpv6Options}) : kBpfOptions);
    }
  }
  struct Update {
    const char* id;
    Proto proto;
    bool reuseport, bind, listen;
  };
  for (const Update& u :
       {Update{"udp4.r10.sockarray.update.unbound", Proto::udp, true, false, false},
        Update{"udp4.r10.sockarray.update.without_reuseport", Proto::udp, false, true, false},
        Update{"udp4.r10.sockarray.update.bound", Proto::udp, true, true, false},
        Update{"tcp4.r10.sockarray.update.bound_not_listening", Proto::tcp, true, true, false},
        Update{"tcp4.r10.sockarray.update.listening", Proto::tcp, true, true, true}}) {
    add_case(only_binds(described(
        u.id, "R10",
        std::string("a ") + proto_name(u.proto) + " socket" + (u.reuseport ? " with" : " without") +
            " SO_REUSEPORT, " +
            (u.listen ? "listening"
             : u.bind ? "bound"
                      : "not bound") +
            ", into a REUSEPORT_SOCKARRAY map",
        Json::object({{"kind", "r10_sockarray_update"},
                      {"proto", proto_name(u.proto)},
                      {"map", "REUSEPORT_SOCKARRAY"},
                      {"reuseport", u.reuseport},
                      {"state", u.listen ? "listening"
                                : u.bind ? "bound"
                                         : "unbound"}}),
        [u](Ctx&) { return update_with(u.proto, u.reuseport, u.bind, u.listen); }, kBpfOptions)));
  }
  return true;
}();

}  // namespace
}  // namespace sr
