// Errors that carry errno and the context they happened in, so a harness
// failure reads like "bind 198.51.100.1:8888: Address already in use".
#pragma once

#include <stdexcept>
#include <string>

namespace sr {

class SysError : public std::runtime_error {
 public:
  SysError(const std::string& what, int err);
  int err() const { return err_; }

 private:
  int err_;
};

// A libnl failure; code() is libnl's NLE_* number (see <netlink/errno.h>).
class NlError : public std::runtime_error {
 public:
  NlError(const std::string& what, int code);
  int code() const { return code_; }

 private:
  int code_;
};

// Throws SysError(what, errno) when rc < 0; returns rc otherwise.
int check(int rc, const std::string& what);

// "EADDRINUSE" for EADDRINUSE; "E<number>" if the C library has no name.
std::string errno_name(int err);

}  // namespace sr
