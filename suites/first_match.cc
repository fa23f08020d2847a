// R5 with three UDP sockets [first_match]: udp_lib_lport_inuse() walks the
// port's sockets (IPv4 ones newest first, IPv6 SO_REUSEPORT ones at the end)
// and returns "free" at the first overlapping socket that SO_REUSEPORT lets
// the newcomer share with (both set it, same EUID), without looking at the
// sockets behind it. The source says any such socket stops the walk, whatever
// its device, address or SO_REUSEADDR; some builds stop only at one whose
// group the newcomer joins (feature udp_first_match_group_only). Each row's
// third socket overlaps a socket it may not share with; the rows vary what
// sits in front of it.
#include "fixtures/sequence.h"

namespace sr {
namespace {

const bool registered = add_bind_cases({
    // The socket in front is in another group (device s1, the newcomer none).
    {"udp4.first_match.s0_then_s1_reuseport_then_reuseport",
     "R5",
     Proto::udp,
     {{kAny4, DEV_S0}, {kAny4, DEV_S1 | RP}, {kAny4, RP}}},
    // Bound the other way round, the blocker is met first.
    {"udp4.first_match.s1_reuseport_then_s0_then_reuseport",
     "R5",
     Proto::udp,
     {{kAny4, DEV_S1 | RP}, {kAny4, DEV_S0}, {kAny4, RP}}},
    // The socket in front joins the newcomer's group: every build admits it.
    {"udp4.first_match.s0_then_s1_reuseport_then_s1_reuseport",
     "R5",
     Proto::udp,
     {{kAny4, DEV_S0}, {kAny4, DEV_S1 | RP}, {kAny4, DEV_S1 | RP}}},
    // The socket in front also sets SO_REUSEADDR, which the newcomer lacks.
    {"udp4.first_match.reuseaddr_then_both_then_reuseport",
     "R5",
     Proto::udp,
     {{kAny4, RA}, {kAny4, RA | RP}, {kAny4, RP}}},
    // The blocker behind has SO_REUSEPORT too, under another EUID.
    {"udp4.first_match.other_euid_s0_then_s1_reuseport_then_reuseport",
     "R5",
     Proto::udp,
     {{kAny4, DEV_S0 | RP | UID2}, {kAny4, DEV_S1 | RP}, {kAny4, RP}}},
    // IPv6: the SO_REUSEPORT socket goes to the end of the list, behind the blocker.
    {"udp6.first_match.s0_then_s1_reuseport_then_reuseport",
     "R5",
     Proto::udp,
     {{kAny6, DEV_S0}, {kAny6, DEV_S1 | RP}, {kAny6, RP}}},
});

}  // namespace
}  // namespace sr
