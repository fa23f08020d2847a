// R10: the programmable side of R9. A BPF_SK_REUSEPORT_SELECT_OR_MIGRATE
// program decides where the connections queued on a closed (or shut down)
// listener go, and the requests still in their handshake: to the member it
// selects, back to the kernel's hash, or nowhere (reset), with
// net.ipv4.tcp_migrate_req 0 or 1. A plain sk_reuseport program, by
// contrast, is not asked: then only the sysctl decides. The scenarios of the
// kernel's selftests/bpf/prog_tests/migrate_reuseport.c, in this suite's style.
//
// Three listeners A, B, C (members 1-3). The program sends every new
// connection to A (map slot R10_NEW_CONNECTIONS), so A holds all of them when
// it goes; its target for migration is C (slot R10_MIGRATE_TARGET), never B.
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <string>
#include <vector>

#include "fixtures/bpf.h"
#include "fixtures/flows.h"
#include "fixtures/json.h"
#include "fixtures/listen_queue.h"
#include "fixtures/sysctl_step.h"
#include "fixtures/timewait.h"
#include "netns/error.h"
#include "netns/sysctl.h"
#include "netns/wait.h"
#include "suites/bpf/r10_maps.h"

namespace sr {
namespace {

constexpr int kConns = 16;
const char* const kMigrateReq = "net.ipv4.tcp_migrate_req";

enum class Prog { select_or_migrate, plain };
enum class Gone { close, shutdown };
// What A holds when it goes: established connections in its accept queue, or
// requests in their handshake (TCP_DEFER_ACCEPT keeps every connection a
// request until its client sends data, which the clients do after A is gone).
enum class Held { queued, requests };

struct Row {
  std::string id;
  int family;
  Prog prog;
  uint32_t policy;  // R10_MIGRATE_* for select_or_migrate
  const char* migrate_req;
  Gone gone;
  Held held;
};

const char* policy_name(const Row& r) {
  if (r.prog == Prog::plain) return "an sk_reuseport program without the migrate attach type";
  switch (r.policy) {
    case R10_MIGRATE_TO_TARGET:
      return "a BPF_SK_REUSEPORT_SELECT_OR_MIGRATE program that selects member 3";
    case R10_MIGRATE_BY_KERNEL:
      return "a BPF_SK_REUSEPORT_SELECT_OR_MIGRATE program that selects nothing, SK_PASS";
    default:
      return "a BPF_SK_REUSEPORT_SELECT_OR_MIGRATE program that returns SK_DROP";
  }
}

// The program as the model (sockreuse/model/r10_migrate.py) reads it: its
// attach type (null: a plain sk_reuseport program, never asked about
// migration), the member it migrates to (null: none selected) and its verdict.
Json program_of(const Row& r) {
  bool migrates = r.prog == Prog::select_or_migrate;
  return Json::object(
      {{"attach", "ebpf"},
       {"type", "sk_reuseport"},
       {"attach_type", migrates ? Json("select_or_migrate") : nullptr},
       {"migrate_to", migrates && r.policy == R10_MIGRATE_TO_TARGET ? Json(3) : nullptr},
       {"verdict", migrates && r.policy == R10_MIGRATE_DROP ? "SK_DROP" : "SK_PASS"}});
}

int count_resets(const std::vector<Sock>& clients) {
  int n = 0;
  for (const Sock& c : clients) n += was_reset(c);
  return n;
}

Outcome run(Ctx& ctx, const Row& row) {
  if (!read_sysctl(kMigrateReq)) {
    if (std::string(row.migrate_req) == "1")
      return {"unsupported", std::string(kMigrateReq) + " does not exist"};
  } else {
    set_sysctl(kMigrateReq, row.migrate_req);
  }
  BpfObject obj =
      BpfObject::load(row.prog == Prog::plain ? kBpfSelectSockarray : kBpfSelectOrMigrate);
  if (obj.err()) return {"prog_load:" + errno_name(obj.err()), obj.log()};
  int prog = obj.prog(row.prog == Prog::plain ? "select_by_port" : "select_or_migrate");
  uint32_t policy = row.prog == Prog::plain ? uint32_t{R10_SELECT_DROP_ON_ERROR} : row.policy;
  if (int err = map_update_u32(obj.map("policy"), 0, policy)) throw SysError("policy map", err);

  const char* ip = row.family == AF_INET ? kSrv4 : kSrv6;
  std::vector<Sock> group = reuseport_group(Proto::tcp, ip, 3, {}, [&](int i, Sock& s) {
    if (row.held == Held::requests) {
      int defer = 30;
      check(setsockopt(s.fd(), IPPROTO_TCP, TCP_DEFER_ACCEPT, &defer, sizeof defer),
            "TCP_DEFER_ACCEPT");
    }
    if (i == 0)
      if (int err = attach_ebpf(s.fd(), prog)) throw SysError("SO_ATTACH_REUSEPORT_EBPF", err);
  });
  Sock &a = group[0], &b = group[1], &c = group[2];
  int map = obj.map("members");
  for (auto [slot, sock] : {std::pair{R10_MIGRATE_TARGET, &c}, std::pair{R10_NEW_CONNECTIONS, &a}})
    if (int err = map_update_u64(map, uint32_t(slot), uint64_t(sock->fd())))
      return {"map_update:" + errno_name(err), "slot " + std::to_string(slot)};

  // The plain program reads the slot from the port; the other ignores the port.
  Connected conns = connect_flows(ctx, ip, flows_to(std::vector<int>(kConns, R10_NEW_CONNECTIONS)));
  if (conns.refused) throw SysError("connect: the program refused a new connection", ECONNREFUSED);
  std::vector<Sock>& clients = conns.clients;
  uint32_t on_b = 0, on_c = 0, orphans = kConns;
  if (row.held == Held::queued) {
    wait_for(
        [&] {
          return queued_on(a.inode()) + queued_on(b.inode()) + queued_on(c.inode()) == kConns;
        },
        [&] {
          return "every connection to reach an accept queue (" +
                 std::to_string(queued_on(a.inode()) + queued_on(b.inode()) +
                                queued_on(c.inode())) +
                 " of " + std::to_string(kConns) + ")";
        });
    orphans = queued_on(a.inode());
    on_b = queued_on(b.inode());
    on_c = queued_on(c.inode());
  } else {
    auto requests = [] { return sockets_on_port(kPort, state_bit(TCP_SYN_RECV)).size(); };
    wait_for([&] { return requests() == kConns; },
             [&] {
               return std::to_string(kConns) + " requests in SYN_RECV (saw " +
                      std::to_string(requests()) + ")";
             });
  }
  if (row.gone == Gone::shutdown)
    check(shutdown(a.fd(), SHUT_RDWR), "shutdown(listener A)");
  else
    a.close();
  if (row.held == Held::requests)
    for (Sock& cl : clients) check(static_cast<int>(::write(cl.fd(), "x", 1)), "client write");

  int accepted_b = 0, accepted_c = 0;
  std::vector<Sock> accepted;
  auto take = [&](Sock& l, int& n) {
    while (Sock s = l.accept_nonblock()) {
      n++;
      accepted.push_back(std::move(s));
    }
  };
  wait_for(
      [&] {
        take(b, accepted_b);
        take(c, accepted_c);
        return accepted_b + accepted_c + count_resets(clients) == kConns;
      },
      [&] {
        return "every connection to be accepted by B or C or reset (accepted " +
               std::to_string(accepted_b + accepted_c) + ", reset " +
               std::to_string(count_resets(clients)) + " of " + std::to_string(kConns) + ")";
      });
  int reset = count_resets(clients);
  int moved_b = accepted_b - int(on_b), moved_c = accepted_c - int(on_c);
  int counters = obj.map("counters");
  std::string detail =
      std::to_string(kConns) + (row.held == Held::queued ? " connections" : " requests") + ", " +
      std::to_string(orphans) + " of them on A when it " +
      (row.gone == Gone::close ? "closed" : "shut down") + "; then B accepted " +
      std::to_string(accepted_b) + ", C " + std::to_string(accepted_c) + ", reset " +
      std::to_string(reset) + "; program ran " +
      std::to_string(map_lookup_u32(counters, R10_RUNS)) + " times, saw " +
      std::to_string(map_lookup_u32(counters, R10_MIGRATED_ESTABLISHED)) + " established and " +
      std::to_string(map_lookup_u32(counters, R10_MIGRATED_REQUEST)) + " requests migrating; " +
      kMigrateReq + "=" + row.migrate_req;
  if (reset == 0 && moved_b == 0 && moved_c == int(orphans) && orphans == kConns)
    return {"by_program", detail};
  if (reset == 0 && moved_b + moved_c == int(orphans)) return {"migrated", detail};
  if (reset == int(orphans) && moved_b + moved_c == 0) return {"reset", detail};
  return {"mixed", detail};
}

const bool registered = [] {
  std::vector<Row> rows;
  for (const char* req : {"0", "1"})
    rows.push_back({std::string("tcp4.r10.migrate_prog.close.to_target.migrate_req_") + req,
                    AF_INET, Prog::select_or_migrate, R10_MIGRATE_TO_TARGET, req, Gone::close,
                    Held::queued});
  rows.push_back({"tcp4.r10.migrate_prog.close.by_kernel.migrate_req_0", AF_INET,
                  Prog::select_or_migrate, R10_MIGRATE_BY_KERNEL, "0", Gone::close, Held::queued});
  rows.push_back({"tcp4.r10.migrate_prog.close.drop.migrate_req_1", AF_INET,
                  Prog::select_or_migrate, R10_MIGRATE_DROP, "1", Gone::close, Held::queued});
  rows.push_back({"tcp4.r10.migrate_prog.shutdown.to_target.migrate_req_0", AF_INET,
                  Prog::select_or_migrate, R10_MIGRATE_TO_TARGET, "0", Gone::shutdown,
                  Held::queued});
  rows.push_back({"tcp4.r10.migrate_prog.requests.to_target.migrate_req_0", AF_INET,
                  Prog::select_or_migrate, R10_MIGRATE_TO_TARGET, "0", Gone::close,
                  Held::requests});
  rows.push_back({"tcp6.r10.migrate_prog.close.to_target.migrate_req_0", AF_INET6,
                  Prog::select_or_migrate, R10_MIGRATE_TO_TARGET, "0", Gone::close, Held::queued});
  rows.push_back({"tcp6.r10.migrate_prog.requests.to_target.migrate_req_0", AF_INET6,
                  Prog::select_or_migrate, R10_MIGRATE_TO_TARGET, "0", Gone::close,
                  Held::requests});
  for (const char* req : {"0", "1"})
    rows.push_back({std::string("tcp4.r10.migrate_prog.plain_program.close.migrate_req_") + req,
                    AF_INET, Prog::plain, 0, req, Gone::close, Held::queued});
  for (const Row& r : rows) {
    bool close = r.gone == Gone::close, queued = r.held == Held::queued;
    add_case(
        r.id, "R10",
        std::string("3 members; the program sends new connections to member 1, which ") +
            (close ? "closes" : "shuts down") + " holding " +
            (queued ? "its accept queue" : "requests (TCP_DEFER_ACCEPT)") + "; " + policy_name(r) +
            "; " + kMigrateReq + "=" + r.migrate_req,
        Json::object(
            {{"kind", "r10_migrate_prog"},
             {"proto", "tcp"},
             {"family", r.family == AF_INET ? 4 : 6},
             {"members", 3},
             {"program", program_of(r)},
             {"new_connections_to", 1},
             {"listener_gone", Json::object({{"member", 1}, {"op", close ? "close" : "shutdown"}})},
             {"held", queued ? "accept_queue" : "requests"},
             {"sysctls", Json::object({{kMigrateReq, std::stoi(r.migrate_req)}})},
             {"selftest", "migrate_reuseport.c"}}),
        [r](Ctx& ctx) { return run(ctx, r); }, all_of({kBpfOptions, kTcpDiagOptions}));
  }
  return true;
}();

}  // namespace
}  // namespace sr
