// The suite binary: a GoogleTest program whose tests are the registered cases.
// --list-cases prints the case catalogue for the runner instead of running.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>

#include "fixtures/case.h"
#include "fixtures/report.h"

int main(int argc, char** argv) {
  // A runner killed with SIGKILL must not leave this process (and through
  // it, case processes) running on the host.
  pid_t parent = getppid();
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (getppid() != parent) return 3;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--list-cases") == 0) {
      for (const sr::CaseDef& def : sr::all_cases()) sr::print_case_entry(stdout, def);
      return 0;
    }
  }
  testing::InitGoogleTest(&argc, argv);
  sr::register_with_gtest();
  sr::install_recording_printer();
  return RUN_ALL_TESTS();
}
