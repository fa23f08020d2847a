// R5: SO_REUSEPORT on every socket and the same effective UID share an
// address:port (TCP listeners and UDP); one socket without it, or another
// EUID, conflicts. (The TIME_WAIT exemption from the UID check is in r3.)
#include "fixtures/sequence.h"

namespace sr {
namespace {

const bool registered = add_bind_cases({
    {"tcp4.reuseport.both.listeners",
     "R5",
     Proto::tcp,
     {{kSrv4, RP | LISTEN}, {kSrv4, RP | LISTEN}}},
    {"tcp4.reuseport.both.any_listeners",
     "R5",
     Proto::tcp,
     {{kAny4, RP | LISTEN}, {kAny4, RP | LISTEN}}},
    {"tcp4.reuseport.three_listeners",
     "R5",
     Proto::tcp,
     {{kSrv4, RP | LISTEN}, {kSrv4, RP | LISTEN}, {kSrv4, RP | LISTEN}}},
    {"tcp4.reuseport.first_only", "R5", Proto::tcp, {{kSrv4, RP | LISTEN}, {kSrv4, LISTEN}}},
    {"tcp4.reuseport.second_only", "R5", Proto::tcp, {{kSrv4, LISTEN}, {kSrv4, RP | LISTEN}}},
    {"tcp4.reuseport.other_euid.first",
     "R5",
     Proto::tcp,
     {{kSrv4, RP | UID2 | LISTEN}, {kSrv4, RP | LISTEN}}},
    {"tcp4.reuseport.other_euid.second",
     "R5",
     Proto::tcp,
     {{kSrv4, RP | LISTEN}, {kSrv4, RP | UID2 | LISTEN}}},
    {"tcp4.reuseport.same_other_euid",
     "R5",
     Proto::tcp,
     {{kSrv4, RP | UID2 | LISTEN}, {kSrv4, RP | UID2 | LISTEN}}},
    {"tcp4.reuseport.bound_not_listening", "R5", Proto::tcp, {{kSrv4, RP}, {kSrv4, RP}}},
    {"tcp6.reuseport.both.listeners",
     "R5",
     Proto::tcp,
     {{kSrv6, RP | LISTEN}, {kSrv6, RP | LISTEN}}},
    {"tcp6.reuseport.other_euid.second",
     "R5",
     Proto::tcp,
     {{kSrv6, RP | LISTEN}, {kSrv6, RP | UID2 | LISTEN}}},
    {"tcp6.reuseport.second_only", "R5", Proto::tcp, {{kSrv6, LISTEN}, {kSrv6, RP | LISTEN}}},
    {"udp4.reuseport.both", "R5", Proto::udp, {{kSrv4, RP}, {kSrv4, RP}}},
    {"udp4.reuseport.both.any", "R5", Proto::udp, {{kAny4, RP}, {kAny4, RP}}},
    {"udp4.reuseport.first_only", "R5", Proto::udp, {{kSrv4, RP}, {kSrv4, 0}}},
    {"udp4.reuseport.second_only", "R5", Proto::udp, {{kSrv4, 0}, {kSrv4, RP}}},
    {"udp4.reuseport.other_euid.first", "R5", Proto::udp, {{kSrv4, RP | UID2}, {kSrv4, RP}}},
    {"udp4.reuseport.other_euid.second", "R5", Proto::udp, {{kSrv4, RP}, {kSrv4, RP | UID2}}},
    {"udp6.reuseport.both", "R5", Proto::udp, {{kSrv6, RP}, {kSrv6, RP}}},
    {"udp6.reuseport.other_euid.second", "R5", Proto::udp, {{kSrv6, RP}, {kSrv6, RP | UID2}}},
    {"udp6.reuseport.second_only", "R5", Proto::udp, {{kSrv6, 0}, {kSrv6, RP}}},
});

}  // namespace
}  // namespace sr
