// A three-socket explorer sequence (explore/space.yaml, `triples`): socket 1
// brought to its state, socket 2 bound on the same port and brought to
// state2, socket 1's change (an option or its device cleared), then socket
// 3's bind() (and, for TCP, listen()). The outcome is socket 3's, or the
// earlier socket's that failed ("sock1.", "sock2." tokens).
#pragma once

#include <cstdint>

#include "explore/input.h"
#include "explore/sequence.h"
#include "fixtures/topology.h"

namespace sr::explore {

// May throw (run_sequence turns that into an error result).
SeqResult run_triple(const Seq& s, uint16_t port, const Topology& topo);

}  // namespace sr::explore
