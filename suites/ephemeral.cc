// R1 (with R2, R4, R5, R8 where an option or an address decides), ports the
// kernel picks itself [ephemeral]: a port that bind(0) or connect() took is a
// port in use like any other. A later explicit bind() of it meets the first
// socket as it would meet a socket bound there by hand: the same address (or a
// wildcard over it) conflicts unless both sockets set SO_REUSEADDR (neither
// listening) or SO_REUSEPORT. connect() binds the port with the source address
// the route gives (a TCP connection keeps it; a UDP socket is autobound to the
// wildcard, then rehashed to the source address), so the port is held on that
// address, the wildcard bind overlapping it (R4). Closing the first socket
// frees the port (no connection, no TIME_WAIT). The port is read back with
// getsockname(), never assumed: the default ip_local_port_range decides it.
#include <string>
#include <vector>

#include "fixtures/connection.h"
#include "fixtures/sequence.h"
#include "fixtures/sock_params.h"
#include "netns/error.h"

namespace sr {
namespace {

enum class Pick { bind0, connect };

struct EphRow {
  std::string id;
  std::string rule;
  Proto proto;
  Pick pick;
  // bind0: the address bound with port 0. connect: the source address the
  // connection gets (the client's, on the client's side of the topology).
  SockSpec first;
  bool close_first;
  SockSpec second;  // binds the port the first got
};

const char* const kMappedCli4 = topo::kC0.v4_mapped;

// The server address a client source address talks to, in the same form.
const char* peer_for(const std::string& source) {
  if (source == kCli4) return kSrv4;
  if (source == kCli6) return kSrv6;
  if (source == kMappedCli4) return kMappedSrv4;
  throw std::logic_error("no peer for " + source);
}

std::string addr_only(const SockAddr& a) { return a.str().substr(0, a.str().rfind(':')); }

// The first socket, given its port by the kernel; returns the port.
uint16_t autobind(const EphRow& row, std::vector<Sock>& held) {
  SockAddr at = make_addr(row.first.addr, 0);
  held.push_back(Sock::open(at.family(), row.proto, opts_for(row.first.flags)));
  Sock& s = held.back();
  if (row.pick == Pick::bind0) {
    if (Step r = s.bind_listen(at, row.first.flags & LISTEN); r.err)
      throw SysError(r.call + " after bind(0) " + at.str(), r.err);
  } else {
    SockAddr to = make_addr(peer_for(row.first.addr));
    int err = row.proto == Proto::tcp ? s.connect_bounded(to) : s.connect(to);
    if (err) throw SysError("connect " + to.str(), err);
  }
  SockAddr got = local_addr(s.fd());
  // The case's premise: the kernel chose the source address the row names.
  if (addr_only(got) != addr_only(make_addr(row.first.addr, got.port())))
    throw std::runtime_error("the first socket got " + got.str() + ", not " + row.first.addr);
  return got.port();
}

Outcome ephemeral_case(Ctx& ctx, const EphRow& row) {
  std::vector<Sock> listeners;
  if (row.pick == Pick::connect && row.proto == Proto::tcp) {
    // A v4-mapped peer is served by an IPv4 listener on the address it maps.
    std::string peer = peer_for(row.first.addr);
    SockAddr at = make_addr(peer == kMappedSrv4 ? kSrv4 : peer);
    listeners.push_back(Sock::open(at.family(), Proto::tcp));
    if (Step r = listeners.back().bind_listen(at, true); r.err)
      throw SysError("listener: " + r.call + " " + at.str(), r.err);
  }
  auto in = ctx.in_client();
  std::vector<Sock> held;
  uint16_t port = autobind(row, held);
  std::string detail = std::string(row.pick == Pick::bind0 ? "bind(0) " : "connect() from ") +
                       describe(row.first) + " took port " + std::to_string(port);
  if (row.close_first) {
    held.clear();
    detail += ", closed";
  }
  SockAddr at = make_addr(row.second.addr, port);
  Sock second = Sock::open(at.family(), row.proto, opts_for(row.second.flags));
  Step r = second.bind_listen(at, row.second.flags & LISTEN);
  detail += "; then " + describe(row.second) + " port " + std::to_string(port) + ": " + r.call +
            " " + errno_name(r.err);
  return with_busy_control({r.token(), detail}, [&] {
    second.close();
    for (Sock& s : held)
      if (row.proto == Proto::tcp && row.pick == Pick::connect) reset_on_close(s);
    held.clear();  // a reset leaves no TIME_WAIT to hold the port
    Sock fresh = Sock::open(at.family(), row.proto, opts_for(row.second.flags));
    return fresh.bind_listen(at, row.second.flags & LISTEN).token();
  });
}

Params eph_params(const EphRow& row) {
  SockParams first = sock_params(row.first);
  first.port = 0;
  if (row.pick == Pick::connect)
    first.state = row.proto == Proto::tcp ? "established" : "connected";
  SockParams second = sock_params(row.second);
  second.port = kLearnedPort;
  return {{"kind", "ephemeral"},
          {"proto", proto_name(row.proto)},
          {"sockets", sockets_json(std::vector<SockParams>{first, second})},
          {"sysctls", Json::object({})},
          {"autobind", row.pick == Pick::bind0 ? "bind" : "connect"},
          {"peer", row.pick == Pick::connect ? Json(peer_for(row.first.addr)) : Json()},
          {"close_first", row.close_first}};
}

const bool registered = [] {
  const Pick B = Pick::bind0, C = Pick::connect;
  const std::vector<EphRow> rows = {
      // bind(0), then the same address and port by hand: R1 unless both ask
      // for reuse; SO_REUSEADDR on one side only changes nothing, a listener
      // refuses SO_REUSEADDR (R2) and another EUID SO_REUSEPORT (R5).
      {"tcp4.ephemeral.bind0_then_bind.plain", "R1", Proto::tcp, B, {kCli4, 0}, false, {kCli4, 0}},
      {"tcp4.ephemeral.bind0_then_bind.reuseaddr",
       "R2",
       Proto::tcp,
       B,
       {kCli4, RA},
       false,
       {kCli4, RA}},
      {"tcp4.ephemeral.bind0_then_bind.reuseaddr_second_only",
       "R2",
       Proto::tcp,
       B,
       {kCli4, 0},
       false,
       {kCli4, RA}},
      {"tcp4.ephemeral.bind0_then_bind.reuseport",
       "R5",
       Proto::tcp,
       B,
       {kCli4, RP},
       false,
       {kCli4, RP}},
      {"tcp4.ephemeral.bind0_then_bind.reuseport_other_euid",
       "R5",
       Proto::tcp,
       B,
       {kCli4, RP},
       false,
       {kCli4, RP | UID2}},
      {"tcp4.ephemeral.bind0_listening_then_bind.reuseaddr",
       "R2",
       Proto::tcp,
       B,
       {kCli4, RA | LISTEN},
       false,
       {kCli4, RA}},
      {"tcp4.ephemeral.bind0_then_any.reuseaddr",
       "R4",
       Proto::tcp,
       B,
       {kCli4, RA},
       false,
       {kAny4, RA}},
      {"tcp6.ephemeral.bind0_then_bind.reuseaddr",
       "R2",
       Proto::tcp,
       B,
       {kCli6, RA},
       false,
       {kCli6, RA}},
      {"udp4.ephemeral.bind0_then_bind.plain", "R1", Proto::udp, B, {kCli4, 0}, false, {kCli4, 0}},
      {"udp4.ephemeral.bind0_then_bind.reuseaddr",
       "R2",
       Proto::udp,
       B,
       {kCli4, RA},
       false,
       {kCli4, RA}},
      {"udp4.ephemeral.bind0_then_bind.reuseport",
       "R5",
       Proto::udp,
       B,
       {kCli4, RP},
       false,
       {kCli4, RP}},
      {"udp6.ephemeral.bind0_then_bind.plain", "R1", Proto::udp, B, {kCli6, 0}, false, {kCli6, 0}},
      // A dual-stack [::] bind(0) holds the IPv4 wildcard too (R8); closed, it
      // holds nothing and its port binds again.
      {"tcp46.ephemeral.any6_bind0_then_any4",
       "R8",
       Proto::tcp,
       B,
       {kAny6, DUAL},
       false,
       {kAny4, 0}},
      {"tcp46.ephemeral.any6_bind0_closed_then_any6",
       "R1",
       Proto::tcp,
       B,
       {kAny6, DUAL},
       true,
       {kAny6, DUAL}},
      {"udp46.ephemeral.any6_bind0_closed_then_any6",
       "R1",
       Proto::udp,
       B,
       {kAny6, DUAL},
       true,
       {kAny6, DUAL}},
      {"udp46.ephemeral.any6_bind0_then_any4",
       "R8",
       Proto::udp,
       B,
       {kAny6, DUAL},
       false,
       {kAny4, 0}},
      // connect() picks the port and binds it on the source address: an
      // explicit bind of that address, or of the wildcard over it, conflicts
      // unless both set SO_REUSEADDR (the connection is not listening) or
      // SO_REUSEPORT (same EUID; the port's reuse cache stays unset).
      {"tcp4.ephemeral.connect_then_specific.plain",
       "R1",
       Proto::tcp,
       C,
       {kCli4, 0},
       false,
       {kCli4, 0}},
      {"tcp4.ephemeral.connect_then_specific.reuseaddr",
       "R2",
       Proto::tcp,
       C,
       {kCli4, RA},
       false,
       {kCli4, RA}},
      {"tcp4.ephemeral.connect_then_specific.reuseport",
       "R5",
       Proto::tcp,
       C,
       {kCli4, RP},
       false,
       {kCli4, RP}},
      {"tcp4.ephemeral.connect_then_any.plain", "R4", Proto::tcp, C, {kCli4, 0}, false, {kAny4, 0}},
      {"tcp4.ephemeral.connect_then_any.reuseaddr",
       "R4",
       Proto::tcp,
       C,
       {kCli4, RA},
       false,
       {kAny4, RA}},
      {"tcp4.ephemeral.connect_then_other_specific",
       "R4",
       Proto::tcp,
       C,
       {kCli4, 0},
       false,
       {kCli4b, 0}},
      {"tcp6.ephemeral.connect_then_specific.plain",
       "R1",
       Proto::tcp,
       C,
       {kCli6, 0},
       false,
       {kCli6, 0}},
      {"tcp6.ephemeral.connect_then_any.reuseaddr",
       "R4",
       Proto::tcp,
       C,
       {kCli6, RA},
       false,
       {kAny6, RA}},
      {"udp4.ephemeral.connect_then_specific.plain",
       "R1",
       Proto::udp,
       C,
       {kCli4, 0},
       false,
       {kCli4, 0}},
      {"udp4.ephemeral.connect_then_specific.reuseport",
       "R5",
       Proto::udp,
       C,
       {kCli4, RP},
       false,
       {kCli4, RP}},
      {"udp4.ephemeral.connect_then_any.plain", "R4", Proto::udp, C, {kCli4, 0}, false, {kAny4, 0}},
      {"udp4.ephemeral.connect_then_any.reuseaddr",
       "R4",
       Proto::udp,
       C,
       {kCli4, RA},
       false,
       {kAny4, RA}},
      {"udp6.ephemeral.connect_then_specific.reuseaddr",
       "R2",
       Proto::udp,
       C,
       {kCli6, RA},
       false,
       {kCli6, RA}},
      // A dual-stack socket connecting to a v4-mapped peer takes a v4-mapped
      // source: its port is held on the IPv4 address it maps (R8.mapped-is-v4).
      {"tcp46.ephemeral.mapped_connect_then_specific4.plain",
       "R8",
       Proto::tcp,
       C,
       {kMappedCli4, DUAL},
       false,
       {kCli4, 0}},
      {"tcp46.ephemeral.mapped_connect_then_specific4.reuseaddr",
       "R8",
       Proto::tcp,
       C,
       {kMappedCli4, DUAL | RA},
       false,
       {kCli4, RA}},
      {"tcp46.ephemeral.mapped_connect_then_any4.plain",
       "R8",
       Proto::tcp,
       C,
       {kMappedCli4, DUAL},
       false,
       {kAny4, 0}},
      {"udp46.ephemeral.mapped_connect_then_specific4.plain",
       "R8",
       Proto::udp,
       C,
       {kMappedCli4, DUAL},
       false,
       {kCli4, 0}},
      {"udp46.ephemeral.mapped_connect_then_any6_v6only",
       "R8",
       Proto::udp,
       C,
       {kMappedCli4, DUAL},
       false,
       {kAny6, V6ONLY}},
  };
  for (const EphRow& r : rows) {
    EphRow row = r;
    Words words{{"autobind", row.pick == Pick::bind0 ? "bind(0)" : "connect()"},
                {"sock1", describe(row.first)},
                {"then", row.close_first ? "sock1 closed" : "sock1 kept"},
                {"sock2", describe(row.second) + " on sock1's port"}};
    add_case({row.id, row.rule, eph_params(row),
              [row](Ctx& ctx) { return ephemeral_case(ctx, row); }, prose(words)});
  }
  return true;
}();

}  // namespace
}  // namespace sr
