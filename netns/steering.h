// Receive packet steering (RPS and RFS) of this namespace's devices. With it
// off, a device processes every packet it receives on the CPU that sent it
// into the veth, in the order sent: the ordering the UDP delivery method's
// fence datagram relies on (fixtures/delivery.h). The knobs exist only in
// sysfs, and sysfs shows the devices of the network namespace that mounted
// it, so each call mounts a sysfs for the calling thread's namespace, in a
// mount namespace private to this process (never visible on the host).
#pragma once

#include <string>
#include <vector>

namespace sr {

// Turns RPS and RFS off on every receive queue of each device (a no-op for a
// queue where both are off already). Returns false when one is on and cannot
// be turned off here: writing needs CAP_NET_ADMIN in the initial user
// namespace, which unprivileged mode lacks.
bool steering_off(const std::vector<std::string>& devs);

// True when RPS and RFS are off on every receive queue of each device.
bool steering_is_off(const std::vector<std::string>& devs);

}  // namespace sr
