// The scenarios of the kernel's tools/testing/selftests/net/bind_wildcard.c,
// in this suite's style: for every ordered pair of addresses below, one TCP
// socket binds the first and a second binds the second on the same port; then
// six more sockets try each of the six addresses on that port. The token is
// "binds:", the second bind's result, '|', then the six results in the order
//   0.0.0.0, 127.0.0.1, ::, ::1, ::ffff:0.0.0.0, ::ffff:127.0.0.1
// without options, then with SO_REUSEADDR, then with SO_REUSEPORT on the
// first two sockets (the six extra sockets never set an option).
// This is where the bhash2 regressions of 6.1-6.6 showed (see the notes in
// the expected tables).
#include <cerrno>
#include <string>
#include <vector>

#include "fixtures/sequence.h"
#include "fixtures/sock_params.h"
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

// Named by the address itself.
const Named kExtra[] = {{kAny4, kAny4, 0},
                        {kLo4, kLo4, 0},
                        {kAny6, kAny6, DUAL},
                        {kLo6, kLo6, 0},
                        {kMappedAny, kMappedAny, DUAL},
                        {kMappedLo4, kMappedLo4, DUAL}};

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
    return {"sock1." + call_token("bind", err), "the first bind must succeed"};
  std::vector<int> errs{bind_one(b, b.flags | reuse)};
  for (const Named& extra : kExtra) errs.push_back(bind_one(extra, extra.flags));
  std::string token = "binds:";
  for (size_t i = 0; i < errs.size(); ++i)
    token += (i == 0 ? "" : i == 1 ? "|" : ",") + errno_name(errs[i]);
  std::string detail = std::string("second bind, then ") + kExtra[0].name;
  for (size_t i = 1; i < std::size(kExtra); ++i) detail += std::string(", ") + kExtra[i].name;
  // Control: alone on the port, each socket that met a conflict binds.
  return with_control({token, detail}, [&] {
    held.clear();
    std::string control = "ok";
    for (size_t i = 0; i < errs.size(); ++i) {
      const Named& n = i == 0 ? b : kExtra[i - 1];
      unsigned flags = i == 0 ? b.flags | reuse : n.flags;
      if (errs[i] != EADDRINUSE) continue;
      int err = bind_one(n, flags);
      held.clear();
      if (err) control = std::string(n.name) + ":" + call_token("bind", err);
    }
    return control;
  });
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
        std::vector<SockSpec> socks{{a.addr, a.flags | reuse}, {b.addr, b.flags | reuse}};
        std::vector<SockSpec> extra;
        for (const Named& n : kExtra) extra.push_back({n.addr, n.flags});
        Params p{{"kind", "bind_wildcard"},        {"proto", "tcp"},
                 {"sockets", sockets_json(socks)}, {"sysctls", Json::object({})},
                 {"then", sockets_json(extra)},    {"selftest", "bind_wildcard.c"}};
        Words words = socket_words(socks);
        words.insert(words.begin(), {"selftest", "bind_wildcard.c"});
        const Named* pa = &a;
        const Named* pb = &b;
        add_case(
            only_binds({id, rule_of(a, b), p,
                        [pa, pb, reuse](Ctx&) { return run(*pa, *pb, reuse); }, prose(words)}));
      }
    }
  return true;
}();

}  // namespace
}  // namespace sr
