// VRF [vrf], R6 with an L3 master device: s0 is enslaved to a VRF (vrf0), s1
// stays in the default VRF. A socket enters the VRF with SO_BINDTODEVICE
// vrf0 (or s0); a "global" socket is bound to no device. The rules:
// - bind, TCP: with net.ipv4.tcp_l3mdev_accept=0 a socket bound into a VRF
//   lives in a bind bucket of that VRF (inet_sk_bound_l3mdev), so it and a
//   global socket share a port; with 1 they are in one bucket and conflict as
//   R6 says (a device-bound and an unbound socket fall through to R1).
// - bind, UDP: the VRF does not enter the check: a VRF socket and a global
//   one conflict unless both set SO_REUSEADDR (R6, R2), whatever
//   net.ipv4.udp_l3mdev_accept says.
// - receive: traffic arriving in the VRF goes to a socket bound into it; a
//   global socket gets it only with tcp_l3mdev_accept / udp_l3mdev_accept=1,
//   and a VRF socket never gets the default VRF's traffic. Where no socket
//   takes it, TCP resets (connect: ECONNREFUSED) and UDP answers ICMP port
//   unreachable.
// A kernel without VRF support (CONFIG_NET_VRF) skips these cases, saying so.
#include "fixtures/vrf.h"

#include <string>

#include "fixtures/receiver.h"
#include "fixtures/sequence.h"
#include "fixtures/sock_params.h"
#include "fixtures/sysctl_step.h"
#include "netns/error.h"

