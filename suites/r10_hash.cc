// R10: without a program, a SO_REUSEPORT group picks a flow's member by a
// hash of the flow's addresses and ports: the same flow always reaches the
// same member. What happens to the flows when a member joins or leaves? The
// kernel maps the hash over the member count (reciprocal_scale) and fills a
// leaver's slot with the last member, so flows may also move between members
// that stay; these cases measure it on each kernel rather than assume it.
//
// The same flows are sent twice, before and after the change, from the same
// source ports: UDP datagrams, or TCP connections reset (SO_LINGER 0) between
// the rounds, so no TIME_WAIT holds a port.
#include <sys/socket.h>

#include <numeric>
#include <string>
#include <vector>

#include "fixtures/connection.h"
#include "fixtures/flows.h"
#include "fixtures/json.h"
#include "netns/error.h"

namespace sr {
namespace {

// Enough flows that every member gets some and, when a change moves about one
// flow in six between staying members, that none do has odds near 1e-10.
constexpr int kFlows = 128;

enum class Change { none, joins, last_leaves, first_leaves };

void reset_on_close(const std::vector<Sock>& socks) {
  for (const Sock& s : socks) sr::reset_on_close(s);
}

// Member of each flow (index into `members`), after sending all flows once.
Delivery round(Ctx& ctx, Proto proto, const std::vector<Sock*>& members, const char* ip,
               const std::vector<Flow>& flows) {
  if (proto == Proto::udp) return udp_flows(ctx, members, ip, flows, 1);
  TcpFlows t = tcp_flows(ctx, members, ip, flows);
  if (t.refused) throw SysError("connect (a flow was refused)", ECONNREFUSED);
  reset_on_close(t.clients);
  reset_on_close(t.accepted);
  return t.d;
}

// The one member each flow reached, or -1.
std::vector<int> landing(const Delivery& d) {
  std::vector<int> out;
  for (const auto& s : d.flow_socks) out.push_back(s.size() == 1 ? *s.begin() : -1);
  return out;
}

Outcome run(Ctx& ctx, Proto proto, const char* ip, Change change) {
  int before_n = change == Change::joins ? 2 : 3;
  std::vector<Sock> group = reuseport_group(proto, ip, before_n);
  std::vector<Sock*> members = pointers(group);
  std::vector<Flow> flows = plain_flows(kFlows);
  Delivery first = round(ctx, proto, members, ip, flows);
  std::string first_word = classify(first);
  if (first_word != "spread") return {first_word, "first round: " + describe(first)};

  // The member number (0-based, creation order) of each index in `members`.
  std::vector<int> id_of(static_cast<size_t>(before_n));
  std::iota(id_of.begin(), id_of.end(), 0);
  std::vector<Sock> joined;
  std::string what = "the same " + std::to_string(kFlows) + " flows sent twice";
  if (change == Change::joins) {
    joined = reuseport_group(proto, ip, 1);
    members.push_back(&joined.front());
    id_of.push_back(before_n);
    what += ", member 3 joining between the rounds";
  } else if (change != Change::none) {
    size_t gone = change == Change::last_leaves ? group.size() - 1 : 0;
    group[gone].close();
    members.erase(members.begin() + long(gone));
    id_of.erase(id_of.begin() + long(gone));
    what += std::string(", member ") + (gone == 0 ? "1" : "3") + " leaving between the rounds";
  }
  Delivery second = round(ctx, proto, members, ip, flows);
  if (second.seen < second.sent) return {classify(second), what + "; second: " + describe(second)};
  std::vector<int> a = landing(first), b = landing(second);
  int moved = 0, moved_between_stayers = 0;
  for (size_t f = 0; f < a.size(); ++f) {
    int after = b[f] < 0 ? -1 : id_of[size_t(b[f])];
    if (after == a[f]) continue;
    moved++;
    bool new_member = change == Change::joins && after == before_n;
    bool left_member = change == Change::last_leaves ? a[f] == 2 : a[f] == 0;
    if (!new_member && !(change != Change::joins && left_member)) moved_between_stayers++;
  }
  std::string detail = what + "; first: " + describe(first) + "; second: " + describe(second) +
                       "; " + std::to_string(moved) + " flows changed member, " +
                       std::to_string(moved_between_stayers) + " of them between staying members";
  if (moved == 0) return {"stable", detail};
  if (moved_between_stayers > 0 || change == Change::none) return {"reshuffled", detail};
  return {change == Change::joins ? "only_to_new" : "only_from_leaver", detail};
}

// What the model (sockreuse/model/r10_steering.py) predicts from: the group
// before the change, and the change between the rounds (null: none), as a
// step: {"op": "join", "member": 3} or {"op": "close", "member": 1}.
Json change_step(Change c) {
  switch (c) {
    case Change::joins:
      return Json::object({{"op", "join"}, {"member", 3}});
    case Change::last_leaves:
      return Json::object({{"op", "close"}, {"member", 3}});
    case Change::first_leaves:
      return Json::object({{"op", "close"}, {"member", 1}});
    case Change::none:
      break;
  }
  return nullptr;
}

const char* in_words(Change c) {
  switch (c) {
    case Change::joins:
      return "2 members, then a third member joins";
    case Change::last_leaves:
      return "3 members, then the last member leaves";
    case Change::first_leaves:
      return "3 members, then the first member leaves";
    case Change::none:
      break;
  }
  return "3 members, no change";
}

const bool registered = [] {
  struct Row {
    const char* name;
    Change change;
  };
  for (auto [tag, proto, ip] :
       {std::tuple{"udp4", Proto::udp, kSrv4}, std::tuple{"udp6", Proto::udp, kSrv6},
        std::tuple{"tcp4", Proto::tcp, kSrv4}}) {
    for (Row row : {Row{"stable", Change::none}, Row{"member_joins", Change::joins},
                    Row{"last_member_leaves", Change::last_leaves},
                    Row{"first_member_leaves", Change::first_leaves}}) {
      if (std::string(tag) == "udp6" && row.change != Change::none) continue;
      Proto p = proto;
      const char* addr = ip;
      Change c = row.change;
      add_case(std::string(tag) + ".r10.hash." + row.name, "R10",
               std::string(in_words(c)) + " between two rounds of the same " +
                   std::to_string(kFlows) + " flows",
               Json::object({{"kind", "r10_hash"},
                             {"proto", proto_name(proto)},
                             {"bind", ip},
                             {"flows", kFlows},
                             {"members", c == Change::joins ? 2 : 3},
                             {"then", change_step(c)}}),
               [p, addr, c](Ctx& ctx) { return run(ctx, p, addr, c); });
    }
  }
  return true;
}();

}  // namespace
}  // namespace sr
