// Bounded waits on a condition. Every wait in the project uses one bound,
// wait_bound(), so a slow machine (a loaded host, a guest under TCG) is
// handled by one knob, SOCKREUSE_WAIT_SCALE, not by constants in many files.
#pragma once

#include <chrono>
#include <functional>
#include <stdexcept>
#include <string>

namespace sr {

// The base bound, before scaling: generous, since a wait that is satisfied
// returns as soon as it is, and only a broken harness ever waits it out.
constexpr std::chrono::milliseconds kBaseWaitBound{10000};

// kBaseWaitBound times SOCKREUSE_WAIT_SCALE (a positive number; default 1).
// Throws std::invalid_argument naming the variable when it is malformed.
std::chrono::milliseconds wait_bound();

// "10 s", "250 ms": a bound as people read it.
std::string bound_text(std::chrono::milliseconds bound);

// A harness wait that ran out of time. The case then ends as an `error` that
// says what it waited for, never as an outcome word: a time-out proves
// nothing about the kernel.
class WaitTimeout : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Polls pred until it is true or `bound` passes; returns pred's last value.
bool wait_until(const std::function<bool()>& pred, std::chrono::milliseconds bound);

// Waits up to wait_bound() for pred; throws WaitTimeout("waited 10 s for
// <what>") when it is still false. `what` is called only then, so it can
// describe the state the wait ended in.
void wait_for(const std::function<bool()>& pred, const std::function<std::string()>& what);
void wait_for(const std::function<bool()>& pred, const std::string& what);

// Waits up to wait_bound() until `fd` is readable (or has an error); throws
// WaitTimeout naming `what` otherwise.
void wait_readable(int fd, const std::string& what);

}  // namespace sr
