// One explorer sequence: the first socket brought to its state, the second
// socket's bind() (and, for TCP, listen()) on the same port, every socket
// closed before it returns. The outcome is a token of results/vocabulary.yaml.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "explore/input.h"
#include "fixtures/topology.h"

namespace sr::explore {

struct SeqResult {
  std::string status = "ok";  // "ok", "error" (the harness broke) or "skip"
  std::string token;
  std::string control;    // for a conflict: the same call with the blocker gone
  std::string detail;     // for an error or a skip
  bool timewait = false;  // the sequence left a TIME_WAIT on its port (checked later)
  bool lingered = false;  // refused by a socket it had closed, still bound (explore/holders.h)
};

// Runs s on `port` in the current (server) namespace of topo. Never throws:
// a harness failure becomes status "error" with the reason.
SeqResult run_sequence(const Seq& s, uint16_t port, const Topology& topo);

}  // namespace sr::explore
