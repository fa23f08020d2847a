#include "netns/steering.h"

#include <dirent.h>
#include <fcntl.h>
#include <sched.h>
#include <sys/mount.h>
#include <unistd.h>

#include <cerrno>
#include <functional>
#include <memory>
#include <optional>

#include "netns/error.h"
#include "netns/fd.h"

namespace sr {
namespace {

// Once per process: the sysfs mounts below must never propagate to the
// mount namespace this process came from.
void private_mount_namespace() {
  static bool done = false;
  if (done) return;
  check(::unshare(CLONE_NEWNS), "unshare(CLONE_NEWNS)");
  if (::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0)
    check(::mount(nullptr, "/sys", nullptr, MS_REC | MS_PRIVATE, nullptr),
          "make the /sys mount private");
  done = true;
}

// A sysfs of the calling thread's network namespace over /sys, for the
// object's lifetime.
class SysfsHere {
 public:
  SysfsHere() {
    private_mount_namespace();
    check(::mount("sysfs", "/sys", "sysfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, nullptr),
          "mount a sysfs for this network namespace");
  }
  ~SysfsHere() { ::umount2("/sys", MNT_DETACH); }
  SysfsHere(const SysfsHere&) = delete;
  SysfsHere& operator=(const SysfsHere&) = delete;
};

// nullopt when the kernel lacks the knob (built without RPS or RFS: off).
std::optional<std::string> read_file(const std::string& path) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) {
    if (errno == ENOENT) return std::nullopt;
    throw SysError("open " + path, errno);
  }
  char buf[256];
  ssize_t n = ::read(fd.get(), buf, sizeof buf);
  if (n < 0) throw SysError("read " + path, errno);
  return std::string(buf, static_cast<size_t>(n));
}

bool write_file(const std::string& path, const std::string& value) {
  UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CLOEXEC));
  return fd && ::write(fd.get(), value.data(), value.size()) == static_cast<ssize_t>(value.size());
}

// "00000000,00000000\n" and "0\n" are off.
bool all_zero(const std::string& text) {
  for (char c : text)
    if (c != '0' && c != ',' && c != '\n') return false;
  return true;
}

std::vector<std::string> rx_queues(const std::string& dev) {
  std::string dir = "/sys/class/net/" + dev + "/queues";
  std::unique_ptr<DIR, int (*)(DIR*)> d(::opendir(dir.c_str()), ::closedir);
  if (!d) throw SysError("opendir " + dir, errno);
  std::vector<std::string> out;
  // readdir is safe on a stream no other thread sees. NOLINTNEXTLINE(concurrency-mt-unsafe)
  while (dirent* e = ::readdir(d.get()))
    if (std::string(e->d_name).rfind("rx-", 0) == 0) out.push_back(dir + "/" + e->d_name);
  return out;
}

// Visits every steering knob of the devices until visit returns false.
bool each_knob(
    const std::vector<std::string>& devs,
    const std::function<bool(const std::string& path, const std::string& value)>& visit) {
  SysfsHere sysfs;
  for (const std::string& dev : devs)
    for (const std::string& queue : rx_queues(dev))
      for (const char* knob : {"/rps_cpus", "/rps_flow_cnt"}) {
        std::string path = queue + knob;
        std::optional<std::string> value = read_file(path);
        if (value && !visit(path, *value)) return false;
      }
  return true;
}

}  // namespace

bool steering_off(const std::vector<std::string>& devs) {
  return each_knob(devs, [](const std::string& path, const std::string& value) {
    return all_zero(value) || write_file(path, "0");
  });
}

bool steering_is_off(const std::vector<std::string>& devs) {
  return each_knob(devs,
                   [](const std::string&, const std::string& value) { return all_zero(value); });
}

}  // namespace sr
