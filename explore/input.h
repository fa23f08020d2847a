// The executor's input: what each value of the space means concretely (the
// legend, written by explore/explorer/space.py from explore/space.yaml) and
// the sequences to run, one per line. The executor's code holds no value of
// the space; only the meaning of each dimension (proto, state, when, ...).
//
//   addr <name> <ip> <v6only> <target none> <target s0> <target s1> <peer none> <peer s0> <peer s1>
//   opts <name> <reuseaddr 0|1> <reuseport 0|1>
//   dev  <name> <ifname or ->
//   euid <name> <uid>
//   seq  <index> <proto> <state> <when> <a1> <o1> <d1> <a2> <o2> <d2> <euid>
//   tri  <index> <proto> <state> <a1> <o1> <d1> <state2> <a2> <o2> <d2> <euid>
//        <change> <a3> <o3> <d3> <euid3>      (one line: a three-socket sequence)
#pragma once

#include <sys/types.h>

#include <array>
#include <istream>
#include <string>
#include <vector>

#include "fixtures/address.h"

namespace sr::explore {

enum class Proto { tcp, udp };
enum class State { bound, listen, timewait, established, connected };
enum class When { before, after, cleared };
// What socket 1 of a triple clears once socket 2 reached its state.
enum class Change { none, reuseaddr, reuseport, device };

struct AddrValue {
  std::string name;
  SockAddr addr;  // port 0; the shard sets each sequence's port
  int v6only = -1;
  // Per device of the socket, in the order none, s0, s1.
  std::array<SockAddr, 3> target{};
  std::array<SockAddr, 3> peer{};
};

struct OptsValue {
  std::string name;
  bool reuseaddr = false;
  bool reuseport = false;
};

struct DevValue {
  std::string name;
  std::string ifname;  // empty: no device
};

struct EuidValue {
  std::string name;
  uid_t uid = 0;
};

struct SockSpec {
  const AddrValue* addr = nullptr;
  const OptsValue* opts = nullptr;
  const DevValue* dev = nullptr;
  size_t dev_index = 0;  // 0 none, 1 s0, 2 s1: which target/peer column applies
};

struct Seq {
  long index = 0;
  Proto proto = Proto::tcp;
  State state = State::bound;
  When when = When::before;
  SockSpec first;
  SockSpec second;
  uid_t euid = 0;
  // A triple (explore/triple.h): socket 2's state, socket 1's change, socket 3.
  bool triple = false;
  State state2 = State::bound;
  Change change = Change::none;
  SockSpec third;
  uid_t euid3 = 0;
};

struct Input {
  std::vector<AddrValue> addrs;
  std::vector<OptsValue> opts;
  std::vector<DevValue> devs;
  std::vector<EuidValue> euids;
  std::vector<Seq> seqs;
};

// Throws std::runtime_error naming the line for anything malformed.
Input read_input(std::istream& in);

}  // namespace sr::explore
