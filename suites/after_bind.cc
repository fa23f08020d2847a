// Options changed after bind [after_bind]. The rule: bind() and listen()
// judge a new socket against the options the port's sockets have when it
// binds (R2, R5, R6) — except where the kernel decides from state it cached:
// - TCP keeps per port whether every owner allowed SO_REUSEADDR (fastreuse)
//   or SO_REUSEPORT (fastreuseport, with the owner's EUID), computed as each
//   socket binds. A socket that clears its option afterwards leaves the cache
//   saying "shared", so the next socket may bind where a fresh bind() is
//   refused; listen() checks the owners themselves again. UDP has no cache.
// - SO_BINDTODEVICE on a bound socket is not checked against the port's other
//   sockets: moving or clearing it can leave two sockets in a state a fresh
//   bind() refuses, and later binds meet the changed device.
// - R9: a SO_REUSEPORT listener shut down with shutdown() may listen() again
//   and is back in its group, so connections spread over every member.
// A step the kernel allows although the same sockets bound fresh with their
// current options are refused is `stale_ok` (fixtures/stale.h): the changed
// sockets themselves, or the new socket beside any one of them. The fresh
// sockets bind on another port of the case's namespace.
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <cerrno>
#include <optional>
#include <string>

#include "fixtures/connection.h"
#include "fixtures/delivery.h"
#include "fixtures/sequence.h"
#include "fixtures/sock_params.h"
#include "fixtures/stale.h"
#include "fixtures/sysctl_step.h"
#include "fixtures/timewait.h"
#include "netns/error.h"
#include "netns/sysctl.h"
#include "netns/wait.h"

