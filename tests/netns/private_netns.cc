// Every netns/ unit test runs in a network namespace of its own, made before
// the first test, so nothing here can touch the host's interfaces or sysctls.
#include <gtest/gtest.h>
#include <sched.h>

#include <cstdio>
#include <cstdlib>

namespace {

class PrivateNetns : public testing::Environment {
 public:
  void SetUp() override {
    if (unshare(CLONE_NEWNET) != 0) {
      std::perror("netns_tests: unshare(CLONE_NEWNET) (run as root)");
      std::exit(2);  // NOLINT(concurrency-mt-unsafe): start-up, one thread
    }
  }
};

const auto* const env = testing::AddGlobalTestEnvironment(new PrivateNetns);

}  // namespace
