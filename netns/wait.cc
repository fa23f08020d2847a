#include "netns/wait.h"

#include <poll.h>
#include <time.h>

#include <cerrno>
#include <cmath>
#include <cstdlib>

namespace sr {

std::chrono::milliseconds wait_bound() {
  static const std::chrono::milliseconds bound = [] {
    const char* text = std::getenv("SOCKREUSE_WAIT_SCALE");  // NOLINT(concurrency-mt-unsafe)
    if (!text || !*text) return kBaseWaitBound;
    char* end = nullptr;
    double scale = std::strtod(text, &end);
    if (*end != '\0' || !std::isfinite(scale) || scale <= 0)
      throw std::invalid_argument(std::string("SOCKREUSE_WAIT_SCALE='") + text +
                                  "' is not a positive number");
    auto ms = static_cast<long long>(static_cast<double>(kBaseWaitBound.count()) * scale);
    return std::chrono::milliseconds(ms < 1 ? 1 : ms);
  }();
  return bound;
}

std::string bound_text(std::chrono::milliseconds bound) {
  if (bound.count() % 1000 == 0) return std::to_string(bound.count() / 1000) + " s";
  return std::to_string(bound.count()) + " ms";
}

bool wait_until(const std::function<bool()>& pred, std::chrono::milliseconds bound) {
  auto deadline = std::chrono::steady_clock::now() + bound;
  long pause_us = 50;
  for (;;) {
    if (pred()) return true;
    if (std::chrono::steady_clock::now() >= deadline) return pred();
    timespec ts{0, pause_us * 1000};
    nanosleep(&ts, nullptr);
    if (pause_us < 2000) pause_us *= 2;
  }
}

void wait_for(const std::function<bool()>& pred, const std::function<std::string()>& what) {
  std::chrono::milliseconds bound = wait_bound();
  if (!wait_until(pred, bound)) throw WaitTimeout("waited " + bound_text(bound) + " for " + what());
}

void wait_for(const std::function<bool()>& pred, const std::string& what) {
  wait_for(pred, [&what] { return what; });
}

void wait_readable(int fd, const std::string& what) {
  std::chrono::milliseconds bound = wait_bound();
  pollfd p{fd, POLLIN, 0};
  int n;
  while ((n = poll(&p, 1, static_cast<int>(bound.count()))) < 0 && errno == EINTR) {
  }
  if (n <= 0) throw WaitTimeout("waited " + bound_text(bound) + " for " + what);
}

}  // namespace sr
