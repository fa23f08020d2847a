// Every experiment in the seed articles (results/seed_claims.yaml lists them), each a case of its
// own named after the article and example, so a report can say per kernel
// which of their claims hold. Ports and addresses are the topology's; the
// articles' own hosts were 22.99.22.111, 127.0.0.1 and 192.168.8.246.
#include <netinet/tcp.h>
#include <poll.h>

#include <atomic>
#include <thread>

#include "fixtures/delivery.h"
#include "fixtures/sequence.h"
#include "fixtures/sock_params.h"
#include "fixtures/sysctl_step.h"
#include "fixtures/timewait.h"
#include "netns/error.h"
#include "netns/sysctl.h"
#include "netns/wait.h"

namespace sr {
namespace {

// Plain bind/listen experiments.
const bool bind_rows = [] {
  add_bind_cases(
      {{"seed000.ex3.bindtodevice.same_dev",
        "R6",
        Proto::tcp,
        {{kAny4, DEV_LO | LISTEN}, {kSrv4, DEV_LO | LISTEN}}},
       {"seed000.ex3.bindtodevice.other_dev",
        "R6",
        Proto::tcp,
        {{kAny4, DEV_LO | LISTEN}, {kAny4, DEV_S0 | LISTEN}}},
       {"seed000.ex5.any_then_specific", "R4", Proto::tcp, {{kAny4, LISTEN}, {kSrv4, LISTEN}}},
       {"seed000.ex5.specific_then_any", "R4", Proto::tcp, {{kSrv4, LISTEN}, {kAny4, LISTEN}}},
       {"seed000.ex5.two_specific", "R4", Proto::tcp, {{kSrv4, LISTEN}, {kLo4, LISTEN}}}},
      {{"seed", "000"}});
  add_bind_cases(
      {{"seed001.linux.tcp_two_sockets_one_port",
        "R1",
        Proto::tcp,
        {{kSrv4, LISTEN}, {kSrv4, LISTEN}}},
       {"seed001.linux.udp_reuseaddr_two_sockets", "R2", Proto::udp, {{kSrv4, RA}, {kSrv4, RA}}}},
      {{"seed", "001"}});
  add_bind_cases(
      {{"seed003.udp_two_sockets.default", "R1", Proto::udp, {{kAny4, 0}, {kAny4, 0}}},
       {"seed003.udp_two_sockets.reuseaddr", "R2", Proto::udp, {{kAny4, RA}, {kAny4, RA}}}},
      {{"seed", "003"}});
  add_bind_cases(
      {{"seed004.start_server.two_addresses", "R4", Proto::tcp, {{kLo4, LISTEN}, {kSrv4, LISTEN}}},
       {"seed004.start_server.any_then_loopback",
        "R4",
        Proto::tcp,
        {{kAny4, LISTEN}, {kLo4, LISTEN}}},
       {"seed004.start_server.any_then_loopback.reuseaddr",
        "R2",
        Proto::tcp,
        {{kAny4, RA | LISTEN}, {kLo4, RA | LISTEN}}},
       // Node's listen(8080) twice: libuv binds [::] dual stack with SO_REUSEADDR.
       {"seed004.node_listen_twice",
        "R2",
        Proto::tcp,
        {{kAny6, DUAL | RA | LISTEN}, {kAny6, DUAL | RA | LISTEN}}}},
      {{"seed", "004"}});
  return true;
}();

// A server restarted on its port while the old one left a connection behind.
// seed 000 example 4 serves on 0.0.0.0 to a remote client; seed 002 serves on
// 127.0.0.1 to nc on the same host, so its client is on the server's loopback.
struct Restart {
  const char* id;
  const char* seed;
  bool old_reuse;
  bool new_reuse;
  bool keep_listener;
  const char* ip;
};

TimeWaitSpec spec_of(const Restart& r) {
  TimeWaitSpec spec;
  spec.listener_flags = r.old_reuse ? unsigned{RA} : 0u;
  spec.keep_listener = r.keep_listener;
  spec.listen_ip = r.ip;
  if (std::string(r.ip) == kLo4) spec.connect_ip = kLo4;
  spec.client_here = std::string(r.ip) == kLo4;
  return spec;
}

SockSpec fresh_of(const Restart& r) { return {r.ip, LISTEN | (r.new_reuse ? RA : 0u)}; }

// Two TCP listeners on one address with socket option `optname` set on both.
// A kernel without the option refuses setsockopt, and that is the outcome.
Outcome reuseport_pair(int optname) {
  SockAddr at = make_addr(kSrv4);
  std::vector<Sock> held;
  std::string detail;
  for (int i = 1; i <= 2; ++i) {
    held.push_back(Sock::open(AF_INET, Proto::tcp));
    int one = 1;
    if (setsockopt(held.back().fd(), SOL_SOCKET, optname, &one, sizeof one) != 0)
      return {call_token("setsockopt", errno), "setsockopt(SOL_SOCKET, " + std::to_string(optname) +
                                                   ") refused on socket " + std::to_string(i)};
    Step r = held.back().bind_listen(at, true);
    detail += "socket " + std::to_string(i) + " with option " + std::to_string(optname) + ": " +
              r.call + " " + errno_name(r.err) + "; ";
    if (r.err != 0)
      return with_control({(i == 1 ? "sock1." : "") + r.token(), detail}, [&] {
        held.clear();
        return Sock::open(AF_INET, Proto::tcp).bind_listen(at, true).token();
      });
  }
  return {"ok", detail + "both listen on " + at.str()};
}

// seed 003 says SO_REUSEADDR must be set before bind(), on every socket. Here
// the first socket sets it only after its own bind.
Outcome reuseaddr_after_bind(Ctx&) {
  SockAddr at = make_addr(kAny4);
  Sock first = Sock::open(AF_INET, Proto::udp);
  if (int err = first.bind(at)) throw SysError("bind first " + at.str(), err);
  int one = 1;
  check(setsockopt(first.fd(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one),
        "setsockopt SO_REUSEADDR after bind");
  Opts o;
  o.reuseaddr = true;
  Sock second = Sock::open(AF_INET, Proto::udp, o);
  Step r{"bind", second.bind(at)};
  return with_control(
      {r.token(),
       "first bound, then set SO_REUSEADDR; second (SO_REUSEADDR) bind: " + errno_name(r.err)},
      [&] {
        first.close();
        second.close();
        return call_token("bind", Sock::open(AF_INET, Proto::udp, o).bind(at));
      });
}

// seed 002's fork-child server: the listener is gone but the connection it
// accepted is still ESTABLISHED (held by the child) when the server restarts.
Outcome fork_child(Ctx& ctx, bool reuse) {
  Opts o;
  o.reuseaddr = reuse;
  SockAddr at = make_addr(kSrv4);
  // The control comes first: a connection cannot be undone, only made later.
  std::string control = Sock::open(AF_INET, Proto::tcp, o).bind_listen(at, true).token();
  Sock listener = Sock::open(AF_INET, Proto::tcp, o);
  Step setup = listener.bind_listen(at, true);
  if (setup.err) throw SysError(setup.call + " " + at.str(), setup.err);
  Sock client = [&] {
    auto in = ctx.in_client();
    return Sock::open(AF_INET, Proto::tcp);
  }();
  if (int err = client.connect(at)) throw SysError("connect", err);
  wait_readable(listener.fd(), "the connection to reach the accept queue");
  Sock child_conn = listener.accept_nonblock();
  listener.close();  // the parent exits; the child keeps child_conn
  Sock s = Sock::open(AF_INET, Proto::tcp, o);
  Step r = s.bind_listen(at, true);
  return {
      r.token(),
      "restart beside an ESTABLISHED connection, no listener: " + r.call + " " + errno_name(r.err),
      control};
}

// seed 003: two SO_REUSEADDR sockets on 0.0.0.0, a receive thread on each.
Outcome receive_threads(Ctx& ctx) {
  Opts o;
  o.reuseaddr = true;
  std::vector<Sock> socks = bind_group(kAny4, 2, Proto::udp, o, false);
  std::atomic<bool> stop{false};
  std::atomic<int> got[2] = {0, 0};
  std::vector<std::thread> threads;
  threads.reserve(2);
  // However the case ends (a wait may throw), the threads stop and are joined.
  struct Joiner {
    std::atomic<bool>& stop;
    std::vector<std::thread>& threads;
    ~Joiner() {
      stop = true;
      for (auto& t : threads)
        if (t.joinable()) t.join();
    }
  } joiner{stop, threads};
  for (int i = 0; i < 2; ++i)
    threads.emplace_back([&, i] {
      char buf[64];
      pollfd p{socks[static_cast<size_t>(i)].fd(), POLLIN, 0};
      while (!stop) {
        if (poll(&p, 1, 20) > 0 &&
            recv(socks[static_cast<size_t>(i)].fd(), buf, sizeof buf, MSG_DONTWAIT) > 0)
          got[i]++;
      }
    });
  UdpPlan plan;
  plan.dst_ip = kSrv4;
  send_udp_fenced(ctx, plan);  // after it, every datagram is queued on a socket or dropped
  stop = true;
  for (auto& t : threads) t.join();  // the joiner then finds nothing to join
  Delivery d;
  drain_udp(pointers(socks), plan, d);  // what the threads had not read yet
  for (int i = 0; i < 2; ++i) d.per_socket[static_cast<size_t>(i)] += got[i];
  d.seen = d.per_socket[0] + d.per_socket[1];
  d.flow_socks.assign(1, {});
  for (int i = 0; i < 2; ++i)
    if (d.per_socket[static_cast<size_t>(i)]) d.flow_socks[0].insert(i);
  return {classify(d), describe(d) + " (a receive thread on each socket)"};
}

// seed 000 example 1 says TIME_WAIT lasts net.ipv4.tcp_fin_timeout seconds.
// Set it to 5 and read the TIME_WAIT timer that inet_diag reports.
Outcome timewait_length(Ctx& ctx) {
  set_sysctl("net.ipv4.tcp_fin_timeout", "5");
  TimeWaitSpec spec;
  make_server_timewait(ctx, spec);
  auto tw = sockets_on_port(kPort, state_bit(TCP_TIME_WAIT));
  if (tw.empty()) throw std::runtime_error("TIME_WAIT vanished");
  unsigned secs = (tw.front().expires_ms + 500) / 1000;
  return {"tw_" + std::to_string(secs) + "s",
          "tcp_fin_timeout=5; TIME_WAIT timer " + std::to_string(tw.front().expires_ms) + " ms"};
}

Outcome two_servers_twenty_clients(Ctx& ctx) {
  Opts o;
  o.reuseport = true;
  std::vector<Sock> ls = bind_group(kAny4, 2, Proto::tcp, o, true);
  // The article used 20 clients; 32 keeps "both servers got some" certain
  // but for a 2^-31 chance, so the outcome does not flake.
  Delivery d = deliver_tcp(ctx, {&ls[0], &ls[1]}, kSrv4, 32);
  return {classify(d), describe(d)};
}

Outcome bindtodevice_served_by(Ctx& ctx) {
  std::vector<Sock> ls;
  for (unsigned dev : {DEV_LO, DEV_S0}) {
    ls.push_back(Sock::open(AF_INET, Proto::tcp, opts_for(dev)));
    if (int err = ls.back().bind(make_addr(kAny4))) throw SysError("bind", err);
    if (int err = ls.back().listen()) throw SysError("listen", err);
  }
  Delivery d = deliver_tcp(ctx, {&ls[0], &ls[1]}, kSrv4, 4);
  return {classify(d), describe(d) + " (first bound to lo, last to s0)"};
}

const bool custom = [] {
  for (Restart r :
       {Restart{"seed000.ex4.noreuse_parent_exits", "000", false, true, false, kAny4},
        Restart{"seed000.ex4.reuseaddr_parent_alive", "000", true, true, true, kAny4},
        Restart{"seed000.ex4.reuseaddr_parent_exits", "000", true, true, false, kAny4},
        Restart{"seed002.restart_after_kill.default", "002", false, false, false, kLo4},
        Restart{"seed002.restart_after_kill.reuseaddr", "002", true, true, false, kLo4}}) {
    Params p = timewait_params(spec_of(r), fresh_of(r));
    p.emplace_back("seed", r.seed);
    Words words = timewait_words(spec_of(r), fresh_of(r));
    words.insert(words.begin(), {"seed", r.seed});
    add_case({r.id, "R3", p,
              [r](Ctx& ctx) { return rebind_beside_timewait(ctx, spec_of(r), fresh_of(r)); },
              prose(words), kTcpDiagOptions});
  }
  for (bool reuse : {false, true}) {
    SockSpec served{kSrv4, (reuse ? unsigned{RA} : 0u) | LISTEN};
    add_case({std::string("seed002.fork_child.") + (reuse ? "reuseaddr" : "default"),
              reuse ? "R2" : "R1",
              {{"kind", "established_rebind"},
               {"proto", "tcp"},
               {"sockets", sockets_json(std::vector<SockSpec>{served, served})},
               {"sysctls", Json::object({})},
               {"seed", "002"},
               {"connection_to", kSrv4},
               {"listener_open", false}},
              [reuse](Ctx& ctx) { return fork_child(ctx, reuse); },
              prose({{"seed", "002"},
                     {"listener", describe(served)},
                     {"connection_to", kSrv4},
                     {"new", describe(served)}})});
  }
  add_case({"seed003.udp_receive_threads",
            "R7",
            {{"kind", "udp_delivery"},
             {"seed", "003"},
             {"proto", "udp"},
             {"sockets", sockets_json(std::vector<SockSpec>(2, {kAny4, RA}))},
             {"sysctls", Json::object({})},
             {"send_to", kSrv4},
             {"flows", 1}},
            receive_threads,
            prose({{"seed", "003"},
                   {"bind", kAny4},
                   {"sockets", "2"},
                   {"option", "reuseaddr"},
                   {"send_to", kSrv4},
                   {"flows", "1"}})});
  add_case({"seed000.ex1.timewait_length",
            "R3",
            {{"kind", "timewait_length"},
             {"seed", "000"},
             {"sysctls", Json::object({{"net.ipv4.tcp_fin_timeout", 5}})}},
            timewait_length,
            prose({{"seed", "000"}, {"tcp_fin_timeout", "5"}}),
            kTcpDiagOptions});
  add_case({"seed000.ex2.reuseport_two_servers",
            "R7",
            {{"kind", "tcp_delivery"},
             {"seed", "000"},
             {"proto", "tcp"},
             {"sockets", sockets_json(std::vector<SockSpec>(2, {kAny4, RP | LISTEN}))},
             {"sysctls", Json::object({})},
             {"connections", 32}},
            two_servers_twenty_clients,
            prose({{"seed", "000"},
                   {"option", "reuseport"},
                   {"bind", kAny4},
                   {"listeners", "2"},
                   {"connections", "32"}})});
  add_case({"seed000.ex3.bindtodevice.served_by",
            "R6",
            {{"kind", "device_delivery"},
             {"seed", "000"},
             {"proto", "tcp"},
             {"sockets", sockets_json(std::vector<SockSpec>{{kAny4, DEV_LO | LISTEN},
                                                            {kAny4, DEV_S0 | LISTEN}})},
             {"sysctls", Json::object({})},
             {"arrives_on", topo::kS0.name}},
            bindtodevice_served_by,
            prose({{"seed", "000"},
                   {"family", "4"},
                   {"listeners", "dev=lo, dev=s0"},
                   {"arrives_on", topo::kS0.name}})});
  for (auto [id, optname, name, what] :
       {std::tuple{"seed001.linux.has_so_reuseport", SO_REUSEPORT, "SO_REUSEPORT", "SO_REUSEPORT"},
        // seed 001 found SO_REUSEPORT undeclared and wrote #define SO_REUSEPORT 15.
        std::tuple{"seed001.define_so_reuseport_15", 15, "15", "15, the article's #define"}}) {
    int opt = optname;
    add_case(only_binds({id,
                         "R5",
                         {{"kind", "reuseport_pair"},
                          {"seed", "001"},
                          {"proto", "tcp"},
                          {"sockets", sockets_json(std::vector<SockSpec>(2, {kSrv4, RP | LISTEN}))},
                          {"sysctls", Json::object({})},
                          {"optname", name}},
                         [opt](Ctx&) { return reuseport_pair(opt); },
                         prose({{"seed", "001"}, {"option", what}})}));
  }
  SockParams set_after = sock_params({kAny4, RA});
  set_after.timing = {{"reuseaddr", "after_bind"}};
  add_case(only_binds({"seed003.reuseaddr_set_after_bind",
                       "R2",
                       {{"kind", "bind_sequence"},
                        {"seed", "003"},
                        {"proto", "udp"},
                        {"sockets", sockets_json({set_after, sock_params({kAny4, RA})})},
                        {"sysctls", Json::object({})}},
                       reuseaddr_after_bind,
                       prose({{"seed", "003"},
                              {"sock1", "0.0.0.0 reuseaddr@after"},
                              {"sock2", "0.0.0.0 reuseaddr"}})}));
  return true;
}();

}  // namespace
}  // namespace sr
