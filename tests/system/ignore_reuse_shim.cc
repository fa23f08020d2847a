// LD_PRELOAD shim for a self-test: makes setsockopt(SO_REUSEADDR) and
// setsockopt(SO_REUSEPORT) report success without reaching the kernel. A suite
// whose verdicts come from real syscalls must then fail the cases that depend
// on those options. Never loaded by a normal run.
#include <dlfcn.h>
#include <sys/socket.h>

#include <cstdlib>
#include <cstring>

namespace {

using SetsockoptFn = int (*)(int, int, int, const void*, socklen_t);

bool ignored(int level, int name) {
  // "reuseaddr", "reuseport" or both; read per call so a test can change it.
  const char* which = std::getenv("SOCKREUSE_IGNORE");  // NOLINT(concurrency-mt-unsafe)
  if (level != SOL_SOCKET || !which) return false;
  return (name == SO_REUSEADDR && std::strstr(which, "reuseaddr")) ||
         (name == SO_REUSEPORT && std::strstr(which, "reuseport"));
}

}  // namespace

extern "C" int setsockopt(int fd, int level, int name, const void* value, socklen_t len) {
  if (ignored(level, name)) return 0;
  static auto real = reinterpret_cast<SetsockoptFn>(dlsym(RTLD_NEXT, "setsockopt"));
  return real(fd, level, name, value, len);
}
