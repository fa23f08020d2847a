// "udp: Fix wildcard bind conflict check when using hash2" (7.0, backported to
// stable branches): past 10 sockets on a port, UDP checks a new bind for
// conflicts through hash2 (keyed by address and port), where a wildcard bind
// used to miss the sockets bound to specific addresses.
//
// Without the fix the outcome also depends on chance. Both hash tables are
// shared by every namespace and salted per namespace: when one of the specific
// sockets happens to share the wildcard's hash2 slot (about 11 in 512 on a
// small table) the old check does see it, and other namespaces' sockets in the
// port's slot can push its count past 10 early. So each case repeats the
// scenario in fresh namespaces, each with a new salt, names every trial in its
// detail, and reports the majority (fixtures/trials.h); a trial that is
// neither ok nor EADDRINUSE decides the case on its own. With the fix every
// trial is EADDRINUSE.
#include <string>

#include "fixtures/sequence.h"
#include "fixtures/sock_params.h"
#include "fixtures/trials.h"
#include "netns/error.h"
#include "netns/namespace.h"
#include "netns/rtnl.h"

namespace sr {
namespace {

// Odd, so two outcomes always have a strict majority; a kernel without the
// fix flips four trials of seven by chance with odds far below one in a million.
constexpr int kTrials = 7;

struct Trial {
  std::string token;
  std::string control;  // for a conflict: the wildcard alone on the port
};

// One trial in a namespace of its own.
Trial wildcard_after_specifics(int specifics, const SockAddr& any, unsigned flags) {
  NetNs ns = NetNs::create();
  InNs in(ns);
  Rtnl().set_up(topo::kLo.name);
  std::vector<Sock> held;
  for (int i = 1; i <= specifics; ++i) {
    SockAddr at = make_addr("127.0.0." + std::to_string(i));
    held.push_back(Sock::open(AF_INET, Proto::udp));
    if (int err = held.back().bind(at)) throw SysError("bind " + at.str(), err);
  }
  Trial t;
  t.token = call_token("bind", Sock::open(any.family(), Proto::udp, opts_for(flags)).bind(any));
  if (is_conflict(t.token)) {
    held.clear();
    t.control = call_token("bind", Sock::open(any.family(), Proto::udp, opts_for(flags)).bind(any));
  }
  return t;
}

Outcome run(int specifics, const char* wildcard, unsigned flags) {
  SockAddr any = make_addr(wildcard);
  std::vector<std::string> tokens;
  std::string trials, control;
  for (int t = 0; t < kTrials; ++t) {
    Trial one = wildcard_after_specifics(specifics, any, flags);
    tokens.push_back(one.token);
    if (!one.control.empty() && (control.empty() || control == "ok")) control = one.control;
    trials += (t ? ", " : "") + one.token;
  }
  return {aggregate_trials(tokens, {"ok", "bind:EADDRINUSE"}),
          std::to_string(specifics) + " sockets on 127.0.0.1-" + std::to_string(specifics) +
              ":8888, then " + any.str() + ", in " + std::to_string(kTrials) +
              " fresh namespaces: " + trials,
          control};
}

const bool registered = [] {
  for (int n : {10, 11})
    for (auto [name, addr, flags] :
         {std::tuple{"any4", kAny4, 0u}, std::tuple{"any6", kAny6, unsigned{DUAL}},
          std::tuple{"mapped_any", kMappedAny, unsigned{DUAL}}}) {
      const char* a = addr;
      unsigned f = flags;
      std::vector<SockParams> socks;
      for (int i = 1; i <= n; ++i) {
        std::string lo = "127.0.0." + std::to_string(i);
        socks.push_back(sock_params({lo.c_str(), 0}));
      }
      socks.push_back(sock_params({addr, flags}));
      add_case(
          only_binds({"udp4.hash2.specific_" + std::to_string(n) + ".then_" + name,
                      "R4",
                      {{"kind", "udp_hash2"},
                       {"proto", "udp"},
                       {"sockets", sockets_json(socks)},
                       {"sysctls", Json::object({})},
                       {"trials", kTrials}},
                      [n, a, f](Ctx&) { return run(n, a, f); },
                      prose({{"change", "udp: Fix wildcard bind conflict check when using hash2"},
                             {"specific_sockets", std::to_string(n)},
                             {"wildcard", describe({addr, flags})},
                             {"trials", std::to_string(kTrials)}})}));
    }
  return true;
}();

}  // namespace
}  // namespace sr
