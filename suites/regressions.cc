// Cases for public kernel changes in this area since 5.10. Each names the
// change it observes (commit subject) in its parameters; the expected tables
// carry the same subject in the row's note where kernels differ. Cases are
// named after what they test, not after the commit.
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/un.h>

#include <cstring>
#include <string>

#include "fixtures/delivery.h"
#include "fixtures/sequence.h"
#include "fixtures/sock_params.h"
#include "fixtures/sysctl_step.h"
#include "fixtures/timewait.h"
#include "netns/error.h"
#include "netns/sysctl.h"

namespace sr {
namespace {

constexpr const char* kChange = "change";

// --- bhash2 (6.1) and its fixes: address pairs and triples ------------------
const bool bhash2 = [] {
  auto add = [](const std::string& subject, const std::vector<BindCase>& rows) {
    add_bind_cases(rows, {}, {}, {{kChange, subject}});
  };
  add("tcp: Fix bind() conflict check for dual-stack wildcard address.",
      {{"tcp46.bhash2.dualstack_any_then_loopback4", "R8", Proto::tcp, {{kAny6, DUAL}, {kLo4, 0}}},
       {"tcp46.bhash2.dualstack_any_listening_then_loopback4",
        "R8",
        Proto::tcp,
        {{kAny6, DUAL | LISTEN}, {kLo4, LISTEN}}}});
  add("tcp: Fix bind() regression for v4-mapped-v6 wildcard address.",
      {{"tcp46.bhash2.mapped_any_then_loopback4",
        "R8",
        Proto::tcp,
        {{kMappedAny, DUAL}, {kLo4, 0}}},
       {"tcp46.bhash2.loopback4_then_mapped_any",
        "R8",
        Proto::tcp,
        {{kLo4, 0}, {kMappedAny, DUAL}}}});
  add("tcp: Fix bind() regression for v4-mapped-v6 non-wildcard address.",
      {{"tcp46.bhash2.mapped_loopback_then_loopback4",
        "R8",
        Proto::tcp,
        {{kMappedLo4, DUAL}, {kLo4, 0}}},
       {"tcp46.bhash2.loopback4_then_mapped_loopback",
        "R8",
        Proto::tcp,
        {{kLo4, 0}, {kMappedLo4, DUAL}}},
       {"tcp46.bhash2.mapped_loopback_then_any4",
        "R8",
        Proto::tcp,
        {{kMappedLo4, DUAL}, {kAny4, 0}}}});
  add("tcp: Fix bind() regression for v6-only wildcard and v4(-mapped-v6) non-wildcard addresses.",
      {{"tcp46.bhash2.any4_v6only_any6_then_loopback4",
        "R8",
        Proto::tcp,
        {{kAny4, 0}, {kAny6, V6ONLY}, {kLo4, 0}}},
       {"tcp46.bhash2.any4_v6only_any6_then_mapped_loopback",
        "R8",
        Proto::tcp,
        {{kAny4, 0}, {kAny6, V6ONLY}, {kMappedLo4, DUAL}}},
       {"tcp46.bhash2.mapped_any_v6only_any6_then_loopback4",
        "R8",
        Proto::tcp,
        {{kMappedAny, DUAL}, {kAny6, V6ONLY}, {kLo4, 0}}},
       {"tcp46.bhash2.mapped_any_v6only_any6_then_mapped_loopback",
        "R8",
        Proto::tcp,
        {{kMappedAny, DUAL}, {kAny6, V6ONLY}, {kMappedLo4, DUAL}}}});
  return true;
}();

// "tcp: Add TIME_WAIT sockets in bhash2.": a plain bind of the TIME_WAIT's own
// specific address must fail (6.1.0 let it succeed).
TimeWaitSpec timewait_spec(int family) {
  TimeWaitSpec spec;
  spec.listen_ip = family == AF_INET6 ? kSrv6 : kSrv4;
  spec.connect_ip = spec.listen_ip;
  return spec;
}

// "net: restrict SO_REUSEPORT to inet sockets" (6.13, backported).
Outcome reuseport_on(int family, int type) {
  UniqueFd fd(check(socket(family, type | SOCK_CLOEXEC, 0), "socket"));
  int one = 1;
  int rc = setsockopt(fd.get(), SOL_SOCKET, SO_REUSEPORT, &one, sizeof one);
  return {call_token("setsockopt", rc == 0 ? 0 : errno),
          "setsockopt(SO_REUSEPORT) on a non-inet socket"};
}

// "udp: Add 4-tuple hash for connected socket" (6.13) looks connected UDP
// sockets up in a table of their own. Older kernels give the same answers
// through the group's preference for connected members (reuseport_has_conns),
// so these cases guard that the new lookup keeps them, including across a
// re-connect (which re-hashes the member); they cannot tell the two apart.
enum class Sender { peer, others, old_peer, new_peer };

Outcome reuseport_connected_member(Ctx& ctx, Sender sender) {
  Opts rp;
  rp.reuseport = true;
  std::vector<Sock> group = bind_group(kSrv4, 3, Proto::udp, rp, false);
  SockAddr peer = make_addr(kCli4, 9999), new_peer = make_addr(kCli4, 9998);
  if (int err = group[0].connect(peer)) throw SysError("connect to " + peer.str(), err);
  bool reconnect = sender == Sender::old_peer || sender == Sender::new_peer;
  if (reconnect)
    if (int err = group[0].connect(new_peer)) throw SysError("connect to " + new_peer.str(), err);
  UdpPlan plan;
  if (sender == Sender::others) {
    plan.flows = 64;
    plan.per_flow = 2;
  } else {
    plan.per_flow = 16;
    plan.src_ip = kCli4;
    plan.src_port = sender == Sender::new_peer ? 9998 : 9999;
  }
  Delivery d = deliver_udp(ctx, pointers(group), plan);
  int connected = d.per_socket[0], others = d.per_socket[1] + d.per_socket[2];
  std::string detail = describe(d) + " (sock1 connected to " + peer.str() +
                       (reconnect ? ", then to " + new_peer.str() : "") + ")";
  if (sender != Sender::others) {
    if (connected == 16 && others == 0) return {"connected_member", detail};
    if (connected == 0 && others == 16) return {"other_members", detail};
    return {"mixed", detail};
  }
  if (connected == 0 && d.per_socket[1] > 0 && d.per_socket[2] > 0)
    return {"unconnected_members", detail};
  return {connected ? "includes_connected" : "partial", detail};
}

// "tcp: bind(0) remove the SO_REUSEADDR restriction when ephemeral ports are
// exhausted" (net.ipv4.ip_autobind_reuse).
Outcome autobind_when_exhausted(const char* autobind, bool reuse_new) {
  if (!read_sysctl("net.ipv4.ip_autobind_reuse"))
    return {"unsupported", "net.ipv4.ip_autobind_reuse does not exist"};
  set_sysctl("net.ipv4.ip_local_port_range", "40000 40001");
  set_sysctl("net.ipv4.ip_autobind_reuse", autobind);
  Opts ra;
  ra.reuseaddr = true;
  std::vector<Sock> busy;
  for (int port : {40000, 40001}) {
    busy.push_back(Sock::open(AF_INET, Proto::tcp, ra));
    if (int err = busy.back().bind(make_addr(kSrv4, static_cast<uint16_t>(port))))
      throw SysError("occupy port " + std::to_string(port), err);
  }
  Opts o;
  o.reuseaddr = reuse_new;
  Sock s = Sock::open(AF_INET, Proto::tcp, o);
  int err = s.bind(make_addr(kSrv4, 0));
  std::string got = err ? "" : " (got port " + std::to_string(local_addr(s.fd()).port()) + ")";
  return with_control(
      {call_token("bind", err),
       "ports 40000-40001 held by SO_REUSEADDR sockets; "
       "bind(0)" +
           std::string(reuse_new ? " with" : " without") +
           " SO_REUSEADDR, ip_autobind_reuse=" + autobind + ": " + errno_name(err) + got},
      [&] {
        busy.clear();
        s.close();
        return call_token("bind", Sock::open(AF_INET, Proto::tcp, o).bind(make_addr(kSrv4, 0)));
      });
}

// "net: core: enable SO_BINDTODEVICE for non-root users" (5.7).
Outcome bindtodevice_unprivileged(bool already_bound, const char* dev) {
  UniqueFd fd(check(socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), "socket"));
  if (already_bound)
    check(setsockopt(fd.get(), SOL_SOCKET, SO_BINDTODEVICE, topo::kS0.name,
                     std::strlen(topo::kS0.name) + 1),
          "bind to s0 as root");
  AsEuid as(kOtherUid);
  int rc = setsockopt(fd.get(), SOL_SOCKET, SO_BINDTODEVICE, dev,
                      static_cast<socklen_t>(std::strlen(dev) + 1));
  return {call_token("setsockopt", rc == 0 ? 0 : errno),
          std::string("as EUID 65534 without CAP_NET_RAW: SO_BINDTODEVICE '") + dev + "' on a " +
              (already_bound ? "socket already bound to s0" : "socket bound to no device")};
}

const bool others = [] {
  const std::string tw = "tcp: Add TIME_WAIT sockets in bhash2.";
  for (int family : {AF_INET, AF_INET6})
    for (bool reuse : {false, true}) {
      std::string id = std::string(family == AF_INET ? "tcp4" : "tcp6") +
                       ".bhash2.timewait_then_specific" + (reuse ? ".new_reuse" : ".plain");
      TimeWaitSpec spec = timewait_spec(family);
      SockSpec fresh{family == AF_INET6 ? kSrv6 : kSrv4, reuse ? unsigned{RA} : 0u};
      Words words = timewait_words(spec, fresh);
      words.emplace_back(kChange, tw);
      add_case({id, "R3", timewait_params(spec, fresh),
                [spec, fresh](Ctx& ctx) { return rebind_beside_timewait(ctx, spec, fresh); },
                prose(words), kTcpDiagOptions});
    }

  const std::string unix_rp = "net: restrict SO_REUSEPORT to inet sockets";
  for (auto [id, family, type] : {std::tuple{"unix.reuseport.stream", AF_UNIX, SOCK_STREAM},
                                  std::tuple{"unix.reuseport.dgram", AF_UNIX, SOCK_DGRAM},
                                  std::tuple{"netlink.reuseport.raw", AF_NETLINK, SOCK_RAW}}) {
    int f = family, t = type;
    add_case(
        only_binds({id,
                    "R5",
                    {{"kind", "setsockopt_reuseport"},
                     {"family", f == AF_UNIX ? "unix" : "netlink"},
                     {"type", t == SOCK_STREAM  ? "stream"
                              : t == SOCK_DGRAM ? "dgram"
                                                : "raw"},
                     {"sysctls", Json::object({})}},
                    [f, t](Ctx&) { return reuseport_on(f, t); },
                    prose({{"family", f == AF_UNIX ? "unix" : "netlink"}, {kChange, unix_rp}})}));
  }

  const std::string fourtuple = "udp: Add 4-tuple hash for connected socket";
  for (auto [name, sender, from, who] :
       {std::tuple{"from_its_peer", Sender::peer, "connected_peer", "the connected peer"},
        std::tuple{"from_others", Sender::others, "other_flows", "64 other flows"},
        std::tuple{"reconnected.from_old_peer", Sender::old_peer, "first_peer",
                   "the peer it connected to first"},
        std::tuple{"reconnected.from_new_peer", Sender::new_peer, "reconnected_peer",
                   "the peer it re-connected to"}}) {
    Sender s = sender;
    std::vector<SockParams> group(3, sock_params({kSrv4, RP}));
    group[0].state = "connected";
    add_case({std::string("udp4.reuseport.connected_member.") + name,
              "R7",
              {{"kind", "udp_connected_member"},
               {"proto", "udp"},
               {"sockets", sockets_json(group)},
               {"sysctls", Json::object({})},
               {"sender", from}},
              [s](Ctx& ctx) { return reuseport_connected_member(ctx, s); },
              prose({{kChange, fourtuple}, {"group", "3 x reuseport"}, {"sender", who}})});
  }

  const std::string autobind =
      "tcp: bind(0) remove the SO_REUSEADDR restriction when ephemeral ports are exhausted";
  for (const char* v : {"0", "1"})
    for (bool reuse : {true, false}) {
      std::string id = std::string("tcp4.autobind.ports_exhausted.") +
                       (reuse ? "reuseaddr" : "plain") + ".autobind_reuse_" + v;
      std::string value = v;
      add_case(only_binds(
          {id,
           "R2",
           {{"kind", "autobind"},
            {"proto", "tcp"},
            {"sockets", sockets_json(std::vector<SockParams>{
                            {kSrv4, 0, opts_for(reuse ? unsigned{RA} : 0u), "bound", {}}})},
            {"sysctls",
             Json::object({{"net.ipv4.ip_autobind_reuse", std::stoi(value)},
                           {"net.ipv4.ip_local_port_range", Json::list({40000, 40001})}})}},
           [value, reuse](Ctx&) { return autobind_when_exhausted(value.c_str(), reuse); },
           prose({{kChange, autobind},
                  {"ip_autobind_reuse", v},
                  {"new", reuse ? "reuseaddr" : "none"}})}));
    }

  const std::string btd = "net: core: enable SO_BINDTODEVICE for non-root users";
  for (auto [step, bound, dev] :
       {std::tuple{"set", false, topo::kS1.name}, std::tuple{"change", true, topo::kS1.name},
        std::tuple{"clear", true, ""}}) {
    bool already = bound;
    const char* to = dev;
    add_case(only_binds({std::string("udp4.bindtodevice.unprivileged.") + step,
                         "R6",
                         {{"kind", "bindtodevice_unprivileged"},
                          {"proto", "udp"},
                          {"euid", static_cast<int>(kOtherUid)},
                          {"device_before", already ? Json(topo::kS0.name) : Json()},
                          {"device", Json::or_null(to)},
                          {"sysctls", Json::object({})},
                          {"step", step}},
                         [already, to](Ctx&) { return bindtodevice_unprivileged(already, to); },
                         prose({{kChange, btd}, {"euid", "65534"}, {"step", step}})}));
  }
  return true;
}();

}  // namespace
}  // namespace sr
