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

// What the model (runner/sockreuse_model/r10_steering.py) predicts from: the
// members, the program's return value, where it was attached and what came after.
Params params_of(Kind kind, const Target& t, const std::string& scenario, int members,
                 const char* returns, const char* attached, const char* then = "nothing") {
  return {{"kind", "r10_program"},
          {"proto", proto_name(t.proto)},
          {"bind", t.bind_ip},
          {"send_to", t.dst_ip},
          {"attach", option_name(kind)},
          {"members", std::to_string(members)},
          {"program_returns", returns},
          {"attached_to", attached},
          {"then", then},
          {"scenario", scenario}};
}

const char* const kByPort = "the member index in the source port's low byte";
const char* const kFirstBeforeBind = "member 1 before bind";

const bool registered = [] {
  for (Kind kind : {Kind::cbpf, Kind::ebpf}) {
    std::string k = kind == Kind::cbpf ? "cbpf" : "ebpf";
    for (const Target& t : targets()) {
      std::string id = std::string(t.tag) + ".r10." + k + ".";
      Params p = params_of(kind, t, "4 members, program on member 1 before bind", 4, kByPort,
                           kFirstBeforeBind);
      p.emplace_back("selftest", "reuseport_bpf.c");
      add_case({id + "select", "R10", p,
                [kind, t](Ctx& ctx) { return steer(ctx, kind, t, 4, Then::steer); }});
    }
    Target udp4 = targets()[0], tcp4 = targets()[3];
    // More than ten members: UDP's lookup takes its second hash table (hash2).
    Params twenty = params_of(kind, udp4, "20 members, program on member 1 before bind", 20,
                              kByPort, kFirstBeforeBind);
    twenty.emplace_back("selftest", "reuseport_bpf.c");
    add_case({"udp4.r10." + k + ".twenty_members", "R10", twenty,
              [kind, udp4](Ctx& ctx) { return steer(ctx, kind, udp4, 20, Then::steer); }});
    for (const Target& t : {udp4, tcp4}) {
      std::string id = std::string(t.tag) + ".r10." + k + ".";
      add_case(
          {id + "replace", "R10",
           params_of(kind, t, "a second program replaces the first through member 4", 4, kByPort,
                     kFirstBeforeBind, "a program returning 0 attached through member 4"),
           [kind, t](Ctx& ctx) { return steer(ctx, kind, t, 4, Then::replace); }});
      add_case({id + "out_of_range", "R10",
                params_of(kind, t, "the program returns 200 for a group of 4", 4, "200",
                          kFirstBeforeBind),
                [kind, t](Ctx& ctx) { return steer(ctx, kind, t, 4, Then::out_of_range); }});
      add_case({id + "detach", "R10",
                params_of(kind, t, "SO_DETACH_REUSEPORT_BPF through member 4", 4, kByPort,
                          kFirstBeforeBind, "SO_DETACH_REUSEPORT_BPF through member 4"),
                [kind, t](Ctx& ctx) { return steer(ctx, kind, t, 4, Then::detach); }});
      add_case({id + "attached_to_last_member", "R10",
                params_of(kind, t, "program attached to member 4 after every bind", 4, kByPort,
                          "member 4 after every bind"),
                [kind, t](Ctx& ctx) { return attached_to_last(ctx, kind, t); }});
      Params none = params_of(kind, t, "attach to a bound socket without SO_REUSEPORT", 1, kByPort,
                              "a bound socket without SO_REUSEPORT");
      none.emplace_back("selftest", "reuseport_bpf.c");
      add_case({id + "attach_without_reuseport", "R10", none,
                [kind, t](Ctx&) { return without_reuseport(kind, t); }});
      Params extra = params_of(kind, t, "program attached before bind, beside a group", 2, kByPort,
                               "each of two SO_REUSEPORT sockets before its bind");
      extra.emplace_back("selftest", "reuseport_bpf.c");
      add_case({id + "attach_before_bind.second_socket", "R10", extra,
                [kind, t](Ctx&) { return before_bind_beside_group(kind, t); }});
    }
  }
  // SO_DETACH_REUSEPORT_BPF with nothing attached, and on a socket that is in no group.
  for (Proto proto : {Proto::udp, Proto::tcp}) {
    std::string tag = proto_name(proto) + "4";
    for (bool reuseport : {true, false}) {
      add_case({tag + ".r10.detach." + (reuseport ? "nothing_attached" : "not_reuseport"),
                "R10",
                {{"kind", "r10_detach"},
                 {"proto", proto_name(proto)},
                 {"option", "SO_DETACH_REUSEPORT_BPF"},
                 {"SO_REUSEPORT", reuseport ? "yes" : "no"},
                 {"program_attached", "no"},
                 {"socket", reuseport ? "member of a group of 2, no program" : "no SO_REUSEPORT"}},
                [proto, reuseport](Ctx&) -> Outcome {
                  Opts o;
                  o.reuseport = reuseport;
                  std::vector<Sock> socks =
                      bind_group(kSrv4, reuseport ? 2 : 1, proto, o, proto == Proto::tcp);
                  return {call_token("setsockopt", detach_reuseport_bpf(socks.back().fd())),
                          "SO_DETACH_REUSEPORT_BPF on a socket bound to " + make_addr(kSrv4).str()};
                }});
    }
  }
  return true;
}();

}  // namespace
}  // namespace sr
