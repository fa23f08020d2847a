// R2 and R5 together [reuse_both]: a socket that sets SO_REUSEADDR and
// SO_REUSEPORT shares a port when either option alone would let it. SO_REUSEADDR
// shares with any socket that also sets it while neither is listening (R2),
// whatever the EUIDs; SO_REUSEPORT shares with sockets that set it too and have
// the same EUID, listening or not (R5). A socket with only one of the options
// meets the other through that one alone, so the rows pair "both" with "ra
// only" and "rp only", before and after, bound and listening, and with another
// EUID, where only SO_REUSEADDR can help and only before anyone listens.
#include "fixtures/sequence.h"

namespace sr {
namespace {

constexpr unsigned BOTH = RA | RP;

const bool registered = add_bind_cases({
    // Two sockets, bound only: SO_REUSEADDR on both shares (R2), and a socket
    // with only SO_REUSEPORT beside "both" shares through SO_REUSEPORT (R5).
    {"tcp4.reuse_both.both_then_both", "R2", Proto::tcp, {{kSrv4, BOTH}, {kSrv4, BOTH}}},
    {"tcp4.reuse_both.both_then_reuseaddr", "R2", Proto::tcp, {{kSrv4, BOTH}, {kSrv4, RA}}},
    {"tcp4.reuse_both.both_then_reuseport", "R5", Proto::tcp, {{kSrv4, BOTH}, {kSrv4, RP}}},
    {"tcp4.reuse_both.reuseaddr_then_both", "R2", Proto::tcp, {{kSrv4, RA}, {kSrv4, BOTH}}},
    {"tcp4.reuse_both.reuseport_then_both", "R5", Proto::tcp, {{kSrv4, RP}, {kSrv4, BOTH}}},
    {"udp4.reuse_both.both_then_both", "R2", Proto::udp, {{kSrv4, BOTH}, {kSrv4, BOTH}}},
    {"udp4.reuse_both.both_then_reuseaddr", "R2", Proto::udp, {{kSrv4, BOTH}, {kSrv4, RA}}},
    {"udp4.reuse_both.reuseport_then_both", "R5", Proto::udp, {{kSrv4, RP}, {kSrv4, BOTH}}},
    // A listener: SO_REUSEADDR no longer shares (R2.listener-blocks-bind), so
    // only SO_REUSEPORT on both does; "ra only" beside a listening "both" fails.
    {"tcp4.reuse_both.both_listening_then_both",
     "R5",
     Proto::tcp,
     {{kSrv4, BOTH | LISTEN}, {kSrv4, BOTH | LISTEN}}},
    {"tcp4.reuse_both.both_listening_then_reuseaddr",
     "R2",
     Proto::tcp,
     {{kSrv4, BOTH | LISTEN}, {kSrv4, RA}}},
    {"tcp4.reuse_both.both_listening_then_reuseport",
     "R5",
     Proto::tcp,
     {{kSrv4, BOTH | LISTEN}, {kSrv4, RP | LISTEN}}},
    {"tcp6.reuse_both.both_listening_then_both",
     "R5",
     Proto::tcp,
     {{kSrv6, BOTH | LISTEN}, {kSrv6, BOTH | LISTEN}}},
    // Another EUID: SO_REUSEPORT refuses it (R5.euid-must-match), SO_REUSEADDR
    // does not ask, so two bound "both" sockets share and a listener does not.
    {"tcp4.reuse_both.other_euid.both_then_both",
     "R2",
     Proto::tcp,
     {{kSrv4, BOTH}, {kSrv4, BOTH | UID2}}},
    {"tcp4.reuse_both.other_euid.both_listening_then_both",
     "R5",
     Proto::tcp,
     {{kSrv4, BOTH | LISTEN}, {kSrv4, BOTH | UID2}}},
    {"tcp4.reuse_both.other_euid.both_then_both_listening",
     "R2",
     Proto::tcp,
     {{kSrv4, BOTH}, {kSrv4, BOTH | UID2 | LISTEN}}},
    {"udp4.reuse_both.other_euid.both_then_both",
     "R2",
     Proto::udp,
     {{kSrv4, BOTH}, {kSrv4, BOTH | UID2}}},
    {"udp4.reuse_both.other_euid.both_then_reuseport",
     "R5",
     Proto::udp,
     {{kSrv4, BOTH}, {kSrv4, RP | UID2}}},
    // Wildcard and specific (R4): the overlap is lifted as for one address.
    {"tcp4.reuse_both.any_listening_then_specific_listening",
     "R5",
     Proto::tcp,
     {{kAny4, BOTH | LISTEN}, {kSrv4, BOTH | LISTEN}}},
    {"tcp4.reuse_both.specific_listening_then_any.reuseaddr",
     "R2",
     Proto::tcp,
     {{kSrv4, BOTH | LISTEN}, {kAny4, RA}}},
    {"udp6.reuse_both.any_then_specific",
     "R5",
     Proto::udp,
     {{kAny6, BOTH | V6ONLY}, {kSrv6, BOTH}}},
    {"tcp46.reuse_both.any6_listening_then_any4_listening",
     "R5",
     Proto::tcp,
     {{kAny6, BOTH | DUAL | LISTEN}, {kAny4, BOTH | LISTEN}}},
    // Three and four sockets: each new socket meets every earlier one, so one
    // with only SO_REUSEADDR in the middle keeps the port shareable only while
    // nobody listens; listen() then checks listeners only (R2.listen-checks-listeners).
    {"tcp4.reuse_both.three.all_both_listening",
     "R5",
     Proto::tcp,
     {{kSrv4, BOTH | LISTEN}, {kSrv4, BOTH | LISTEN}, {kSrv4, BOTH | LISTEN}}},
    {"tcp4.reuse_both.three.middle_reuseaddr",
     "R2",
     Proto::tcp,
     {{kSrv4, BOTH}, {kSrv4, RA}, {kSrv4, BOTH | LISTEN}}},
    {"udp4.reuse_both.three.middle_reuseaddr",
     "R2",
     Proto::udp,
     {{kSrv4, BOTH}, {kSrv4, RA}, {kSrv4, BOTH}}},
    {"tcp4.reuse_both.four.last_reuseport_only",
     "R5",
     Proto::tcp,
     {{kSrv4, BOTH | LISTEN},
      {kSrv4, BOTH | LISTEN},
      {kSrv4, BOTH | LISTEN},
      {kSrv4, RP | LISTEN}}},
    {"udp4.reuse_both.four.third_reuseport_only_then_reuseaddr",
     "R2",
     Proto::udp,
     {{kSrv4, BOTH}, {kSrv4, BOTH}, {kSrv4, RP}, {kSrv4, RA}}},
});

}  // namespace
}  // namespace sr
