// R6 with R2 and R5 [device_reuse]: SO_BINDTODEVICE mixed with SO_REUSEADDR
// and SO_REUSEPORT. The rule: sockets bound to different devices never
// conflict; a device-bound socket and one bound to no device fall through to
// the address rules, so they share a port only as SO_REUSEADDR (not
// listening) or SO_REUSEPORT (on both) lets any two sockets share it. The rows
// walk sequences of two and three sockets, bind(0) after such a mix, and
// where traffic goes once a device-bound and an unbound socket share a port.
#include <string>
#include <vector>

#include "fixtures/delivery.h"
#include "fixtures/port_choice.h"
#include "fixtures/sequence.h"
#include "fixtures/sock_params.h"
#include "fixtures/sysctl_step.h"
#include "netns/error.h"

namespace sr {
namespace {

// Sequences: the last socket's result. Bound SO_REUSEADDR sockets share
// whatever their devices (R2 through R6's fall-through); a listener blocks
// an unbound SO_REUSEADDR bind even when it is bound to a device (R2), and
// one socket without SO_REUSEPORT among device-bound ones is enough to stop
// an unbound SO_REUSEPORT socket, since the unbound one meets every device.
const bool sequences = add_bind_cases({
    {"tcp4.device_reuse.s0_ra_then_none_ra", "R6", Proto::tcp, {{kAny4, DEV_S0 | RA}, {kAny4, RA}}},
    {"tcp4.device_reuse.s0_ra_listen_then_none_ra",
     "R6",
     Proto::tcp,
     {{kAny4, DEV_S0 | RA | LISTEN}, {kAny4, RA}}},
    {"tcp4.device_reuse.none_ra_listen_then_s0_ra",
     "R6",
     Proto::tcp,
     {{kAny4, RA | LISTEN}, {kAny4, DEV_S0 | RA}}},
    {"tcp4.device_reuse.s0_rp_then_none_ra",
     "R6",
     Proto::tcp,
     {{kAny4, DEV_S0 | RP | LISTEN}, {kAny4, RA | LISTEN}}},
    {"tcp4.device_reuse.s0_rp_s1_rp_none_rp",
     "R6",
     Proto::tcp,
     {{kAny4, DEV_S0 | RP | LISTEN}, {kAny4, DEV_S1 | RP | LISTEN}, {kAny4, RP | LISTEN}}},
    {"tcp4.device_reuse.none_rp_s0_rp_s1_rp",
     "R6",
     Proto::tcp,
     {{kAny4, RP | LISTEN}, {kAny4, DEV_S0 | RP | LISTEN}, {kAny4, DEV_S1 | RP | LISTEN}}},
    {"tcp4.device_reuse.s0_rp_s1_then_none_rp",
     "R6",
     Proto::tcp,
     {{kAny4, DEV_S0 | RP | LISTEN}, {kAny4, DEV_S1 | LISTEN}, {kAny4, RP | LISTEN}}},
    {"tcp4.device_reuse.s0_s1_then_none_rp",
     "R6",
     Proto::tcp,
     {{kAny4, DEV_S0 | LISTEN}, {kAny4, DEV_S1 | LISTEN}, {kAny4, RP | LISTEN}}},
    {"tcp6.device_reuse.s0_rp_then_specific_rp",
     "R6",
     Proto::tcp,
     {{kAny6, DEV_S0 | RP | LISTEN}, {kSrv6, RP | LISTEN}}},
    {"udp4.device_reuse.s0_ra_then_none_ra", "R6", Proto::udp, {{kAny4, DEV_S0 | RA}, {kAny4, RA}}},
    {"udp4.device_reuse.s0_ra_then_none", "R6", Proto::udp, {{kAny4, DEV_S0 | RA}, {kAny4, 0}}},
    {"udp4.device_reuse.s0_ra_s1_then_none_ra",
     "R6",
     Proto::udp,
     {{kAny4, DEV_S0 | RA}, {kAny4, DEV_S1}, {kAny4, RA}}},
    {"udp4.device_reuse.same_dev_rp_then_none_rp",
     "R6",
     Proto::udp,
     {{kAny4, DEV_S0 | RP}, {kAny4, DEV_S0 | RP}, {kAny4, RP}}},
    {"udp6.device_reuse.s0_rp_s1_rp_none_rp",
     "R6",
     Proto::udp,
     {{kAny6, DEV_S0 | RP}, {kAny6, DEV_S1 | RP}, {kAny6, RP}}},
});

// --- bind(0) after a mix ------------------------------------------------------
// The namespace's port range is the one port the mix holds, so bind(0) either
// shares that port (port_in_range, read back with getsockname()) or finds no
// port (bind:EADDRINUSE): which one is the answer, never chance. TCP's
// bind(0) takes a port only where it would conflict with no one without its
// own reuse options; UDP's shares as an explicit bind() would. A socket bound
// to a device of its own (lo) meets neither s0's nor s1's socket.
const PortRange kHeldPort{40000, 40000};

struct Bind0Row {
  std::string id;
  Proto proto;
  std::vector<SockSpec> held;  // bound (and listening) on the held port, in order
  SockSpec last;               // then bind(0)
};

Outcome bind0_after(const Bind0Row& row) {
  set_sysctl("net.ipv4.ip_local_port_range", kHeldPort.sysctl());
  std::vector<Sock> held;
  for (const SockSpec& spec : row.held) {
    SockAddr at = make_addr(spec.addr, kHeldPort.low);
    held.push_back(Sock::open(at.family(), row.proto, opts_for(spec.flags)));
    Step r = held.back().bind_listen(at, spec.flags & LISTEN);
    if (r.err) throw SysError(r.call + " " + describe(spec) + " on " + at.str(), r.err);
  }
  SockAddr at = make_addr(row.last.addr, 0);
  auto bind0 = [&] {
    Sock s = Sock::open(at.family(), row.proto, opts_for(row.last.flags));
    int err = s.bind(at);
    return std::pair{err, err ? uint16_t{0} : local_addr(s.fd()).port()};
  };
  auto [err, got] = bind0();
  std::string detail = "ports " + kHeldPort.sysctl() + ", held by " + std::to_string(held.size()) +
                       " sockets; bind(0) " + describe(row.last) + ": " +
                       (err ? errno_name(err) : "port " + std::to_string(got));
  if (!err) return {port_token(got, kHeldPort), detail};
  return with_busy_control({call_token("bind", err), detail}, [&] {
    held.clear();
    return call_token("bind", bind0().first);
  });
}

const bool bind0 = [] {
  const std::vector<Bind0Row> rows = {
      {"tcp4.device_reuse.bind0.rp_after_s0_rp_s1_rp",
       Proto::tcp,
       {{kAny4, DEV_S0 | RP | LISTEN}, {kAny4, DEV_S1 | RP | LISTEN}},
       {kAny4, RP}},
      {"tcp4.device_reuse.bind0.lo_after_s0_s1",
       Proto::tcp,
       {{kAny4, DEV_S0 | LISTEN}, {kAny4, DEV_S1 | LISTEN}},
       {kAny4, DEV_LO}},
      {"udp4.device_reuse.bind0.rp_after_s0_rp_s1_rp",
       Proto::udp,
       {{kAny4, DEV_S0 | RP}, {kAny4, DEV_S1 | RP}},
       {kAny4, RP}},
      {"udp4.device_reuse.bind0.ra_after_s0_ra", Proto::udp, {{kAny4, DEV_S0 | RA}}, {kAny4, RA}},
      {"udp4.device_reuse.bind0.ra_after_s0_ra_s1",
       Proto::udp,
       {{kAny4, DEV_S0 | RA}, {kAny4, DEV_S1}},
       {kAny4, RA}},
  };
  for (const Bind0Row& row : rows) {
    std::vector<SockParams> socks;
    Words words{{"ip_local_port_range", kHeldPort.sysctl()}};
    for (const SockSpec& s : row.held) {
      socks.push_back(sock_params(s));
      socks.back().port = kHeldPort.low;
      words.emplace_back("sock" + std::to_string(socks.size()), describe(s));
    }
    socks.push_back(sock_params(row.last));
    socks.back().port = 0;
    words.emplace_back("then", "bind(0) " + describe(row.last));
    Params params{
        {"kind", "port_sequence"},
        {"proto", proto_name(row.proto)},
        {"sockets", sockets_json(socks)},
        {"sysctls", Json::object({{"net.ipv4.ip_local_port_range", kHeldPort.json()},
                                  {"net.ipv4.ip_local_reserved_ports", Json::list({})}})}};
    add_case(
        only_binds({row.id, "R6", params, [row](Ctx&) { return bind0_after(row); }, prose(words)}));
  }
  return true;
}();

// --- delivery to a shared port ---------------------------------------------------
// A device-bound and an unbound socket share the wildcard address (TCP
// listeners through SO_REUSEPORT, UDP through SO_REUSEPORT or SO_REUSEADDR);
// traffic is sent from the client to the server's address on s0 or on s1.
// Arriving on s1, only the unbound socket matches. Arriving on s0 both do,
// and the lookup scores a device-bound socket higher; but the two are
// separate SO_REUSEPORT groups (one per device), and the lookup takes the
// first group it meets, so the order of the lookup's list decides there.
struct DeliverRow {
  std::string id;
  Proto proto;
  int family;
  std::vector<SockSpec> socks;  // in bind order
  bool via_s1;
};

Outcome deliver_shared(Ctx& ctx, const DeliverRow& row) {
  bool v6 = row.family == AF_INET6;
  std::vector<Sock> socks;
  for (const SockSpec& spec : row.socks) {
    SockAddr at = make_addr(spec.addr);
    socks.push_back(Sock::open(at.family(), row.proto, opts_for(spec.flags)));
    Step r = socks.back().bind_listen(at, spec.flags & LISTEN);
    if (r.err) throw SysError(r.call + " " + describe(spec), r.err);
  }
  const char* dst = row.via_s1 ? (v6 ? kSrv6b : kSrv4b) : (v6 ? kSrv6 : kSrv4);
  Delivery d;
  if (row.proto == Proto::tcp) {
    d = deliver_tcp(ctx, pointers(socks), dst, 4);
  } else {
    UdpPlan plan;
    plan.dst_ip = dst;
    d = deliver_udp(ctx, pointers(socks), plan);
  }
  return {classify(d), describe(d) + " (sent to " + dst + ")"};
}

const bool delivered = [] {
  const unsigned tl = RP | LISTEN;
  std::vector<DeliverRow> rows;
  struct Order {
    const char* name;
    bool dev_first;
  };
  for (Order o : {Order{"s0_then_none", true}, Order{"none_then_s0", false}}) {
    auto pair = [&](const char* any, unsigned common) {
      SockSpec dev{any, DEV_S0 | common}, none{any, common};
      return o.dev_first ? std::vector<SockSpec>{dev, none} : std::vector<SockSpec>{none, dev};
    };
    std::string tail = std::string(o.name) + ".via_s0";
    rows.push_back(
        {"tcp4.device_reuse.deliver." + tail, Proto::tcp, AF_INET, pair(kAny4, tl), false});
    rows.push_back(
        {"tcp6.device_reuse.deliver." + tail, Proto::tcp, AF_INET6, pair(kAny6, tl), false});
    rows.push_back({"udp4.device_reuse.deliver.reuseport." + tail, Proto::udp, AF_INET,
                    pair(kAny4, RP), false});
    rows.push_back({"udp4.device_reuse.deliver.reuseaddr." + tail, Proto::udp, AF_INET,
                    pair(kAny4, RA), false});
    rows.push_back({"udp6.device_reuse.deliver.reuseport." + tail, Proto::udp, AF_INET6,
                    pair(kAny6, RP), false});
  }
  rows.push_back({"tcp4.device_reuse.deliver.s0_then_none.via_s1",
                  Proto::tcp,
                  AF_INET,
                  {{kAny4, DEV_S0 | tl}, {kAny4, tl}},
                  true});
  rows.push_back({"udp4.device_reuse.deliver.reuseport.s0_then_none.via_s1",
                  Proto::udp,
                  AF_INET,
                  {{kAny4, DEV_S0 | RP}, {kAny4, RP}},
                  true});
  for (const DeliverRow& row : rows) {
    bool v6 = row.family == AF_INET6;
    const char* dev = row.via_s1 ? topo::kS1.name : topo::kS0.name;
    const char* dst = row.via_s1 ? (v6 ? kSrv6b : kSrv4b) : (v6 ? kSrv6 : kSrv4);
    Params params{{"kind", "shared_port_delivery"},
                  {"proto", proto_name(row.proto)},
                  {"sockets", sockets_json(row.socks)},
                  {"sysctls", Json::object({})},
                  {"arrives_on", dev},
                  {"send_to", dst}};
    Words words = socket_words(row.socks);
    words.emplace_back("arrives_on", dev);
    add_case(
        {row.id, "R6", params, [row](Ctx& ctx) { return deliver_shared(ctx, row); }, prose(words)});
  }
  return true;
}();

}  // namespace
}  // namespace sr
