// R10: a BPF program attached to a SO_REUSEPORT group picks the member of
// every datagram or connection: SO_ATTACH_REUSEPORT_CBPF (classic) and
// SO_ATTACH_REUSEPORT_EBPF (a socket-filter program), replaced, detached
// (SO_DETACH_REUSEPORT_BPF), out of range (the kernel falls back to its hash),
// attached before bind or to a socket without SO_REUSEPORT. The scenarios of
// the kernel's selftests/net/reuseport_bpf.c, in this suite's style.
//
// Both programs return the low byte of the source port, so flow i, sent from
// port flow_port(i, m), is steered to member m (fixtures/flows.h).
#include <string>
#include <vector>

#include "fixtures/bpf.h"
#include "fixtures/flows.h"
#include "fixtures/json.h"
#include "fixtures/sequence.h"
#include "netns/error.h"

namespace sr {
namespace {

enum class Kind { cbpf, ebpf };

const char* option_name(Kind k) {
  return k == Kind::cbpf ? "SO_ATTACH_REUSEPORT_CBPF" : "SO_ATTACH_REUSEPORT_EBPF";
}

// The two programs of a case, classic or extended; attaching returns the errno.
class Programs {
 public:
  explicit Programs(Kind kind) : kind_(kind) {
    if (kind == Kind::ebpf) obj_ = BpfObject::load(kBpfSteerFilter);
  }
  // The kernel refused to load the eBPF object (err() of BpfObject).
  int load_err() const { return kind_ == Kind::ebpf ? obj_.err() : 0; }
  std::string load_detail() const { return "the kernel refused the program: " + obj_.log(); }

  int member_from_port(int fd) const {
    return kind_ == Kind::cbpf ? attach_cbpf(fd, cbpf_member_from_port())
                               : attach_ebpf(fd, obj_.prog("member_from_port"));
  }
  int first_member(int fd) const {
    return kind_ == Kind::cbpf ? attach_cbpf(fd, cbpf_constant(0))
                               : attach_ebpf(fd, obj_.prog("first_member"));
  }

