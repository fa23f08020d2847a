#include "netns/error.h"

#include <netlink/errno.h>

#include <cerrno>
#include <cstring>
#include <system_error>

namespace sr {

SysError::SysError(const std::string& what, int err)
    : std::runtime_error(what + ": " + std::generic_category().message(err) + " (" +
                         errno_name(err) + ")"),
      err_(err) {}

NlError::NlError(const std::string& what, int code)
    : std::runtime_error(what + ": " + nl_geterror(code)), code_(code) {}

int check(int rc, const std::string& what) {
  if (rc < 0) throw SysError(what, errno);
  return rc;
}

std::string errno_name(int err) {
  if (err == 0) return "ok";
  const char* name = strerrorname_np(err);
  return name ? name : "E" + std::to_string(err);
}

}  // namespace sr
