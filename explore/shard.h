// A shard: one process with its own two-host topology that runs its share of
// the sequences one after another, each on a port of its own. A port is
// never used twice in one topology; when the ports run out, or before the
// oldest TIME_WAIT could expire (60 s), the shard confirms over inet_diag
// that every TIME_WAIT it made is still there and moves to a fresh topology.
#pragma once

#include <atomic>
#include <string>
#include <vector>

#include "explore/input.h"

namespace sr::explore {

// Ports for sequences; the server namespace's ephemeral range (clients over
// loopback) lies above them.
constexpr int kFirstPort = 10000;
constexpr int kLastPort = 60999;
constexpr const char* kEphemeralRange = "61000 65535";
// A topology is left well before its first TIME_WAIT could expire.
constexpr int kTopologySeconds = 40;

struct ShardPlan {
  const Input* input = nullptr;
  std::vector<size_t> seqs;           // indexes into input->seqs, run in this order
  std::string out_path;               // one line per sequence (explore/main.cc)
  std::atomic<long>* done = nullptr;  // progress, shared with the parent
};

// Runs the plan in the calling process, which must be a fresh child: it
// leaves the host's network namespace first. Returns the exit status.
int run_shard(const ShardPlan& plan);

}  // namespace sr::explore
