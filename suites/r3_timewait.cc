// R3: rebinding a port held by a server-side TIME_WAIT needs SO_REUSEADDR on
// the new socket *and* on the socket that went to TIME_WAIT; a live listener
// still conflicts. With SO_REUSEPORT on both, TIME_WAIT is exempt from the
// UID check (R5). The TIME_WAIT comes from a real connection and is confirmed
// over inet_diag before the new socket binds.
#include <string>

#include "fixtures/timewait.h"

namespace sr {
namespace {

struct TwRow {
  std::string id;
  std::string rule;
  int family;
  unsigned old_flags;  // the listener whose connection went to TIME_WAIT (RA, RP, UID2)
  unsigned new_flags;
  bool listener_alive;
  bool new_specific;  // the new socket binds the TIME_WAIT's own address, not the wildcard
};

TimeWaitSpec spec_of(const TwRow& row) {
  bool v6 = row.family == AF_INET6;
  TimeWaitSpec spec;
  spec.listen_ip = v6 ? kAny6 : kAny4;
  spec.connect_ip = v6 ? kSrv6 : kSrv4;
  spec.listener_flags = row.old_flags;
  spec.keep_listener = row.listener_alive;
  return spec;
}

// The new socket binds the wildcard the listener had, or the TIME_WAIT's own
// address, and listens.
SockSpec fresh_of(const TwRow& row) {
  bool v6 = row.family == AF_INET6;
  return {row.new_specific ? (v6 ? kSrv6 : kSrv4) : (v6 ? kAny6 : kAny4), row.new_flags | LISTEN};
}

const bool registered = [] {
  std::vector<TwRow> rows;
  for (int family : {AF_INET, AF_INET6}) {
    std::string p = family == AF_INET ? "tcp4.timewait." : "tcp6.timewait.";
    auto add = [&](const std::string& id, const char* rule, unsigned o, unsigned n, bool alive,
                   bool specific) {
      rows.push_back({p + id, rule, family, o, n, alive, specific});
    };
    add("old_noreuse.new_noreuse", "R3", 0, 0, false, false);
    add("old_noreuse.new_reuse", "R3", 0, RA, false, false);
    add("old_reuse.new_noreuse", "R3", RA, 0, false, false);
    add("old_reuse.new_reuse", "R3", RA, RA, false, false);
    add("old_reuse.new_reuse.listener_alive", "R3", RA, RA, true, false);
    add("old_noreuse.new_noreuse.specific", "R3", 0, 0, false, true);
    add("old_reuse.new_reuse.specific", "R3", RA, RA, false, true);
    add("reuseport.same_uid", "R5", RP, RP, false, false);
    add("reuseport.other_uid", "R5", RP | UID2, RP, false, false);
    add("reuseport.other_uid.listener_alive", "R5", RP | UID2, RP, true, false);
  }
  for (const TwRow& row : rows)
    add_case({row.id, row.rule, timewait_params(spec_of(row), fresh_of(row)),
              [row](Ctx& ctx) { return rebind_beside_timewait(ctx, spec_of(row), fresh_of(row)); },
              prose(timewait_words(spec_of(row), fresh_of(row))), kTcpDiagOptions});
  return true;
}();

}  // namespace
}  // namespace sr