namespace sr {
namespace {

const char* const kTcpAccept = "net.ipv4.tcp_l3mdev_accept";
const char* const kUdpAccept = "net.ipv4.udp_l3mdev_accept";

// The VRF first: on a kernel without it the sysctls do not exist either.
// The VRF as a case's parameters give it: its device and the devices it enslaves.
Json vrf_json() {
  return Json::object({{"name", kVrfDev}, {"enslaves", Json::list({topo::kVrfMember})}});
}

Params vrf_params(const char* sysctl, const char* value) {
  return {{"kind", "vrf_sequence"},
          {"vrf", vrf_json()},
          {"sysctls", Json::object({{sysctl, std::stoi(value)}})}};
}

Words vrf_words(const char* sysctl, const char* value) {
  return {{"vrf", "vrf0 enslaving s0"}, {sysctl, value}};
}

CaseSetup vrf_with(const char* sysctl, const std::string& value) {
  std::string key = sysctl;
  return [key, value](Ctx&) {
    put_s0_in_vrf();
    set_sysctl(key, value);
  };
}

// --- who may bind ---------------------------------------------------------------
const bool bind_rows = [] {
  for (const char* accept : {"0", "1"}) {
    std::string a = std::string(".l3mdev_accept_") + accept;
    add_bind_cases(
        {
            {"tcp4.vrf.bind.vrf_then_global" + a,
             "R6",
             Proto::tcp,
             {{kAny4, DEV_VRF | LISTEN}, {kAny4, LISTEN}}},
            {"tcp4.vrf.bind.global_then_vrf" + a,
             "R6",
             Proto::tcp,
             {{kAny4, LISTEN}, {kAny4, DEV_VRF | LISTEN}}},
            {"tcp4.vrf.bind.slave_then_global" + a,
             "R6",
             Proto::tcp,
             {{kAny4, DEV_S0 | LISTEN}, {kAny4, LISTEN}}},
            {"tcp6.vrf.bind.vrf_then_global" + a,
             "R6",
             Proto::tcp,
             {{kAny6, DEV_VRF | LISTEN}, {kAny6, LISTEN}}},
        },
        vrf_params(kTcpAccept, accept), vrf_with(kTcpAccept, accept), vrf_words(kTcpAccept, accept),
        kVrfOptions);
    add_bind_cases(
        {
            {"udp4.vrf.bind.vrf_then_global" + a, "R6", Proto::udp, {{kAny4, DEV_VRF}, {kAny4, 0}}},
            {"udp4.vrf.bind.vrf_then_global.reuseaddr" + a,
             "R2",
             Proto::udp,
             {{kAny4, DEV_VRF | RA}, {kAny4, RA}}},
        },
        vrf_params(kUdpAccept, accept), vrf_with(kUdpAccept, accept), vrf_words(kUdpAccept, accept),
        kVrfOptions);
  }
  add_bind_cases(
      {
          {"tcp4.vrf.bind.vrf_then_vrf.l3mdev_accept_0",
           "R6",
           Proto::tcp,
           {{kAny4, DEV_VRF | LISTEN}, {kAny4, DEV_VRF | LISTEN}}},
          {"tcp4.vrf.bind.vrf_then_slave.l3mdev_accept_0",
           "R6",
           Proto::tcp,
           {{kAny4, DEV_VRF | LISTEN}, {kAny4, DEV_S0 | LISTEN}}},
      },
      vrf_params(kTcpAccept, "0"), vrf_with(kTcpAccept, "0"), vrf_words(kTcpAccept, "0"),
      kVrfOptions);
  return true;
}();

// --- who receives -------------------------------------------------------------------
enum class Who { vrf_only, global_only, both };

struct RecvRow {
  Proto proto;
  Who who;
  bool via_vrf;  // sent to kSrv4 (arrives on s0, in the VRF), else to kSrv4b (s1)
  const char* accept;
};

std::string row_id(const RecvRow& r) {
  static const char* const who[] = {"vrf_only", "global_only", "both"};
  bool udp = r.proto == Proto::udp;
  return std::string(udp ? "udp4.vrf.recv." : "tcp4.vrf.accept.") + who[static_cast<int>(r.who)] +
         (udp && r.who == Who::both ? "_reuseaddr" : "") + (r.via_vrf ? ".via_vrf" : ".via_s1") +
         ".l3mdev_accept_" + r.accept;
}

Outcome receiver(Ctx& ctx, const RecvRow& row) {
  bool tcp = row.proto == Proto::tcp;
  vrf_with(tcp ? kTcpAccept : kUdpAccept, row.accept)(ctx);
  // UDP sockets share the port only with SO_REUSEADDR on both (see above).
  unsigned shared = !tcp && row.who == Who::both ? RA : 0u;
  std::vector<std::pair<unsigned, const char*>> plan;  // in bind order
  if (row.who != Who::global_only) plan.emplace_back(DEV_VRF, "vrf_socket");
  if (row.who != Who::vrf_only) plan.emplace_back(0u, "global_socket");
  std::vector<Sock> socks;
  socks.reserve(plan.size());  // labelled keeps pointers into it
  std::vector<Labelled> labelled;
  std::string detail = "on 0.0.0.0:8888:";
  for (auto [dev, label] : plan) {
    socks.push_back(Sock::open(AF_INET, row.proto, opts_for(dev | shared)));
    Step r = socks.back().bind_listen(make_addr(kAny4), tcp);
    if (r.err) throw SysError(std::string(label) + ": " + r.call + " 0.0.0.0:8888", r.err);
    labelled.push_back({&socks.back(), label});
    detail += std::string(" ") + label + (dev ? " (dev=vrf0)" : " (no device)");
  }
  SockAddr dst = make_addr(row.via_vrf ? kSrv4 : kSrv4b);
  auto in = ctx.in_client();
  Sock client = Sock::open(AF_INET, row.proto);
  std::string word =
      tcp ? tcp_receiver(client, dst, labelled) : udp_receiver(client, dst, labelled);
  return {word, detail + "; the client sends to " + dst.str() + " (" +
                    (row.via_vrf ? "arrives on s0, in vrf0" : "arrives on s1, default VRF") +
                    "), " + (tcp ? kTcpAccept : kUdpAccept) + "=" + row.accept + ": " + word};
}

const bool recv_rows = [] {
  const std::vector<RecvRow> rows = {
      {Proto::tcp, Who::global_only, true, "0"}, {Proto::tcp, Who::global_only, true, "1"},
      {Proto::tcp, Who::vrf_only, true, "0"},    {Proto::tcp, Who::vrf_only, false, "1"},
      {Proto::tcp, Who::both, true, "0"},        {Proto::tcp, Who::both, false, "0"},
      {Proto::udp, Who::global_only, true, "0"}, {Proto::udp, Who::global_only, true, "1"},
      {Proto::udp, Who::vrf_only, false, "1"},   {Proto::udp, Who::both, true, "0"},
      {Proto::udp, Who::both, true, "1"},        {Proto::udp, Who::both, false, "0"},
  };
  static const char* const who[] = {"dev=vrf0", "no device", "dev=vrf0, then no device"};
  for (const RecvRow& row : rows) {
    bool tcp = row.proto == Proto::tcp;
    unsigned shared = !tcp && row.who == Who::both ? RA : 0u;
    std::vector<SockSpec> socks;
    if (row.who != Who::global_only) socks.push_back({kAny4, DEV_VRF | shared});
    if (row.who != Who::vrf_only) socks.push_back({kAny4, shared});
    std::vector<SockParams> listed;
    for (const SockSpec& spec : socks) {
      listed.push_back(sock_params(spec));
      if (tcp) listed.back().state = "listen";
    }
    const char* accept = tcp ? kTcpAccept : kUdpAccept;
    Params params{{"kind", "vrf_delivery"},
                  {"proto", proto_name(row.proto)},
                  {"sockets", sockets_json(listed)},
                  {"sysctls", Json::object({{accept, std::stoi(row.accept)}})},
                  {"vrf", vrf_json()},
                  {"arrives_on", row.via_vrf ? topo::kS0.name : topo::kS1.name}};
    Words words = vrf_words(accept, row.accept);
    words.emplace_back("sockets", std::string(who[static_cast<int>(row.who)]) +
                                      (!tcp && row.who == Who::both ? ", both reuseaddr" : ""));
    words.emplace_back("arrives_on", row.via_vrf ? "s0 (in vrf0)" : "s1 (default VRF)");
    add_case({row_id(row), "R6", params, [row](Ctx& ctx) { return receiver(ctx, row); },
              prose(words), kVrfOptions});
  }
  return true;
}();

}  // namespace
}  // namespace sr
