// The scenarios of the kernel's tools/testing/selftests/net/bind_wildcard.c,
// in this suite's style: for every ordered pair of addresses below, one TCP
// socket binds the first and a second binds the second on the same port; then
// six more sockets try each of the six addresses on that port. The token is
// the second bind's result, '|', then the six results in the fixed order
//   0.0.0.0, 127.0.0.1, ::, ::1, ::ffff:0.0.0.0, ::ffff:127.0.0.1
// without options, then with SO_REUSEADDR, then with SO_REUSEPORT on the
// first two sockets (the six extra sockets never set an option).
// This is where the bhash2 regressions of 6.1-6.6 showed (see the notes in
// the expected tables).
#include <string>
#include <vector>

#include "fixtures/sequence.h"
#include "netns/error.h"

namespace sr {
namespace {

struct Named {
  const char* name;
  const char* addr;
  unsigned flags;
};

const Named kAddrs[] = {
    {"v4_any", kAny4, 0},
    {"v4_local", kLo4, 0},
    {"v6_any", kAny6, DUAL},
    {"v6_any_only", kAny6, V6ONLY},
    {"v6_local", kLo6, 0},
    {"v6_v4mapped_any", kMappedAny, DUAL},
    {"v6_v4mapped_local", kMappedLo4, DUAL},
};

const Named kExtra[] = {{"0.0.0.0", kAny4, 0},
                        {"127.0.0.1", kLo4, 0},
                        {"::", kAny6, DUAL},
                        {"::1", kLo6, 0},
                        {"::ffff:0.0.0.0", kMappedAny, DUAL},
                        {"::ffff:127.0.0.1", kMappedLo4, DUAL}};

bool ipv4_space(const Named& n) {
  return n.addr == kAny4 || n.addr == kLo4 || n.addr == kMappedAny || n.addr == kMappedLo4;
}

// Dual stack (R8) when the pair spans IPv4 and IPv6 or involves the
// dual-stack wildcard; otherwise a plain wildcard/specific question (R4).
const char* rule_of(const Named& a, const Named& b) {
  bool dual = (a.flags & DUAL && a.addr == kAny6) || (b.flags & DUAL && b.addr == kAny6);
  return dual || ipv4_space(a) != ipv4_space(b) ? "R8" : "R4";
}

Outcome run(const Named& a, const Named& b, unsigned reuse) {
  std::vector<Sock> held;
  auto bind_one = [&](const Named& n, unsigned flags) {
    SockAddr at = make_addr(n.addr);
    held.push_back(Sock::open(at.family(), Proto::tcp, opts_for(flags)));
    return held.back().bind(at);
  };
  if (int err = bind_one(a, a.flags | reuse))
    return {"sock1:" + errno_name(err), "the first bind must succeed"};
  std::string token = errno_name(bind_one(b, b.flags | reuse)) + "|";
  for (size_t i = 0; i < std::size(kExtra); ++i)
    token += (i ? "," : "") + errno_name(bind_one(kExtra[i], kExtra[i].flags));
  return {token, std::string("then ") + kExtra[0].name + ", " + kExtra[1].name + ", " +
                     kExtra[2].name + ", " + kExtra[3].name + ", " + kExtra[4].name + ", " +
                     kExtra[5].name};
}

const bool registered = [] {
  for (const Named& a : kAddrs)
    for (const Named& b : kAddrs) {
      if (&a == &b) continue;
      for (unsigned reuse : {0u, unsigned{RA}, unsigned{RP}}) {
        std::string id = std::string("tcp.bind_wildcard.") + a.name + "." + b.name +
                         (reuse == RA   ? ".reuseaddr"
                          : reuse == RP ? ".reuseport"
                                        : ".plain");
        Params p{{"proto", "tcp"},
                 {"selftest", "bind_wildcard.c"},
                 {"sock1", describe({a.addr, a.flags | reuse})},
                 {"sock2", describe({b.addr, b.flags | reuse})}};
        const Named* pa = &a;
        const Named* pb = &b;
        add_case({id, rule_of(a, b), p, [pa, pb, reuse](Ctx&) { return run(*pa, *pb, reuse); }});
      }
    }
  return true;
}();

}  // namespace
}  // namespace sr
