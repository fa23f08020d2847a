// sysctls of the calling thread's network namespace. /proc/sys/net resolves
// the namespace at open() time, so these never touch the host's values once
// the caller is inside a case's namespace.
#pragma once

#include <optional>
#include <string>

namespace sr {

// "net.ipv4.tcp_migrate_req" -> "/proc/sys/net/ipv4/tcp_migrate_req".
std::string sysctl_path(const std::string& key);
// The value without its trailing newline, or nullopt if the kernel has no such sysctl.
std::optional<std::string> read_sysctl(const std::string& key);
// Throws SysError (ENOENT when the kernel lacks the sysctl).
void write_sysctl(const std::string& key, const std::string& value);

}  // namespace sr
