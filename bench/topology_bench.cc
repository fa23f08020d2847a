// Per-case topology cost with netns/: each iteration forks a process that
// leaves the host's namespace, builds the topology and exits, as a case
// does. Usage: topology_bench [N] [two_hosts|server_only]. Prints one wall
// time in ms per line.
#include <sched.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>

#include "fixtures/topology.h"

int main(int argc, char** argv) {
  int n = argc > 1 ? static_cast<int>(std::strtol(argv[1], nullptr, 10)) : 50;
  sr::Shape shape = sr::Shape::two_hosts;
  if (argc > 2 && std::strcmp(argv[2], sr::shape_name(sr::Shape::server_only)) == 0)
    shape = sr::Shape::server_only;
  else if (argc > 2 && std::strcmp(argv[2], sr::shape_name(shape)) != 0)
    return (void)std::fprintf(stderr, "topology_bench: unknown shape %s\n", argv[2]), 2;
  for (int i = 0; i < n; ++i) {
    auto t0 = std::chrono::steady_clock::now();
    pid_t pid = fork();
    if (pid == 0) {
      prctl(PR_SET_PDEATHSIG, SIGKILL);
      if (unshare(CLONE_NEWNET) != 0) _exit(2);
      try {
        sr::Topology::build(shape);
      } catch (const std::exception& e) {
        (void)std::fprintf(stderr, "topology_bench: %s\n", e.what());
        _exit(1);
      }
      _exit(0);
    }
    int status = 0;
    waitpid(pid, &status, 0);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) return 1;
    std::printf(
        "%.3f\n",
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
  }
  return 0;
}
