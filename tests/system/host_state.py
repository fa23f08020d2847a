"""A snapshot of everything on the host a run could leave behind or change."""
import glob
import os
import subprocess

BUILD = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))),
                     "build")
# This checkout's binaries only: another checkout's runs are not ours to count.
SUITE_EXES = {os.path.join(BUILD, n) for n in ("sockreuse_suite", "topology_bench")}
# Counters that move on their own, not settings.
VOLATILE = ("/proc/sys/net/netfilter/nf_conntrack_count",)


def _sh(*cmd):
    return subprocess.run(cmd, capture_output=True, text=True).stdout


def net_sysctls():
    values = {}
    for path in glob.glob("/proc/sys/net/**", recursive=True):
        if path in VOLATILE or not os.path.isfile(path) or not os.access(path, os.R_OK):
            continue
        try:
            with open(path) as f:
                values[path] = f.read()
        except OSError:
            pass  # write-only or refuses reads in this namespace
    return values


def suite_processes():
    found = []
    for exe in glob.glob("/proc/[0-9]*/exe"):
        try:
            if os.readlink(exe) in SUITE_EXES:
                found.append(exe.split("/")[2])
        except OSError:
            pass
    return found


def snapshot():
    return {
        "links": _sh("ip", "-o", "link", "show"),
        "addresses": _sh("ip", "-o", "addr", "show"),
        "routes": _sh("ip", "route", "show", "table", "all"),
        "named_netns": _sh("ip", "netns", "list"),
        "run_netns": sorted(os.listdir("/run/netns")) if os.path.isdir("/run/netns") else [],
        "mounts": sorted(l for l in open("/proc/self/mountinfo").read().splitlines() if "nsfs" in l),
        "tmp_files": sorted(p for p in os.listdir("/tmp") if "sockreuse" in p),
        "sysctls": net_sysctls(),
        "processes": suite_processes(),
    }


def differences(before, after):
    out = []
    for key in before:
        if before[key] != after[key]:
            if key == "sysctls":
                changed = [k for k in set(before[key]) | set(after[key])
                           if before[key].get(k) != after[key].get(k)]
                out.append("sysctls changed: %s" % ", ".join(sorted(changed)[:20]))
            else:
                out.append("%s changed:\n--- before\n%s\n--- after\n%s" % (key, before[key], after[key]))
    return out
