// R2: SO_REUSEADDR on both sockets shares an address:port as long as neither
// is in LISTEN. A listener conflicts with a later bind; a later listen()
// conflicts only with a socket already listening: the second of two bound
// sockets may listen (bound_then_listen: ok), and then the first may not
// (listen_second_then_first).
#include "fixtures/sequence.h"
#include "fixtures/sock_params.h"
#include "netns/error.h"

namespace sr {
namespace {

const bool registered = add_bind_cases({
    {"tcp4.reuseaddr.both.bound_bound", "R2", Proto::tcp, {{kSrv4, RA}, {kSrv4, RA}}},
    {"tcp4.reuseaddr.both.listening_then_bind",
     "R2",
     Proto::tcp,
     {{kSrv4, RA | LISTEN}, {kSrv4, RA}}},
    {"tcp4.reuseaddr.both.bound_then_listen",
     "R2",
     Proto::tcp,
     {{kSrv4, RA}, {kSrv4, RA | LISTEN}}},
    {"tcp4.reuseaddr.both.listening_then_listen",
     "R2",
     Proto::tcp,
     {{kSrv4, RA | LISTEN}, {kSrv4, RA | LISTEN}}},
    {"tcp4.reuseaddr.any.bound_bound", "R2", Proto::tcp, {{kAny4, RA}, {kAny4, RA}}},
    {"tcp4.reuseaddr.any.listening_then_bind",
     "R2",
     Proto::tcp,
     {{kAny4, RA | LISTEN}, {kAny4, RA}}},
    {"tcp6.reuseaddr.both.bound_bound", "R2", Proto::tcp, {{kSrv6, RA}, {kSrv6, RA}}},
    {"tcp6.reuseaddr.both.listening_then_bind",
     "R2",
     Proto::tcp,
     {{kSrv6, RA | LISTEN}, {kSrv6, RA}}},
    {"tcp6.reuseaddr.both.bound_then_listen",
     "R2",
     Proto::tcp,
     {{kSrv6, RA}, {kSrv6, RA | LISTEN}}},
    {"tcp6.reuseaddr.any.bound_bound", "R2", Proto::tcp, {{kAny6, RA}, {kAny6, RA}}},
    // UDP has no LISTEN state: SO_REUSEADDR on both always shares.
    {"udp4.reuseaddr.both.same_addr", "R2", Proto::udp, {{kSrv4, RA}, {kSrv4, RA}}},
    {"udp4.reuseaddr.both.any", "R2", Proto::udp, {{kAny4, RA}, {kAny4, RA}}},
    {"udp4.reuseaddr.three", "R2", Proto::udp, {{kSrv4, RA}, {kSrv4, RA}, {kSrv4, RA}}},
    {"udp4.reuseaddr.third_without", "R2", Proto::udp, {{kSrv4, RA}, {kSrv4, RA}, {kSrv4, 0}}},
    {"udp6.reuseaddr.both.same_addr", "R2", Proto::udp, {{kSrv6, RA}, {kSrv6, RA}}},
    {"udp6.reuseaddr.both.any", "R2", Proto::udp, {{kAny6, RA}, {kAny6, RA}}},
    // SO_REUSEADDR does not stand in for SO_REUSEPORT or the other way round.
    {"tcp4.reuseaddr.first_reuseport_second", "R2", Proto::tcp, {{kSrv4, RP}, {kSrv4, RA}}},
    {"udp4.reuseaddr.first_reuseport_second", "R2", Proto::udp, {{kSrv4, RA}, {kSrv4, RP}}},
});

}  // namespace
}  // namespace sr

namespace sr {
namespace {

// bound_then_listen shows that listen() only checks against sockets already
// in LISTEN; this one then asks the first, merely bound socket to listen too.
Outcome listen_both_in_turn(Ctx&, const char* ip) {
  SockAddr at = make_addr(ip);
  Opts o;
  o.reuseaddr = true;
  Sock first = Sock::open(at.family(), Proto::tcp, o);
  Sock second = Sock::open(at.family(), Proto::tcp, o);
  for (Sock* s : {&first, &second})
    if (int err = s->bind(at))
      return {"sock" + std::string(s == &first ? "1" : "2") + "." + call_token("bind", err),
              "both binds must succeed"};
  if (int err = second.listen())
    return with_control({"sock2." + call_token("listen", err), "second listen refused"}, [&] {
      first.close();
      second.close();
      return Sock::open(at.family(), Proto::tcp, o).bind_listen(at, true).token();
    });
  Step r{"listen", first.listen()};
  return with_control({r.token(), "both bound with reuseaddr, second listening; first listen: " +
                                      errno_name(r.err)},
                      [&] {
                        second.close();  // the blocker: the listener
                        first.close();
                        return Sock::open(at.family(), Proto::tcp, o).bind_listen(at, true).token();
                      });
}

const bool listen_turns = [] {
  for (auto [id, ip] : {std::pair{"tcp4.reuseaddr.both.listen_second_then_first", kSrv4},
                        std::pair{"tcp6.reuseaddr.both.listen_second_then_first", kSrv6}}) {
    const char* addr = ip;
    add_case({id,
              "R2",
              {{"kind", "listen_turns"},
               {"proto", "tcp"},
               {"sockets", sockets_json(std::vector<SockSpec>{{addr, RA}, {addr, RA}})},
               {"sysctls", Json::object({})},
               {"listen_order", Json::list({2, 1})}},
              [addr](Ctx& ctx) { return listen_both_in_turn(ctx, addr); },
              prose({{"addr", addr}, {"sequence", "bind, bind, listen 2, listen 1"}})});
  }
  return true;
}();

}  // namespace
}  // namespace sr
