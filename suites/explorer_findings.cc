// Curated cases for what the explorer (explore/, README "Explorer") found
// across the five kernels of the matrix and no other case showed. Each row
// is one explorer sequence, run through the explorer's own code in the
// case's namespaces; its key is among the parameters, so the explorer's
// pattern and the case can be told apart by nobody.
#include <netinet/tcp.h>

#include <memory>
#include <string>
#include <vector>

#include "explore/sequence.h"
#include "fixtures/case.h"
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
  std::string change;  // the kernel change, or the README finding
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
  const std::vector<FindingRow> rows = {};
  for (const FindingRow& row : rows) {
    auto owned = build(row);
    add_case(
        {row.id, row.rule, {{"explorer_key", row.key}, {"change", row.change}}, [owned](Ctx& ctx) {
           return run(owned, ctx);
         }});
  }
  return true;
}();

}  // namespace
}  // namespace sr
