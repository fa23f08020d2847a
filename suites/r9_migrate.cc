// R9: closing one of several SO_REUSEPORT listeners. Connections already
// queued on it are reset, or moved to a surviving listener when
// net.ipv4.tcp_migrate_req=1 (Linux 5.14+) — the defect seed 000 §2.1
// describes. The sysctl is written inside the server namespace only.
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <string>

#include "fixtures/delivery.h"
#include "fixtures/listen_queue.h"
#include "fixtures/sysctl_step.h"
#include "fixtures/timewait.h"
#include "netns/error.h"
#include "netns/sysctl.h"
#include "netns/wait.h"

namespace sr {
namespace {

constexpr int kConns = 16;
const char* const kMigrate = "net.ipv4.tcp_migrate_req";

// Sets tcp_migrate_req in the server namespace; false when migration is
// asked for on a kernel without the sysctl. `note` says what the kernel has.
bool set_migrate(const std::string& migrate, std::string& note) {
  if (!read_sysctl(kMigrate)) {
    note = "; " + std::string(kMigrate) + " absent, so the pre-5.14 behaviour";
    return migrate != "1";
  }
  set_sysctl(kMigrate, migrate);
  note = "; " + std::string(kMigrate) + " reads back " + read_sysctl(kMigrate).value_or("?");
  return true;
}

Outcome run(Ctx& ctx, int family, const std::string& migrate, bool by_shutdown) {
  std::string note;
  if (!set_migrate(migrate, note))
    return {"unsupported", std::string(kMigrate) + " does not exist"};
  SockAddr at = make_addr(family == AF_INET ? kSrv4 : kSrv6);
  Opts rp;
  rp.reuseport = true;
  std::vector<Sock> group = bind_group(family == AF_INET ? kSrv4 : kSrv6, 2, Proto::tcp, rp, true);
  Sock& a = group[0];
  Sock& b = group[1];
  std::vector<Sock> clients = connect_clients(ctx, at, kConns);
  ino_t ia = a.inode(), ib = b.inode();
  wait_for([&] { return queued_on(ia) + queued_on(ib) == kConns; },
           [&] {
             return "every connection to reach an accept queue (" + std::to_string(queued_on(ia)) +
                    " + " + std::to_string(queued_on(ib)) + " of " + std::to_string(kConns) + ")";
           });
  // Close the listener holding more connections, so some are always orphaned.
  bool close_a = queued_on(ia) >= queued_on(ib);
  Sock& victim = close_a ? a : b;
  Sock& survivor = close_a ? b : a;
  uint32_t orphans = queued_on(close_a ? ia : ib);
  ino_t survivor_ino = close_a ? ib : ia;
  if (by_shutdown)
    check(shutdown(victim.fd(), SHUT_RDWR), "shutdown(listener)");
  else
    victim.close();

  auto resets = [&] {
    int n = 0;
    for (const Sock& c : clients) n += was_reset(c);
    return n;
  };
  // Done when every connection is either queued on the survivor or reset:
  // only then is "reset", "migrated" or "mixed" the kernel's answer.
  wait_for([&] { return queued_on(survivor_ino) + resets() == kConns; },
           [&] {
             return "every connection to be queued on the survivor or reset (queued " +
                    std::to_string(queued_on(survivor_ino)) + ", reset " +
                    std::to_string(resets()) + " of " + std::to_string(kConns) + ")";
           });
  int accepted = 0;
  while (Sock c = survivor.accept_nonblock()) accepted++;
  int reset = resets();
  std::string detail = std::to_string(kConns) + " connections queued, " + std::to_string(orphans) +
                       " on the closed listener; survivor accepted " + std::to_string(accepted) +
                       ", clients reset " + std::to_string(reset) + note;
  if (accepted == kConns && reset == 0) return {"migrated", detail};
  if (reset == int(orphans) && accepted == kConns - reset) return {"reset", detail};
  return {"mixed", detail};
}

// Requests still in SYN_RECV when their listener goes: TCP_DEFER_ACCEPT
// keeps every connection a request until the client sends data, so all of
// them are requests when one listener closes; then every client writes.
Outcome syn_recv(Ctx& ctx, const std::string& migrate) {
  std::string note;
  if (!set_migrate(migrate, note))
    return {"unsupported", std::string(kMigrate) + " does not exist"};
  constexpr int kReqs = 32;  // a closed listener owns none of them with p = 2^-32
  SockAddr at = make_addr(kSrv4);
  Opts rp;
  rp.reuseport = true;
  Sock a = Sock::open(AF_INET, Proto::tcp, rp), b = Sock::open(AF_INET, Proto::tcp, rp);
  for (Sock* l : {&a, &b}) {
    int defer = 30;
    check(setsockopt(l->fd(), IPPROTO_TCP, TCP_DEFER_ACCEPT, &defer, sizeof defer),
          "TCP_DEFER_ACCEPT");
    Step r = l->bind_listen(at, true, 64);
    if (r.err) throw SysError(r.call + " listener " + at.str(), r.err);
  }
  std::vector<Sock> clients = connect_clients(ctx, at, kReqs);
  auto requests = [] { return sockets_on_port(kPort, state_bit(TCP_SYN_RECV)).size(); };
  wait_for([&] { return requests() == kReqs; },
           [&] {
             return std::to_string(kReqs) + " requests in SYN_RECV (saw " +
                    std::to_string(requests()) + ")";
           });
  a.close();
  for (Sock& c : clients) check(static_cast<int>(::write(c.fd(), "x", 1)), "client write");
  auto resets = [&] {
    int n = 0;
    for (const Sock& c : clients) n += was_reset(c);
    return n;
  };
  int accepted = 0;
  std::vector<Sock> conns;
  wait_for(
      [&] {
        while (Sock c = b.accept_nonblock()) {
          accepted++;
          conns.push_back(std::move(c));
        }
        return accepted + resets() == kReqs;
      },
      [&] {
        return "every request to be accepted by the survivor or reset (accepted " +
               std::to_string(accepted) + ", reset " + std::to_string(resets()) + " of " +
               std::to_string(kReqs) + ")";
      });
  int reset = resets();
  std::string detail = std::to_string(kReqs) + " requests in SYN_RECV when one listener closed; " +
                       "survivor accepted " + std::to_string(accepted) + ", clients reset " +
                       std::to_string(reset) + note;
  if (accepted == kReqs) return {"migrated", detail};
  if (reset > 0 && accepted + reset == kReqs) return {"reset", detail};
  return {"mixed", detail};
}

const bool registered = [] {
  for (int family : {AF_INET, AF_INET6}) {
    for (const char* migrate : {"0", "1"}) {
      for (bool by_shutdown : {false, true}) {
        if (by_shutdown && family == AF_INET6) continue;
        std::string id = std::string(family == AF_INET ? "tcp4" : "tcp6") + ".migrate." +
                         (by_shutdown ? "shutdown_listener" : "close_listener") + ".migrate_req_" +
                         migrate;
        Params params{{"kind", "migrate"},
                      {"proto", "tcp"},
                      {"family", family == AF_INET ? 4 : 6},
                      {"sysctls", Json::object({{kMigrate, std::stoi(migrate)}})},
                      {"listener_gone_by", by_shutdown ? "shutdown" : "close"},
                      {"connections", kConns}};
        std::string m = migrate;
        add_case({id, "R9", params,
                  [family, m, by_shutdown](Ctx& ctx) { return run(ctx, family, m, by_shutdown); },
                  prose({{"family", family == AF_INET ? "4" : "6"},
                         {"tcp_migrate_req", migrate},
                         {"listener_gone_by", by_shutdown ? "shutdown" : "close"},
                         {"connections", std::to_string(kConns)}}),
                  kTcpDiagOptions});
      }
    }
    if (family == AF_INET6) continue;
    for (const char* migrate : {"0", "1"}) {
      std::string m = migrate;
      add_case({std::string("tcp4.migrate.syn_recv.migrate_req_") + migrate,
                "R9",
                {{"kind", "migrate"},
                 {"proto", "tcp"},
                 {"family", 4},
                 {"sysctls", Json::object({{kMigrate, std::stoi(migrate)}})},
                 {"listener_gone_by", "close"},
                 {"request_state", "syn_recv"}},
                [m](Ctx& ctx) { return syn_recv(ctx, m); },
                prose({{"tcp_migrate_req", migrate},
                       {"listener_gone_by", "close"},
                       {"state", "SYN_RECV"},
                       {"change", "net: Introduce net.ipv4.tcp_migrate_req."}}),
                kTcpDiagOptions});
    }
  }
  add_case(only_binds(
      {"tcp.migrate.sysctl_default",
       "R9",
       {{"kind", "sysctl_default"}, {"sysctl", kMigrate}, {"sysctls", Json::object({})}},
       [](Ctx&) -> Outcome {
         auto v = read_sysctl(kMigrate);
         return {v ? "value_" + *v : "unsupported", "a fresh namespace's " + std::string(kMigrate)};
       }}));
  return true;
}();

}  // namespace
}  // namespace sr
