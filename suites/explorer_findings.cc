// Curated cases for what the explorer (explore/, docs/explorer.md) found
// across the five kernels of the matrix and no other case showed. Each row
// is one explorer sequence, run through the explorer's own code in the
// case's namespaces; its key is among the parameters, so the explorer's
// pattern and the case can be told apart by nobody.
#include <netinet/tcp.h>

#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include "explore/sequence.h"
#include "fixtures/case.h"
#include "fixtures/sock_params.h"
#include "fixtures/socket.h"
#include "fixtures/timewait.h"

namespace sr {
namespace {

namespace ex = sr::explore;

struct Side {
  const char* ip;
  int v6only;  // -1: the kernel default
  bool reuseaddr, reuseport;
  const char* dev;  // "" for none
};

struct FindingRow {
  std::string id;
  std::string rule;
  std::string key;     // the explorer sequence (explore/space.yaml values)
  std::string change;  // the kernel change, or the finding (docs/findings.md)
  ex::Proto proto;
  ex::State state;
  ex::When when;
  Side first, second;
  bool other_euid;
  const char* target;  // where a client connects (timewait, established) or a UDP peer
};

// The explorer's values for one row, owned by the case.
struct Owned {
  ex::AddrValue a1, a2;
  ex::OptsValue o1, o2;
  ex::DevValue d1, d2;
  ex::Seq seq;
};

std::shared_ptr<Owned> build(const FindingRow& r) {
  auto o = std::make_shared<Owned>();
  auto side = [&](const Side& s, ex::AddrValue& a, ex::OptsValue& op, ex::DevValue& d) {
    a.addr = make_addr(s.ip, 0);
    a.v6only = s.v6only;
    for (size_t i = 0; i < 3; ++i) {
      a.target.at(i) = make_addr(r.target, 0);
      a.peer.at(i) = make_addr(r.target, 9);
    }
    op.reuseaddr = s.reuseaddr;
    op.reuseport = s.reuseport;
    d.ifname = s.dev;
    ex::SockSpec spec{&a, &op, &d, 0};
    return spec;
  };
  o->seq.proto = r.proto;
  o->seq.state = r.state;
  o->seq.when = r.when;
  o->seq.first = side(r.first, o->a1, o->o1, o->d1);
  o->seq.second = side(r.second, o->a2, o->o2, o->d2);
  o->seq.euid = r.other_euid ? kOtherUid : 0;
  return o;
}

// "198.51.100.1 reuseaddr reuseport", as the bind tables describe a socket.
std::string describe(const Side& s) {
  std::string out = s.ip;
  if (s.reuseaddr) out += " reuseaddr";
  if (s.reuseport) out += " reuseport";
  if (*s.dev) out += std::string(" dev=") + s.dev;
  return out;
}

SockParams side_params(const Side& s) {
  Opts o;
  o.reuseaddr = s.reuseaddr;
  o.reuseport = s.reuseport;
  o.v6only = s.v6only;
  o.device = s.dev;
  return {s.ip, kSharedPort, o, "bound", {}};
}

// The parameters of the explorer's own sequence (sockreuse/model/sequences.py
// explore_params gives the explorer's keys the same shape): the first socket
// with its options' timing and state, the second (listening, for TCP) with
// its EUID, and where a client connects or a UDP socket connects to.
Params params_of(const FindingRow& r) {
  static const char* const states[] = {"bound", "listen", "timewait", "established", "connected"};
  static const char* const timings[] = {"", "after_bind", "cleared_after_bind"};
  SockParams first = side_params(r.first), second = side_params(r.second);
  first.state = states[static_cast<int>(r.state)];
  if (r.when != ex::When::before) {
    std::string when = timings[static_cast<int>(r.when)];
    if (r.first.reuseaddr) first.timing.emplace_back("reuseaddr", when);
    if (r.first.reuseport) first.timing.emplace_back("reuseport", when);
    if (*r.first.dev) first.timing.emplace_back("device", when);
  }
  second.state = r.proto == ex::Proto::tcp ? "listen" : "bound";
  second.opts.euid = r.other_euid ? kOtherUid : 0;
  std::vector<Json> key;
  for (size_t at = 0, end = 0; at <= r.key.size(); at = end + 1) {
    end = std::min(r.key.find(' ', at), r.key.size());
    key.emplace_back(r.key.substr(at, end - at));
  }
  return {{"kind", "explorer_key"},
          {"proto", r.proto == ex::Proto::tcp ? "tcp" : "udp"},
          {"sockets", sockets_json({first, second})},
          {"sysctls", Json::object({})},
          {"connect_to", r.target},
          {"peer", r.target},
          {"explorer_key", Json::list(key)}};
}

Outcome run(const std::shared_ptr<Owned>& o, Ctx& ctx) {
  ex::SeqResult r = ex::run_sequence(o->seq, kPort, ctx.topo);
  if (r.status == "skip") throw Skip(r.detail);
  if (r.status != "ok") throw std::runtime_error(r.detail);
  // As the explorer's shards do: a TIME_WAIT that inet_diag does not show
  // was never there, and the outcome would prove nothing.
  if (r.timewait && sockets_on_port(kPort, state_bit(TCP_TIME_WAIT)).empty())
    throw std::runtime_error("the TIME_WAIT on port " + std::to_string(kPort) + " is not there");
  return {r.token, "explorer sequence on port " + std::to_string(kPort), r.control};
}

const bool registered = [] {
  using ex::Proto;
  using ex::State;
  using ex::When;
  const std::vector<FindingRow> rows = {
      // 6.1.0-50: a bound or listening ::ffff:0.0.0.0 does not stop ::ffff:198.51.100.1
      // (docs/findings.md#mapped-any-gap-6-1 shows it for ::ffff:127.0.0.1; the explorer, for any
      // mapped address).
      {"tcp46.explorer.mapped_any_then_mapped_s0", "R8",
       "tcp bound before mapany none none maps0 none none same",
       "tcp: Fix bind() regression for v4-mapped-v6 non-wildcard address.", Proto::tcp,
       State::bound, When::before, Side{kMappedAny, 0, false, false, ""},
       Side{kMappedSrv4, 0, false, false, ""}, false, kSrv4},
      {"tcp46.explorer.mapped_any_listening_then_mapped_s0", "R8",
       "tcp listen before mapany none none maps0 none none same",
       "tcp: Fix bind() regression for v4-mapped-v6 non-wildcard address.", Proto::tcp,
       State::listen, When::before, Side{kMappedAny, 0, false, false, ""},
       Side{kMappedSrv4, 0, false, false, ""}, false, kSrv4},
      // The first socket set SO_REUSEADDR / SO_REUSEPORT before bind() and cleared it
      // after: the port's cached reuse state still says it may be shared
      // (docs/findings.md#stale-reuse-cache).
      {"tcp4.explorer.reuseaddr_cleared_after_bind", "R2",
       "tcp bound cleared s0_4 ra none s0_4 ra none same", "docs/findings.md#stale-reuse-cache",
       Proto::tcp, State::bound, When::cleared, Side{kSrv4, -1, true, false, ""},
       Side{kSrv4, -1, true, false, ""}, false, kSrv4},
      {"tcp4.explorer.reuseport_cleared_after_bind.any_second", "R5",
       "tcp bound cleared s0_4 rp none any4 rp none same", "docs/findings.md#stale-reuse-cache",
       Proto::tcp, State::bound, When::cleared, Side{kSrv4, -1, false, true, ""},
       Side{kAny4, -1, false, true, ""}, false, kSrv4},
      // What 6.12's rework kept: the strict SO_REUSEPORT cache still lets a socket on
      // the same address bind and listen beside one that cleared SO_REUSEPORT.
      {"tcp4.explorer.reuseport_cleared_after_bind.same_addr", "R5",
       "tcp bound cleared s0_4 rp none s0_4 rp none same", "docs/findings.md#stale-reuse-cache",
       Proto::tcp, State::bound, When::cleared, Side{kSrv4, -1, false, true, ""},
       Side{kSrv4, -1, false, true, ""}, false, kSrv4},
      {"tcp4.explorer.both_cleared_after_bind.other_euid", "R5",
       "tcp bound cleared s0_4 both none s0_4 both none other",
       "docs/findings.md#stale-reuse-cache", Proto::tcp, State::bound, When::cleared,
       Side{kSrv4, -1, true, true, ""}, Side{kSrv4, -1, true, true, ""}, true, kSrv4},
  };
  for (const FindingRow& row : rows) {
    auto owned = build(row);
    add_case({row.id, row.rule, params_of(row), [owned](Ctx& ctx) { return run(owned, ctx); },
              prose({{"explorer_key", row.key},
                     {"change", row.change},
                     {"sock1", describe(row.first)},
                     {"sock2", describe(row.second) + (row.other_euid ? " uid65534" : "")}}),
              // run() looks for a TIME_WAIT over inet_diag.
              row.state == State::timewait ? kTcpDiagOptions : KernelOptions{}});
  }
  return true;
}();

}  // namespace
}  // namespace sr
