#include "explore/input.h"

#include <algorithm>
#include <sstream>
#include <stdexcept>

namespace sr::explore {
namespace {

template <typename T>
const T& by_name(const std::vector<T>& list, const std::string& name, const char* what) {
  auto it = std::find_if(list.begin(), list.end(), [&](const T& v) { return v.name == name; });
  if (it == list.end())
    throw std::runtime_error(std::string("unknown ") + what + " '" + name + "'");
  return *it;
}

template <typename E, size_t N>
E enum_of(const std::string& word, const std::array<const char*, N>& names, const char* what) {
  for (size_t i = 0; i < N; ++i)
    if (word == names[i]) return static_cast<E>(i);
  throw std::runtime_error(std::string("unknown ") + what + " '" + word + "'");
}

constexpr std::array<const char*, 2> kProtos{"tcp", "udp"};
constexpr std::array<const char*, 5> kStates{"bound", "listen", "timewait", "established",
                                             "connected"};
constexpr std::array<const char*, 3> kWhens{"before", "after", "cleared"};
constexpr std::array<const char*, 4> kChanges{"none", "ra", "rp", "dev"};

SockSpec spec(const Input& in, const std::string& a, const std::string& o, const std::string& d) {
  SockSpec s;
  s.addr = &by_name(in.addrs, a, "address");
  s.opts = &by_name(in.opts, o, "options");
  s.dev = &by_name(in.devs, d, "device");
  s.dev_index = static_cast<size_t>(s.dev - in.devs.data());
  if (s.dev_index > 2) throw std::runtime_error("a device beyond the third has no target column");
  return s;
}

Seq triple_of(const Input& in, std::istringstream& ws) {
  Seq s;
  s.triple = true;
  std::string w[15];
  ws >> s.index;
  for (std::string& x : w) ws >> x;
  if (!ws) throw std::runtime_error("a tri line needs an index and 15 values");
  s.proto = enum_of<Proto>(w[0], kProtos, "proto");
  s.state = enum_of<State>(w[1], kStates, "state");
  s.first = spec(in, w[2], w[3], w[4]);
  s.state2 = enum_of<State>(w[5], kStates, "state2");
  s.second = spec(in, w[6], w[7], w[8]);
  s.euid = by_name(in.euids, w[9], "euid").uid;
  s.change = enum_of<Change>(w[10], kChanges, "change");
  s.third = spec(in, w[11], w[12], w[13]);
  s.euid3 = by_name(in.euids, w[14], "euid3").uid;
  return s;
}

void parse_line(Input& in, const std::string& line) {
  std::istringstream ws(line);
  std::string kind;
  ws >> kind;
  // Sequences point into the legend's lists, which must not grow after them.
  if (!in.seqs.empty() && kind != "seq" && kind != "tri" && !kind.empty() && kind[0] != '#')
    throw std::runtime_error("legend line after the first sequence");
  if (kind == "addr") {
    AddrValue v;
    std::string ip, t[3], p[3];
    ws >> v.name >> ip >> v.v6only >> t[0] >> t[1] >> t[2] >> p[0] >> p[1] >> p[2];
    if (!ws) throw std::runtime_error("an addr line needs 9 fields");
    v.addr = make_addr(ip, 0);
    for (size_t i = 0; i < 3; ++i) {
      v.target.at(i) = make_addr(t[i], 0);
      v.peer.at(i) = make_addr(p[i], 9);
    }
    in.addrs.push_back(v);
  } else if (kind == "opts") {
    OptsValue v;
    int ra = 0, rp = 0;
    ws >> v.name >> ra >> rp;
    if (!ws) throw std::runtime_error("an opts line needs 3 fields");
    v.reuseaddr = ra != 0;
    v.reuseport = rp != 0;
    in.opts.push_back(v);
  } else if (kind == "dev") {
    DevValue v;
    ws >> v.name >> v.ifname;
    if (!ws) throw std::runtime_error("a dev line needs 2 fields");
    if (v.ifname == "-") v.ifname.clear();
    in.devs.push_back(v);
  } else if (kind == "euid") {
    EuidValue v;
    ws >> v.name >> v.uid;
    if (!ws) throw std::runtime_error("a euid line needs 2 fields");
    in.euids.push_back(v);
  } else if (kind == "seq") {
    Seq s;
    std::string w[10];
    ws >> s.index;
    for (std::string& x : w) ws >> x;
    if (!ws) throw std::runtime_error("a seq line needs an index and 10 values");
    s.proto = enum_of<Proto>(w[0], kProtos, "proto");
    s.state = enum_of<State>(w[1], kStates, "state");
    s.when = enum_of<When>(w[2], kWhens, "when");
    s.first = spec(in, w[3], w[4], w[5]);
    s.second = spec(in, w[6], w[7], w[8]);
    s.euid = by_name(in.euids, w[9], "euid").uid;
    in.seqs.push_back(s);
  } else if (kind == "tri") {
    in.seqs.push_back(triple_of(in, ws));
  } else if (!kind.empty() && kind[0] != '#') {
    throw std::runtime_error("unknown line kind '" + kind + "'");
  }
}

}  // namespace

Input read_input(std::istream& in) {
  Input out;
  std::string line;
  long n = 0;
  while (std::getline(in, line)) {
    ++n;
    try {
      parse_line(out, line);
    } catch (const std::exception& e) {
      throw std::runtime_error("input line " + std::to_string(n) + ": " + e.what());
    }
  }
  return out;
}

}  // namespace sr::explore
