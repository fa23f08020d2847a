// sockreuse_explore: runs explorer sequences (explore/input.h) in shards,
// one process and one topology each, and writes one line per sequence:
//   <index> TAB <status ok|error|skip> TAB <token> TAB <control> TAB <detail>
// in no particular order. It judges nothing: sockreuse/explore/driver.py compares.
//
//   sockreuse_explore --input FILE --output FILE [--shards N]
#include <signal.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <string>
#include <vector>

#include "explore/input.h"
#include "explore/shard.h"

namespace {

int usage(const char* msg) {
  (void)std::fprintf(stderr,
                     "sockreuse: %s (usage: sockreuse_explore --input FILE --output FILE "
                     "[--shards N])\n",
                     msg);
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  pid_t parent = getppid();
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (getppid() != parent) return 3;
  std::string input_path, output_path;
  long shards = 1;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (i + 1 >= argc) return usage(("missing value for " + a).c_str());
    if (a == "--input") {
      input_path = argv[++i];
    } else if (a == "--output") {
      output_path = argv[++i];
    } else if (a == "--shards") {
      shards = std::strtol(argv[++i], nullptr, 10);
      if (shards < 1 || shards > 64) return usage("--shards wants 1 to 64");
    } else {
      return usage(("unknown option " + a).c_str());
    }
  }
  if (input_path.empty() || output_path.empty()) return usage("--input and --output are needed");

  sr::explore::Input input;
  try {
    std::ifstream in(input_path);
    if (!in) return usage(("cannot read " + input_path).c_str());
    input = sr::explore::read_input(in);
  } catch (const std::exception& e) {
    (void)std::fprintf(stderr, "sockreuse: %s: %s\n", input_path.c_str(), e.what());
    return 2;
  }
  auto n = static_cast<size_t>(shards);
  // Shared with the shards: each counts the sequences it has run.
  void* mem = mmap(nullptr, sizeof(std::atomic<long>) * n, PROT_READ | PROT_WRITE,
                   MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (mem == MAP_FAILED) {
    std::perror("sockreuse: mmap");
    return 2;
  }
  auto* done = static_cast<std::atomic<long>*>(mem);
  std::vector<sr::explore::ShardPlan> plans(n);
  for (size_t s = 0; s < n; ++s) {
    new (&done[s]) std::atomic<long>(0);
    plans[s].input = &input;
    plans[s].out_path = output_path + ".shard" + std::to_string(s);
    plans[s].done = &done[s];
  }
  for (size_t i = 0; i < input.seqs.size(); ++i) plans[i % n].seqs.push_back(i);

  std::vector<pid_t> pids;
  for (size_t s = 0; s < n; ++s) {
    pid_t me = getpid();
    pid_t pid = fork();
    if (pid < 0) {
      std::perror("sockreuse: fork");
      return 2;
    }
    if (pid == 0) {
      prctl(PR_SET_PDEATHSIG, SIGKILL);
      if (getppid() != me) _exit(3);
      _exit(sr::explore::run_shard(plans[s]));
    }
    pids.push_back(pid);
  }
  auto t0 = std::chrono::steady_clock::now();
  auto last = t0;
  int failed = 0;
  size_t running = pids.size();
  while (running > 0) {
    for (pid_t& pid : pids) {
      int st = 0;
      if (pid <= 0 || waitpid(pid, &st, WNOHANG) != pid) continue;
      if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) failed = WIFEXITED(st) ? WEXITSTATUS(st) : 3;
      pid = 0;
      --running;
    }
    auto now = std::chrono::steady_clock::now();
    if (now - last >= std::chrono::seconds(5) || running == 0) {
      last = now;
      long total = 0;
      for (size_t s = 0; s < n; ++s) total += done[s].load(std::memory_order_relaxed);
      (void)std::fprintf(stderr, "sockreuse: explorer %ld/%zu sequences, %.1f s\n", total,
                         input.seqs.size(), std::chrono::duration<double>(now - t0).count());
    }
    if (running > 0) {
      timespec ts{0, 20L * 1000 * 1000};  // progress only: the shards are what waits
      nanosleep(&ts, nullptr);
    }
  }
  if (failed) {
    (void)std::fprintf(stderr, "sockreuse: an explorer shard failed (exit %d)\n", failed);
    return failed;
  }
  std::ofstream out(output_path);
  for (const sr::explore::ShardPlan& p : plans) {
    std::ifstream in(p.out_path);
    // Copying an empty stream (a shard with nothing to run) would fail `out`.
    if (in.peek() != std::ifstream::traits_type::eof()) out << in.rdbuf();
    in.close();
    (void)std::remove(p.out_path.c_str());
  }
  return out ? 0 : 2;
}
