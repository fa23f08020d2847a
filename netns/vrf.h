// VRF devices over libnl, for the cases that put a link into a VRF. Like
// Rtnl, each call talks to the namespace that is current when it is made.
#pragma once

#include <cstdint>
#include <string>

namespace sr {

// Creates the VRF device `name` for routing table `table` and sets it up.
// Throws NlError; code() is NLE_OPNOTSUPP when the kernel has no VRF support
// (CONFIG_NET_VRF), which a case turns into a skip.
void add_vrf(const std::string& name, uint32_t table);

// Enslaves `dev` to `master`. The kernel cycles dev down and up to move its
// routes into the master's table, which also drops dev's neighbour entries
// (permanent ones too) and, by default, its IPv6 addresses.
void set_master(const std::string& dev, const std::string& master);

// The name of dev's master, or "" when it has none.
std::string master_of(const std::string& dev);

// The routing table of VRF device `name`; throws if it is not a VRF.
uint32_t vrf_table(const std::string& name);

}  // namespace sr
