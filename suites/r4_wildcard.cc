// R4: a wildcard and a specific address on one port conflict in both orders;
// distinct specific addresses share the port. SO_REUSEADDR lifts the wildcard
// conflict as R2 lifts any: a bind conflicts with a socket already listening,
// and a listen() only with a socket already listening
// (any_then_specific.reuseaddr_then_listen: ok).
#include "fixtures/sequence.h"

namespace sr {
namespace {

const bool registered = add_bind_cases({
    {"tcp4.wildcard.any_then_specific", "R4", Proto::tcp, {{kAny4, 0}, {kSrv4, 0}}},
    {"tcp4.wildcard.specific_then_any", "R4", Proto::tcp, {{kSrv4, 0}, {kAny4, 0}}},
    {"tcp4.wildcard.two_specific", "R4", Proto::tcp, {{kSrv4, 0}, {kSrv4b, 0}}},
    {"tcp4.wildcard.two_specific.listening", "R4", Proto::tcp, {{kSrv4, LISTEN}, {kSrv4b, LISTEN}}},
    {"tcp4.wildcard.specific_and_loopback", "R4", Proto::tcp, {{kSrv4, LISTEN}, {kLo4, LISTEN}}},
    {"tcp4.wildcard.any_listening_then_specific.reuseaddr",
     "R4",
     Proto::tcp,
     {{kAny4, RA | LISTEN}, {kSrv4, RA}}},
    {"tcp4.wildcard.specific_listening_then_any.reuseaddr",
     "R4",
     Proto::tcp,
     {{kSrv4, RA | LISTEN}, {kAny4, RA}}},
    {"tcp4.wildcard.any_then_specific.reuseaddr_bound",
     "R4",
     Proto::tcp,
     {{kAny4, RA}, {kSrv4, RA}}},
    {"tcp4.wildcard.any_then_specific.reuseaddr_then_listen",
     "R4",
     Proto::tcp,
     {{kAny4, RA}, {kSrv4, RA | LISTEN}}},
    {"tcp6.wildcard.any_then_specific", "R4", Proto::tcp, {{kAny6, V6ONLY}, {kSrv6, 0}}},
    {"tcp6.wildcard.specific_then_any", "R4", Proto::tcp, {{kSrv6, 0}, {kAny6, V6ONLY}}},
    {"tcp6.wildcard.two_specific", "R4", Proto::tcp, {{kSrv6, 0}, {kSrv6b, 0}}},
    {"tcp6.wildcard.any_listening_then_specific.reuseaddr",
     "R4",
     Proto::tcp,
     {{kAny6, RA | LISTEN}, {kSrv6, RA}}},
    {"udp4.wildcard.any_then_specific", "R4", Proto::udp, {{kAny4, 0}, {kSrv4, 0}}},
    {"udp4.wildcard.specific_then_any", "R4", Proto::udp, {{kSrv4, 0}, {kAny4, 0}}},
    {"udp4.wildcard.two_specific", "R4", Proto::udp, {{kSrv4, 0}, {kSrv4b, 0}}},
    {"udp4.wildcard.any_then_specific.reuseaddr", "R4", Proto::udp, {{kAny4, RA}, {kSrv4, RA}}},
    {"udp6.wildcard.any_then_specific", "R4", Proto::udp, {{kAny6, V6ONLY}, {kSrv6, 0}}},
    {"udp6.wildcard.specific_then_any", "R4", Proto::udp, {{kSrv6, 0}, {kAny6, V6ONLY}}},
    {"udp6.wildcard.two_specific", "R4", Proto::udp, {{kSrv6, 0}, {kSrv6b, 0}}},
});

}  // namespace
}  // namespace sr
