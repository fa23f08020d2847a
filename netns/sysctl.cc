#include "netns/sysctl.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

#include "netns/error.h"
#include "netns/fd.h"

namespace sr {

std::string sysctl_path(const std::string& key) {
  std::string path = "/proc/sys/" + key;
  std::replace(path.begin() + 10, path.end(), '.', '/');
  return path;
}

std::optional<std::string> read_sysctl(const std::string& key) {
  UniqueFd fd(::open(sysctl_path(key).c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) {
    if (errno == ENOENT) return std::nullopt;
    throw SysError("open " + sysctl_path(key), errno);
  }
  char buf[256];
  ssize_t n = check(static_cast<int>(::read(fd.get(), buf, sizeof buf)), "read " + key);
  std::string value(buf, static_cast<size_t>(n));
  while (!value.empty() && (value.back() == '\n' || value.back() == ' ')) value.pop_back();
  return value;
}

void write_sysctl(const std::string& key, const std::string& value) {
  UniqueFd fd(check(::open(sysctl_path(key).c_str(), O_WRONLY | O_CLOEXEC), "open " + key));
  ssize_t n = ::write(fd.get(), value.data(), value.size());
  if (n != static_cast<ssize_t>(value.size())) throw SysError("write " + key + "=" + value, errno);
}

}  // namespace sr