namespace sr {
namespace {

constexpr uint16_t kFreshPort = kPort + 1;

struct ChangeRow {
  std::string id;
  std::string rule;
  Proto proto;
  std::vector<SockSpec> bound;   // bound in order before the change
  unsigned first_after;          // sock1's flags after the change (RA, RP, the device)
  std::optional<SockSpec> last;  // binds after the change; none: the state itself is judged
};

Step bind_at(Sock& s, const SockSpec& spec, uint16_t port) {
  return s.bind_listen(make_addr(spec.addr, port), spec.flags & LISTEN);
}

Sock open_for(const SockSpec& spec, Proto proto) {
  return Sock::open(make_addr(spec.addr).family(), proto, opts_for(spec.flags));
}

// setsockopt() of each option that differs between `from` and `to`.
Step change_options(const Sock& s, unsigned from, unsigned to) {
  auto set_flag = [&](int name, unsigned bit) {
    int value = (to & bit) ? 1 : 0;
    return setsockopt(s.fd(), SOL_SOCKET, name, &value, sizeof value) == 0 ? 0 : errno;
  };
  int err = 0;
  if ((from ^ to) & RA) err = set_flag(SO_REUSEADDR, RA);
  if (!err && ((from ^ to) & RP)) err = set_flag(SO_REUSEPORT, RP);
  std::string dev = opts_for(to).device;
  if (!err && opts_for(from).device != dev) {
    // An empty name (just its NUL) unbinds the socket from its device.
    int rc = setsockopt(s.fd(), SOL_SOCKET, SO_BINDTODEVICE, dev.c_str(),
                        static_cast<socklen_t>(dev.size() + 1));
    err = rc == 0 ? 0 : errno;
  }
  return {"setsockopt", err};
}

// The sockets bound fresh, in order, on kFreshPort: "ok" or the first failure.
std::string fresh_result(Proto proto, const std::vector<SockSpec>& specs) {
  std::vector<Sock> socks;
  for (const SockSpec& spec : specs) {
    socks.push_back(open_for(spec, proto));
    Step r = bind_at(socks.back(), spec, kFreshPort);
    if (r.err) return r.token();
  }
  return "ok";
}

std::string name_of(unsigned flags) { return flags ? describe({"", flags}).substr(1) : "none"; }

Outcome changed_after_bind(const ChangeRow& row) {
  std::vector<Sock> held;
  std::string detail;
  for (size_t i = 0; i < row.bound.size(); ++i) {
    held.push_back(open_for(row.bound[i], row.proto));
    Step r = bind_at(held.back(), row.bound[i], kPort);
    detail += (i ? "; sock" : "sock") + std::to_string(i + 1) + " " + describe(row.bound[i]) +
              ": " + r.call + " " + errno_name(r.err);
    if (r.err)
      throw SysError("the case's premise: sock" + std::to_string(i + 1) + " " + r.call, r.err);
  }
  Step change = change_options(held[0], row.bound[0].flags, row.first_after);
  detail += "; sock1 changed to (" + name_of(row.first_after) + "): " + errno_name(change.err);
  if (change.err) return {change.token(), detail};

  std::vector<SockSpec> now = row.bound;
  now[0].flags = row.first_after;
  // Without a last socket the question is the changed state itself. With one,
  // it is that socket's step: the kernel checks a new socket against each
  // owner of the port on its own, so whether it may bind beside each of them.
  std::string fresh = "ok";
  if (!row.last) fresh = fresh_result(row.proto, now);
  for (size_t i = 0; row.last && i < now.size() && fresh == "ok"; ++i)
    fresh = fresh_result(row.proto, {now[i], *row.last});
  Step r{"bind", 0};
  if (row.last) {
    held.push_back(open_for(*row.last, row.proto));
    r = bind_at(held.back(), *row.last, kPort);
    detail += "; then " + describe(*row.last) + ": " + r.call + " " + errno_name(r.err);
  }
  detail += "; the same sockets bound fresh with their current options: " + fresh;
  return with_control({stale_token(r.token(), fresh), detail}, [&] {
    held.clear();  // the changed sockets are the blockers
    Sock s = open_for(*row.last, row.proto);
    return bind_at(s, *row.last, kPort).token();
  });
}

const bool change_rows = [] {
  const std::vector<ChangeRow> rows = {
      // SO_REUSEADDR (R2)
      {"tcp4.after_bind.reuseaddr_cleared.then_bind",
       "R2",
       Proto::tcp,
       {{kSrv4, RA}},
       0,
       SockSpec{kSrv4, RA}},
      {"tcp4.after_bind.reuseaddr_cleared.then_bind_listen",
       "R2",
       Proto::tcp,
       {{kSrv4, RA}},
       0,
       SockSpec{kSrv4, RA | LISTEN}},
      {"tcp6.after_bind.reuseaddr_cleared.then_bind",
       "R2",
       Proto::tcp,
       {{kSrv6, RA}},
       0,
       SockSpec{kSrv6, RA}},
      {"udp4.after_bind.reuseaddr_cleared.then_bind",
       "R2",
       Proto::udp,
       {{kSrv4, RA}},
       0,
       SockSpec{kSrv4, RA}},
      {"tcp4.after_bind.reuseaddr_set.then_bind",
       "R2",
       Proto::tcp,
       {{kSrv4, 0}},
       RA,
       SockSpec{kSrv4, RA}},
      // SO_REUSEPORT (R5)
      {"tcp4.after_bind.reuseport_cleared.then_bind",
       "R5",
       Proto::tcp,
       {{kSrv4, RP}},
       0,
       SockSpec{kSrv4, RP}},
      {"tcp4.after_bind.reuseport_cleared.listening.then_listen",
       "R5",
       Proto::tcp,
       {{kSrv4, RP | LISTEN}},
       LISTEN,
       SockSpec{kSrv4, RP | LISTEN}},
      {"udp4.after_bind.reuseport_cleared.then_bind",
       "R5",
       Proto::udp,
       {{kSrv4, RP}},
       0,
       SockSpec{kSrv4, RP}},
      {"tcp4.after_bind.reuseport_set.then_bind",
       "R5",
       Proto::tcp,
       {{kSrv4, 0}},
       RP,
       SockSpec{kSrv4, RP}},
      // SO_BINDTODEVICE (R6): listeners on 0.0.0.0, sock1 on s0 and sock2 on s1
      {"tcp4.after_bind.bindtodevice.moved_onto_peer",
       "R6",
       Proto::tcp,
       {{kAny4, DEV_S0 | LISTEN}, {kAny4, DEV_S1 | LISTEN}},
       DEV_S1 | LISTEN,
       std::nullopt},
      {"tcp4.after_bind.bindtodevice.moved_onto_peer.then_s0",
       "R6",
       Proto::tcp,
       {{kAny4, DEV_S0 | LISTEN}, {kAny4, DEV_S1 | LISTEN}},
       DEV_S1 | LISTEN,
       SockSpec{kAny4, DEV_S0 | LISTEN}},
      {"tcp4.after_bind.bindtodevice.moved_onto_peer.then_s1",
       "R6",
       Proto::tcp,
       {{kAny4, DEV_S0 | LISTEN}, {kAny4, DEV_S1 | LISTEN}},
       DEV_S1 | LISTEN,
       SockSpec{kAny4, DEV_S1 | LISTEN}},
      {"tcp4.after_bind.bindtodevice.cleared",
       "R6",
       Proto::tcp,
       {{kAny4, DEV_S0 | LISTEN}, {kAny4, DEV_S1 | LISTEN}},
       LISTEN,
       std::nullopt},
      {"tcp4.after_bind.bindtodevice.cleared.then_s0",
       "R6",
       Proto::tcp,
       {{kAny4, DEV_S0 | LISTEN}, {kAny4, DEV_S1 | LISTEN}},
       LISTEN,
       SockSpec{kAny4, DEV_S0 | LISTEN}},
      {"tcp4.after_bind.bindtodevice.set.then_s1",
       "R6",
       Proto::tcp,
       {{kAny4, LISTEN}},
       DEV_S0 | LISTEN,
       SockSpec{kAny4, DEV_S1 | LISTEN}},
      {"udp4.after_bind.bindtodevice.moved_onto_peer",
       "R6",
       Proto::udp,
       {{kAny4, DEV_S0}, {kAny4, DEV_S1}},
       DEV_S1,
       std::nullopt},
      {"udp4.after_bind.bindtodevice.cleared.then_s0",
       "R6",
       Proto::udp,
       {{kAny4, DEV_S0}, {kAny4, DEV_S1}},
       0,
       SockSpec{kAny4, DEV_S0}},
  };
  for (const ChangeRow& row : rows) {
    Words words = socket_words(row.bound);
    words.emplace_back("sock1_after_bind", describe({row.bound[0].addr, row.first_after}));
    std::vector<SockSpec> socks = row.bound;
    if (row.last) {
      words.emplace_back("then", describe(*row.last));
      socks.push_back(*row.last);
    }
    Opts after = opts_for(row.first_after);
    Params params{{"kind", "option_change"},
                  {"proto", proto_name(row.proto)},
                  {"sockets", sockets_json(socks)},
                  {"sysctls", Json::object({})},
                  {"change_after_socket", row.bound.size()},
                  {"sock1_after_change", Json::object({{"reuseaddr", after.reuseaddr},
                                                       {"reuseport", after.reuseport},
                                                       {"device", Json::or_null(after.device)}})}};
    add_case(only_binds(
        {row.id, row.rule, params, [row](Ctx&) { return changed_after_bind(row); }, prose(words)}));
  }
  return true;
}();

// --- listen() again after shutdown() in a SO_REUSEPORT group (R9) ---------------
constexpr int kFlows = 64;  // a member of three gets none with odds of about 1e-11
const char* const kMigrate = "net.ipv4.tcp_migrate_req";

size_t listeners_on_port() { return sockets_on_port(kPort, state_bit(TCP_LISTEN)).size(); }

Outcome relisten(Ctx& ctx, int family, const std::string& migrate, bool new_member) {
  if (!read_sysctl(kMigrate)) {
    if (migrate == "1") return {"unsupported", std::string(kMigrate) + " does not exist"};
  } else {
    set_sysctl(kMigrate, migrate);
  }
  const char* ip = family == AF_INET6 ? kSrv6 : kSrv4;
  Opts rp;
  rp.reuseport = true;
  std::vector<Sock> group = bind_group(ip, 2, Proto::tcp, rp, true);
  check(shutdown(group[0].fd(), SHUT_RDWR), "shutdown(listener)");
  wait_for([] { return listeners_on_port() == 1; }, "the shut-down listener to stop listening");
  std::string detail = "two SO_REUSEPORT listeners on " + make_addr(ip).str() +
                       ", sock1 shut down (" + kMigrate + "=" + migrate + ")";
  if (new_member) {
    std::vector<Sock> third = bind_group(ip, 1, Proto::tcp, rp, true);
    group.push_back(std::move(third[0]));
    detail += ", a third joined";
  }
  Step r{"listen", group[0].listen(64)};
  detail += "; sock1 listen() again: " + errno_name(r.err);
  if (r.err)
    return with_control({r.token(), detail}, [&] {
      group.clear();
      return Sock::open(family, Proto::tcp, rp).bind_listen(make_addr(ip), true).token();
    });
  size_t members = group.size();
  wait_for([&] { return listeners_on_port() == members; }, "every member to be listening");
  Delivery d = deliver_tcp(ctx, pointers(group), ip, kFlows);
  return {classify(d), detail + "; " + describe(d)};
}

const bool relisten_rows = [] {
  struct Row {
    const char* id;
    int family;
    const char* migrate;
    bool new_member;
  };
  for (const Row& r :
       {Row{"tcp4.after_bind.reuseport_group.relisten_after_shutdown.migration_off", AF_INET, "0",
            false},
        Row{"tcp4.after_bind.reuseport_group.relisten_after_shutdown.migration_on", AF_INET, "1",
            false},
        Row{"tcp6.after_bind.reuseport_group.relisten_after_shutdown.migration_off", AF_INET6, "0",
            false},
        Row{"tcp4.after_bind.reuseport_group.relisten_after_new_member.migration_off", AF_INET, "0",
            true},
        Row{"tcp4.after_bind.reuseport_group.relisten_after_new_member.migration_on", AF_INET, "1",
            true}}) {
    Row row = r;
    const char* ip = row.family == AF_INET6 ? kSrv6 : kSrv4;
    std::vector<SockParams> group(2, sock_params({ip, RP | LISTEN}));
    add_case({row.id,
              "R9",
              {{"kind", "reuseport_relisten"},
               {"proto", "tcp"},
               {"sockets", sockets_json(group)},
               {"sysctls", Json::object({{kMigrate, std::stoi(row.migrate)}})},
               {"new_member", row.new_member},
               {"flows", kFlows}},
              [row](Ctx& ctx) { return relisten(ctx, row.family, row.migrate, row.new_member); },
              prose({{"group", row.new_member ? "2 x reuseport, a third joins after the shutdown"
                                              : "2 x reuseport"},
                     {kMigrate, row.migrate},
                     {"flows", std::to_string(kFlows)}}),
              kTcpDiagOptions});
  }
  return true;
}();

}  // namespace
}  // namespace sr
