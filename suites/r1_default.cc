// R1: without any option an address:port in use gives EADDRINUSE — for the
// same address, for wildcard against wildcard, and when only one of the two
// sockets asked for reuse.
#include "fixtures/sequence.h"

namespace sr {
namespace {

const bool registered = add_bind_cases({
    {"tcp4.default.same_addr", "R1", Proto::tcp, {{kSrv4, 0}, {kSrv4, 0}}},
    {"tcp4.default.same_addr.listening", "R1", Proto::tcp, {{kSrv4, LISTEN}, {kSrv4, 0}}},
    {"tcp4.default.any_any", "R1", Proto::tcp, {{kAny4, 0}, {kAny4, 0}}},
    {"tcp6.default.same_addr", "R1", Proto::tcp, {{kSrv6, 0}, {kSrv6, 0}}},
    {"tcp6.default.any_any", "R1", Proto::tcp, {{kAny6, 0}, {kAny6, 0}}},
    {"udp4.default.same_addr", "R1", Proto::udp, {{kSrv4, 0}, {kSrv4, 0}}},
    {"udp4.default.any_any", "R1", Proto::udp, {{kAny4, 0}, {kAny4, 0}}},
    {"udp6.default.same_addr", "R1", Proto::udp, {{kSrv6, 0}, {kSrv6, 0}}},
    {"udp6.default.any_any", "R1", Proto::udp, {{kAny6, 0}, {kAny6, 0}}},
    {"tcp4.default.loopback", "R1", Proto::tcp, {{kLo4, 0}, {kLo4, 0}}},
    {"tcp6.default.loopback", "R1", Proto::tcp, {{kLo6, 0}, {kLo6, 0}}},
    // Reuse has to be asked for by both sockets.
    {"tcp4.default.reuseaddr_first_only", "R1", Proto::tcp, {{kSrv4, RA}, {kSrv4, 0}}},
    {"tcp4.default.reuseaddr_second_only", "R1", Proto::tcp, {{kSrv4, 0}, {kSrv4, RA}}},
    {"udp4.default.reuseaddr_first_only", "R1", Proto::udp, {{kSrv4, RA}, {kSrv4, 0}}},
    {"udp4.default.reuseaddr_second_only", "R1", Proto::udp, {{kSrv4, 0}, {kSrv4, RA}}},
    {"udp6.default.reuseaddr_second_only", "R1", Proto::udp, {{kSrv6, 0}, {kSrv6, RA}}},
    // A different port is never a conflict: the control for every row above.
    {"tcp4.default.fresh_port_control", "R1", Proto::tcp, {{kSrv4, 0}}},
});

}  // namespace
}  // namespace sr
