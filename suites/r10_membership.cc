// R10: who is a member of a SO_REUSEPORT group, and at which index. A classic
// BPF program that returns the low byte of the source port (fixtures/bpf.h)
// makes the group's order visible: flows asking for index k reach whichever
// member the kernel keeps at k. So each case names, per member, the flows it
// got ("m1:f0-3|m3:f4-7"; members numbered in the order the case created
// them), or by_program when index k is the k-th member created.
//
// A TCP socket joins at listen(), a UDP one at bind(); a leaver's index goes
// to the last member; a shut-down listener that listens again rejoins at the
// end; sockets on other devices or other addresses of the port form groups of
// their own; and a connected UDP member (the 4-tuple hash of 6.13 looks such
// sockets up first) keeps its peer's datagrams.
#include <sys/socket.h>

#include <string>
#include <vector>

#include "fixtures/bpf.h"
#include "fixtures/flows.h"
#include "fixtures/json.h"
#include "fixtures/sequence.h"
#include "netns/error.h"

namespace sr {
namespace {

constexpr int kPerIndex = 4;

// kPerIndex flows for each index in turn: flows 0-3 ask for indexes[0], ...
std::vector<int> blocks(const std::vector<int>& indexes) {
  std::vector<int> want;
  for (int k : indexes)
    for (int i = 0; i < kPerIndex; ++i) want.push_back(k);
  return want;
}

Sock bound(Proto proto, const char* ip, unsigned flags) {
  SockAddr at = make_addr(ip);
  Sock s = Sock::open(at.family(), proto, opts_for(flags | RP));
  if (int err = s.bind(at)) throw SysError("bind " + describe({ip, flags | RP}), err);
  return s;
}

void listen_on(Sock& s) {
  if (int err = s.listen(64)) throw SysError("listen", err);
}

void attach(Sock& s) {
  if (int err = attach_cbpf(s.fd(), cbpf_member_from_port()))
    throw SysError("SO_ATTACH_REUSEPORT_CBPF", err);
}

Outcome flows_to_members(Ctx& ctx, Proto proto, const std::vector<Sock*>& members, const char* dst,
                         const std::vector<int>& indexes, const std::string& setup) {
  std::vector<int> want = blocks(indexes);
  int refused = 0;
  Delivery d = send_flows(ctx, proto, members, dst, flows_to(want), refused);
  std::string asked;
  for (size_t i = 0; i < indexes.size(); ++i)
    asked += (i ? ", " : "") + std::to_string(i * kPerIndex) + "-" +
             std::to_string(i * kPerIndex + kPerIndex - 1) + " ask for index " +
             std::to_string(indexes[i]);
  return {steered_token(d, want, refused), setup + "; flows " + asked + "; " + describe(d)};
}

// TCP joins at listen(): member 1 binds first but listens last.
Outcome listens_last(Ctx& ctx) {
  Sock late = bound(Proto::tcp, kSrv4, 0);
  Sock a = bound(Proto::tcp, kSrv4, 0), b = bound(Proto::tcp, kSrv4, 0);
  listen_on(a);
  listen_on(b);
  attach(a);
  listen_on(late);
  return flows_to_members(ctx, Proto::tcp, {&late, &a, &b}, kSrv4, {0, 1, 2},
                          "member 1 bound first and listened last; program on member 2");
}

// UDP joins at bind(): a member bound after the program was attached.
Outcome binds_after_attach(Ctx& ctx) {
  Sock a = bound(Proto::udp, kSrv4, 0);
  attach(a);
  Sock b = bound(Proto::udp, kSrv4, 0), c = bound(Proto::udp, kSrv4, 0);
  return flows_to_members(ctx, Proto::udp, {&a, &b, &c}, kSrv4, {0, 1, 2},
                          "program on member 1 before members 2 and 3 bound");
}

// A member leaves (UDP close, TCP close or shutdown), and for TCP listens again.
Outcome leaves(Ctx& ctx, Proto proto, int leaver, bool by_shutdown, bool relisten) {
  std::vector<Sock> group = reuseport_group(proto, kSrv4, 3);
  attach(group[0]);
  std::string setup = "members 1-3, program on member 1; member " + std::to_string(leaver + 1);
  Sock& gone = group[size_t(leaver)];
  std::vector<Sock*> members = pointers(group);
  // A member that left stays in the list as a closed socket (no fd: it counts
  // nothing), so members keep the numbers they were created with.
  Sock placeholder = Sock::open(AF_INET, proto);
  placeholder.close();
  std::vector<int> indexes = {0, 1};
  if (by_shutdown) {
    check(shutdown(gone.fd(), SHUT_RDWR), "shutdown");
    setup += " shut down";
    if (relisten) {
      listen_on(gone);
      setup += ", then listened again";
      indexes.push_back(2);
    } else {
      members[size_t(leaver)] = &placeholder;
    }
  } else {
    gone.close();
    setup += " closed";
  }
  return flows_to_members(ctx, proto, members, kSrv4, indexes, setup);
}

// The addresses of split()'s members by address: s0's, s1's, s0's.
std::string three_addresses() { return std::string(kSrv4) + ", " + kSrv4b + ", " + kSrv4; }

// Members on the wildcard address bound to devices s0 and s1, or on two
// addresses of the port: traffic arriving on s0 (sent to kSrv4).
Outcome split(Ctx& ctx, Proto proto, bool by_device) {
  std::vector<Sock> socks;
  if (by_device) {
    for (unsigned dev : {DEV_S0, DEV_S1, DEV_S0}) socks.push_back(bound(proto, kAny4, dev));
  } else {
    for (const char* ip : {kSrv4, kSrv4b, kSrv4}) socks.push_back(bound(proto, ip, 0));
  }
  if (proto == Proto::tcp)
    for (Sock& s : socks) listen_on(s);
  attach(socks[0]);
  return flows_to_members(ctx, proto, pointers(socks), kSrv4, {0, 1},
                          by_device ? "members on 0.0.0.0 bound to s0, s1, s0; program on member 1"
                                    : "members on " + three_addresses() + "; program on member 1");
}

// A connected member: its peer's datagrams reach it whatever index the
// program returns; and other peers' datagrams that the program sends to its
// index, or to the last index? Members 1-3, member 2 connected to flow 0's port.
// `asked` is the index the other flows ask for; -1: only the peer's flow.
Outcome connected_member(Ctx& ctx, const char* ip, const char* dst, const char* peer_ip,
                         int asked) {
  std::vector<Sock> group = reuseport_group(Proto::udp, ip, 3);
  attach(group[0]);
  SockAddr to = make_addr(peer_ip, flow_port(0, 0));
  if (int err = group[1].connect(to)) throw SysError("connect member 2 to " + to.str(), err);
  std::string setup = std::string("members 1-3 on ") + ip +
                      ", program on member 1, member 2 connected to " + to.str() + "; ";
  if (asked < 0) {
    std::vector<int> want = {0};
    Delivery d = udp_flows(ctx, pointers(group), dst, flows_to(want));
    return {steered_token(d, want), setup + "its peer's flow asks for index 0; " + describe(d)};
  }
  // Enough flows that a hash over the two others leaves neither empty but
  // with odds of 2^-30.
  std::vector<int> want(32, asked);
  std::vector<Flow> flows = flows_to(want);
  flows.erase(flows.begin());  // flow 0 is the connected peer
  want.erase(want.begin());
  Delivery d = udp_flows(ctx, pointers(group), dst, flows);
  std::string token = steered_token(d, want);
  if (token == "spread_partial" && d.per_socket[1] == 0) token = "unconnected_members";
  return {token,
          setup + "31 other flows ask for index " + std::to_string(asked) + "; " + describe(d)};
}

// What the model (sockreuse/model/r10_membership.py) replays: the members'
// steps in order, each {"member": 1, "op": "bind"|"listen"|"attach"|"close"|
// "shutdown"|"connect"} with "addr" (bind, connect) and "dev" (a bind to a
// device); and the flows: who sends them, how many ask for each index, and
// which indexes in turn.
struct Where {
  std::string addr;
  const char* dev = nullptr;
};

Json step(int member, const char* op, const Where& at = {}) {
  Json::Members m = {{"member", member}, {"op", op}};
  if (!at.addr.empty()) m.emplace_back("addr", at.addr);
  if (at.dev) m.emplace_back("dev", at.dev);
  return Json::object(m);
}

// Members 1..n bound to `where[i]`, and for TCP listening in the same order.
std::vector<Json> group_steps(Proto proto, const std::vector<Where>& where) {
  std::vector<Json> out;
  for (size_t i = 0; i < where.size(); ++i) out.push_back(step(int(i) + 1, "bind", where[i]));
  if (proto == Proto::tcp)
    for (size_t i = 0; i < where.size(); ++i) out.push_back(step(int(i) + 1, "listen"));
  return out;
}

std::vector<Json> plus(std::vector<Json> a, const std::vector<Json>& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

// flows_from: "other_peers", or "connected_peer" (the peer a member connected to).
Json::Members membership(Proto proto, const std::vector<Json>& steps,
                         const std::vector<int>& indexes, int per_index = kPerIndex,
                         const char* from = "other_peers", const char* send_to = kSrv4) {
  return {{"kind", "r10_membership"},
          {"proto", proto_name(proto)},
          {"program", Json::object({{"attach", "cbpf"}, {"returns", "src_port_low_byte"}})},
          {"steps", Json::list(steps)},
          {"send_to", send_to},
          {"arrives_on", topo::kS0.name},
          {"flows_from", from},
          {"indexes_asked", Json::ints(indexes)},
          {"flows_per_index", per_index}};
}

std::string in_words(const std::string& scenario) {
  return scenario +
         "; a SO_ATTACH_REUSEPORT_CBPF program returns the member index in the source port's low "
         "byte";
}

const bool registered = [] {
  const Where a{kSrv4};
  add_case("tcp4.r10.membership.listens_last", "R10",
           in_words("member 1 binds first, listens last"),
           Json::object(membership(
               Proto::tcp,
               {step(1, "bind", a), step(2, "bind", a), step(3, "bind", a), step(2, "listen"),
                step(3, "listen"), step(2, "attach"), step(1, "listen")},
               {0, 1, 2})),
           listens_last);
  add_case("udp4.r10.membership.binds_after_attach", "R10",
           in_words("members 2, 3 bind after the attach"),
           Json::object(membership(
               Proto::udp,
               {step(1, "bind", a), step(1, "attach"), step(2, "bind", a), step(3, "bind", a)},
               {0, 1, 2})),
           binds_after_attach);
  for (Proto proto : {Proto::udp, Proto::tcp}) {
    std::vector<Json> three = group_steps(proto, {a, a, a});
    add_case(
        proto_name(proto) + "4.r10.membership.first_member_closes", "R10",
        in_words(proto == Proto::udp ? "member 1 of 3 closes" : "listener 1 of 3 closes"),
        Json::object(membership(proto, plus(three, {step(1, "attach"), step(1, "close")}), {0, 1})),
        [proto](Ctx& ctx) { return leaves(ctx, proto, 0, false, false); });
  }
  std::vector<Json> three = group_steps(Proto::tcp, {a, a, a});
  add_case("tcp4.r10.membership.member_shuts_down", "R10", in_words("listener 2 of 3 shuts down"),
           Json::object(membership(Proto::tcp,
                                   plus(three, {step(1, "attach"), step(2, "shutdown")}), {0, 1})),
           [](Ctx& ctx) { return leaves(ctx, Proto::tcp, 1, true, false); });
  add_case("tcp4.r10.membership.shut_down_member_listens_again", "R10",
           in_words("listener 2 of 3 shuts down, listens"),
           Json::object(membership(
               Proto::tcp, plus(three, {step(1, "attach"), step(2, "shutdown"), step(2, "listen")}),
               {0, 1, 2})),
           [](Ctx& ctx) { return leaves(ctx, Proto::tcp, 1, true, true); });
  for (Proto proto : {Proto::udp, Proto::tcp}) {
    std::string p = proto_name(proto);
    const Where b{kSrv4b};
    const Where on_s0{kAny4, topo::kS0.name}, on_s1{kAny4, topo::kS1.name};
    add_case(
        p + "4.r10.membership.devices", "R10",
        in_words(std::string("members on ") + kAny4 + " bound to s0, s1, s0; sent via s0"),
        Json::object(membership(
            proto, plus(group_steps(proto, {on_s0, on_s1, on_s0}), {step(1, "attach")}), {0, 1})),
        [proto](Ctx& ctx) { return split(ctx, proto, true); });
    add_case(p + "4.r10.membership.addresses", "R10", in_words("members on " + three_addresses()),
             Json::object(membership(
                 proto, plus(group_steps(proto, {a, b, a}), {step(1, "attach")}), {0, 1})),
             [proto](Ctx& ctx) { return split(ctx, proto, false); });
  }
  struct Connected {
    const char* name;
    int asked;
    const char* scenario;
  };
  // With the 4-tuple hash for connected UDP sockets (the feature
  // udp_connected_leaves_group) a connected member leaves the group.
  for (auto [tag, ip, peer_ip] :
       {std::tuple{"udp4", kSrv4, kCli4}, std::tuple{"udp6", kSrv6, kCli6}}) {
    for (Connected c :
         {Connected{"peer_asks_other_index", -1, "its peer's flow asks for index 0"},
          Connected{"others_ask_its_index", 1, "other flows ask for index 1 (member 2)"},
          Connected{"others_ask_last_index", 2, "other flows ask for index 2 (member 3)"}}) {
      const Where at{ip};
      Json::Members p = membership(Proto::udp,
                                   plus(group_steps(Proto::udp, {at, at, at}),
                                        {step(1, "attach"), step(2, "connect", {peer_ip})}),
                                   {c.asked < 0 ? 0 : c.asked}, c.asked < 0 ? 1 : 31,
                                   c.asked < 0 ? "connected_peer" : "other_peers", ip);
      p.emplace_back("bind", ip);
      // The peer's flow reaches the connected member with or without a program.
      if (c.asked < 0) p.emplace_back("same_without_program", true);
      const char *addr = ip, *peer = peer_ip;
      int asked = c.asked;
      add_case(
          std::string(tag) + ".r10.membership.connected_member." + c.name, "R10",
          in_words(std::string("member 2 connected; ") + c.scenario), Json::object(p),
          [addr, peer, asked](Ctx& ctx) { return connected_member(ctx, addr, addr, peer, asked); });
    }
  }
  // Members on the wildcard address: connect() gives member 2 a local address,
  // which rehashes it, and that rehash has always taken it out of the group.
  const Where any{kAny4};
  Json::Members wild = membership(Proto::udp,
                                  plus(group_steps(Proto::udp, {any, any, any}),
                                       {step(1, "attach"), step(2, "connect", {kCli4})}),
                                  {1}, 31);
  wild.emplace_back("bind", kAny4);
  add_case("udp4.r10.membership.connected_member.wildcard.others_ask_its_index", "R10",
           in_words("member 2 of 3 on 0.0.0.0 connected; others ask for index 1"),
           Json::object(wild),
           [](Ctx& ctx) { return connected_member(ctx, kAny4, kSrv4, kCli4, 1); });
  return true;
}();

}  // namespace
}  // namespace sr
