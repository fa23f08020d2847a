// Anonymous network namespaces held by file descriptors. Nothing is mounted
// under /run/netns, so a namespace lives exactly as long as its fd or the
// processes inside it: a killed run cannot leave one behind on the host.
#pragma once

#include "netns/fd.h"

namespace sr {

class NetNs {
 public:
  // A fresh namespace; the calling thread stays where it was.
  static NetNs create();
  // The calling thread's current namespace.
  static NetNs current();

  int fd() const { return fd_.get(); }

 private:
  explicit NetNs(UniqueFd fd) : fd_(std::move(fd)) {}
  UniqueFd fd_;
};

// Enters a namespace for the guard's lifetime and returns to the previous one.
class InNs {
 public:
  explicit InNs(const NetNs& ns);
  ~InNs();
  InNs(const InNs&) = delete;
  InNs& operator=(const InNs&) = delete;

 private:
  NetNs prev_;
};

// Moves the calling thread into ns for good (used once per case process).
void enter(const NetNs& ns);

}  // namespace sr