 private:
  Kind kind_;
  BpfObject obj_;
};

// Where a group lives and where its traffic is sent.
struct Target {
  const char* tag;  // "udp4", "tcp6", "udp46" (an IPv6 group receiving IPv4)
  Proto proto;
  const char* bind_ip;
  const char* dst_ip;
  Opts opts;
};

std::vector<Target> targets() {
  Opts dual;
  dual.v6only = 0;
  return {{"udp4", Proto::udp, kSrv4, kSrv4, {}},    {"udp6", Proto::udp, kSrv6, kSrv6, {}},
          {"udp46", Proto::udp, kAny6, kSrv4, dual}, {"tcp4", Proto::tcp, kSrv4, kSrv4, {}},
          {"tcp6", Proto::tcp, kSrv6, kSrv6, {}},    {"tcp46", Proto::tcp, kAny6, kSrv4, dual}};
}

// Flow i to member i % members, `rounds` times over.
std::vector<int> round_robin(int members, int rounds) {
  std::vector<int> want;
  for (int r = 0; r < rounds; ++r)
    for (int m = 0; m < members; ++m) want.push_back(m);
  return want;
}

std::string landed(Ctx& ctx, const Target& t, std::vector<Sock>& group,
                   const std::vector<int>& want, std::string& detail) {
  int refused = 0;
  Delivery d = send_flows(ctx, t.proto, pointers(group), t.dst_ip, flows_to(want), refused);
  detail += describe(d) + (refused ? "; refused " + std::to_string(refused) : "");
  return steered_token(d, want, refused);
}

// What happens to the group after the program is in place.
enum class Then {
  steer,         // flows to every member by port
  replace,       // a second program, attached through another member, replaces the first
  out_of_range,  // every flow asks for index 200
  detach,        // SO_DETACH_REUSEPORT_BPF through another member, then flows
};

// reuseport_bpf.c: the program is attached to the first socket before its
// bind, and governs the group the later sockets join.
Outcome steer(Ctx& ctx, Kind kind, const Target& t, int members, Then then) {
  Programs progs(kind);
  if (progs.load_err()) return {"prog_load:" + errno_name(progs.load_err()), progs.load_detail()};
  std::vector<Sock> group =
      reuseport_group(t.proto, t.bind_ip, members, t.opts, [&](int i, Sock& s) {
        if (i == 0)
          if (int err = progs.member_from_port(s.fd()))
            throw SysError(std::string(option_name(kind)) + " before bind", err);
      });
  std::string detail =
      std::to_string(members) + " members on " + t.bind_ip + ", program on member 1 before bind";
  std::vector<int> want = round_robin(members, 4);
  if (then == Then::replace) {
    if (int err = progs.first_member(group.back().fd()))
      return {call_token("setsockopt", err), "replacing the program through the last member"};
    want.assign(want.size(), 0);
    detail += "; replaced through member " + std::to_string(members) + " by one that returns 0";
  } else if (then == Then::out_of_range) {
    want.assign(64, 200);
    detail += "; every flow asks for index 200";
  } else if (then == Then::detach) {
    if (int err = detach_reuseport_bpf(group.back().fd()))
      return {call_token("setsockopt", err), "SO_DETACH_REUSEPORT_BPF through the last member"};
    want = round_robin(members, 16);
    detail += "; detached through member " + std::to_string(members);
  }
  detail += "; ";
  return {landed(ctx, t, group, want, detail), detail};
}

// A program attached to the last member after every member bound governs the
// whole group just the same.
Outcome attached_to_last(Ctx& ctx, Kind kind, const Target& t) {
  Programs progs(kind);
  if (progs.load_err()) return {"prog_load:" + errno_name(progs.load_err()), progs.load_detail()};
  std::vector<Sock> group = reuseport_group(t.proto, t.bind_ip, 4, t.opts);
  if (int err = progs.member_from_port(group.back().fd()))
    return {call_token("setsockopt", err), "attaching to member 4 after every bind"};
  std::string detail = "program attached to member 4 of 4 after every bind; ";
  return {landed(ctx, t, group, round_robin(4, 4), detail), detail};
}

// reuseport_bpf.c test_filter_no_reuseport: a bound socket without
// SO_REUSEPORT has no group to attach to.
Outcome without_reuseport(Kind kind, const Target& t) {
  Programs progs(kind);
  if (progs.load_err()) return {"prog_load:" + errno_name(progs.load_err()), progs.load_detail()};
  SockAddr at = make_addr(t.bind_ip);
  Sock s = Sock::open(at.family(), t.proto, t.opts);
  if (int err = s.bind(at)) throw SysError("bind " + at.str(), err);
  return {call_token("setsockopt", progs.member_from_port(s.fd())),
          std::string(option_name(kind)) + " on a socket bound to " + at.str() +
              " without SO_REUSEPORT"};
}

// reuseport_bpf.c test_filter_without_bind and test_extra_filter: a socket
// with SO_REUSEPORT takes a program before bind (it gets a group of its own);
// such a socket then cannot join another group on the port.
Outcome before_bind_beside_group(Kind kind, const Target& t) {
  Programs progs(kind);
  if (progs.load_err()) return {"prog_load:" + errno_name(progs.load_err()), progs.load_detail()};
  SockAddr at = make_addr(t.bind_ip);
  Opts o = t.opts;
  o.reuseport = true;
  auto with_program = [&] {
    Sock s = Sock::open(at.family(), t.proto, o);
    if (int err = progs.member_from_port(s.fd()))
      throw SysError(std::string(option_name(kind)) + " before bind", err);
    return s;
  };
  Sock first = with_program();
  if (int err = first.bind_listen(at, t.proto == Proto::tcp).err)
    throw SysError("the first socket, program attached, on " + at.str(), err);
  Sock second = with_program();
  Step r = second.bind_listen(at, t.proto == Proto::tcp);
  Outcome o2{r.token(), "two SO_REUSEPORT sockets on " + at.str() +
                            ", each with a program attached before bind; the second: " + r.call +
                            " " + errno_name(r.err)};
  return with_control(o2, [&] {
    first.close();
    second.close();
    return with_program().bind_listen(at, t.proto == Proto::tcp).token();
  });
}

const char* attach_name(Kind k) { return k == Kind::cbpf ? "cbpf" : "ebpf"; }

// What a program returns: the member index in the source port's low byte
// (index < 0), or always `index`.
Json::Members returns(int index) {
  if (index < 0) return {{"returns", "src_port_low_byte"}};
  return {{"returns", "index"}, {"index", index}};
}

// The program, the members it was attached through and when ("before_bind",
// "after_all_bind").
Json program_of(Kind kind, int index, const std::vector<int>& through, const char* when) {
  Json::Members m = {{"attach", attach_name(kind)}};
  for (auto& r : returns(index)) m.push_back(r);
  m.emplace_back("attached_to", Json::ints(through));
  m.emplace_back("when", when);
  return Json::object(m);
}

// What the group met once the program was in place: nothing (null), another
// program attached through a member, or SO_DETACH_REUSEPORT_BPF through one.
Json replaced_through(Kind kind, int member, int index) {
  Json::Members m = {{"op", "attach"}, {"member", member}, {"attach", attach_name(kind)}};
  for (auto& r : returns(index)) m.push_back(r);
  return Json::object(m);
}
Json detached_through(int member) { return Json::object({{"op", "detach"}, {"member", member}}); }

// What the model (sockreuse/model/r10_steering.py) predicts from.
Json params_of(const Target& t, int members, Json program, Json then = nullptr,
               bool reuseport = true, const char* selftest = nullptr) {
  Json::Members m = {{"kind", "r10_program"}, {"proto", proto_name(t.proto)},
                     {"bind", t.bind_ip},     {"send_to", t.dst_ip},
                     {"members", members},    {"reuseport", reuseport},
                     {"program", program},    {"then", then}};
  if (selftest) m.emplace_back("selftest", selftest);
  return Json::object(m);
}

std::string in_words(Kind kind, const std::string& scenario) {
  return scenario + "; the " + option_name(kind) +
         " program returns the member index in the source port's low byte";
}

const bool registered = [] {
  const std::vector<int> first = {1};
  for (Kind kind : {Kind::cbpf, Kind::ebpf}) {
    std::string k = kind == Kind::cbpf ? "cbpf" : "ebpf";
    KernelOptions needs = kind == Kind::ebpf ? kBpfOptions : KernelOptions{};
    Json by_port = program_of(kind, -1, first, "before_bind");
    for (const Target& t : targets()) {
      std::string id = std::string(t.tag) + ".r10." + k + ".";
      add_case(
          id + "select", "R10", in_words(kind, "4 members, program on member 1 before bind"),
          params_of(t, 4, by_port, nullptr, true, "reuseport_bpf.c"),
          [kind, t](Ctx& ctx) { return steer(ctx, kind, t, 4, Then::steer); }, needs);
    }
    Target udp4 = targets()[0], tcp4 = targets()[3];
    // More than ten members: UDP's lookup takes its second hash table (hash2).
    add_case(
        "udp4.r10." + k + ".twenty_members", "R10",
        in_words(kind, "20 members, program on member 1 before bind"),
        params_of(udp4, 20, by_port, nullptr, true, "reuseport_bpf.c"),
        [kind, udp4](Ctx& ctx) { return steer(ctx, kind, udp4, 20, Then::steer); }, needs);
    for (const Target& t : {udp4, tcp4}) {
      std::string id = std::string(t.tag) + ".r10." + k + ".";
      add_case(
          id + "replace", "R10",
          in_words(kind, "a second program, returning 0, replaces the first through member 4"),
          params_of(t, 4, by_port, replaced_through(kind, 4, 0)),
          [kind, t](Ctx& ctx) { return steer(ctx, kind, t, 4, Then::replace); }, needs);
      add_case(
          id + "out_of_range", "R10",
          std::string("4 members, program on member 1 before bind; the ") + option_name(kind) +
              " program returns 200 for a group of 4",
          params_of(t, 4, program_of(kind, 200, first, "before_bind")),
          [kind, t](Ctx& ctx) { return steer(ctx, kind, t, 4, Then::out_of_range); }, needs);
      add_case(
          id + "detach", "R10", in_words(kind, "SO_DETACH_REUSEPORT_BPF through member 4"),
          params_of(t, 4, by_port, detached_through(4)),
          [kind, t](Ctx& ctx) { return steer(ctx, kind, t, 4, Then::detach); }, needs);
      add_case(
          id + "attached_to_last_member", "R10",
          in_words(kind, "program attached to member 4 after every bind"),
          params_of(t, 4, program_of(kind, -1, {4}, "after_all_bind")),
          [kind, t](Ctx& ctx) { return attached_to_last(ctx, kind, t); }, needs);
      add_case(only_binds(described(
          id + "attach_without_reuseport", "R10",
          in_words(kind, "attach to a bound socket without SO_REUSEPORT"),
          params_of(t, 1, program_of(kind, -1, first, "after_bind"), nullptr, false,
                    "reuseport_bpf.c"),
          [kind, t](Ctx&) { return without_reuseport(kind, t); }, needs)));
      add_case(only_binds(described(
          id + "attach_before_bind.second_socket", "R10",
          in_words(kind, "each of two SO_REUSEPORT sockets takes a program before its bind"),
          params_of(t, 2, program_of(kind, -1, {1, 2}, "before_bind"), nullptr, true,
                    "reuseport_bpf.c"),
          [kind, t](Ctx&) { return before_bind_beside_group(kind, t); }, needs)));
    }
  }
  // SO_DETACH_REUSEPORT_BPF with nothing attached, and on a socket that is in no group.
  for (Proto proto : {Proto::udp, Proto::tcp}) {
    std::string tag = proto_name(proto) + "4";
    for (bool reuseport : {true, false}) {
      add_case(only_binds(described(
          tag + ".r10.detach." + (reuseport ? "nothing_attached" : "not_reuseport"), "R10",
          std::string("SO_DETACH_REUSEPORT_BPF on ") + (reuseport
                                                            ? "a member of a group of 2, no program"
                                                            : "a socket without SO_REUSEPORT"),
          Json::object({{"kind", "r10_detach"},
                        {"proto", proto_name(proto)},
                        {"option", "SO_DETACH_REUSEPORT_BPF"},
                        {"members", reuseport ? 2 : 1},
                        {"reuseport", reuseport},
                        {"program_attached", false}}),
          [proto, reuseport](Ctx&) -> Outcome {
            Opts o;
            o.reuseport = reuseport;
            std::vector<Sock> socks =
                bind_group(kSrv4, reuseport ? 2 : 1, proto, o, proto == Proto::tcp);
            return {call_token("setsockopt", detach_reuseport_bpf(socks.back().fd())),
                    "SO_DETACH_REUSEPORT_BPF on a socket bound to " + make_addr(kSrv4).str()};
          })));
    }
  }
  return true;
}();

}  // namespace
}  // namespace sr
