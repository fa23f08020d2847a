#!/usr/bin/python3
"""Side-by-side benchmark: the per-case topology built with netns/ (netlink,
no subprocesses) against the same topology built with `ip` commands, and the
suite's wall time. Run as root after a build: /usr/bin/python3 -m bench.topology_setup [N]

Both variants run interleaved in one invocation (this machine is noisy), so
the ratio compares like with like. Figures are medians.
"""
import os
import statistics
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BUILD = os.path.join(ROOT, "build")

# The same topology as fixtures/topology.cc, with iproute2. It does not wait
# for IPv6 local routes as netns/ does, which only favours this variant.
IP_SCRIPT = r"""
set -e
unshare -n sleep 30 & C=$!
while [ "$(readlink /proc/$C/ns/net)" = "$(readlink /proc/$$/ns/net)" ]; do :; done
ip link set lo up
ip link add s0 address 02:00:00:00:00:01 type veth peer name c0 address 02:00:00:00:00:02 netns $C
ip link add s1 address 02:00:00:00:01:01 type veth peer name c1 address 02:00:00:00:01:02 netns $C
ip link set s0 up; ip link set s1 up
ip addr add 198.51.100.1/24 broadcast + dev s0; ip -6 addr add 2001:db8:1::1/64 dev s0 nodad
ip addr add 203.0.113.1/24 broadcast + dev s1; ip -6 addr add 2001:db8:2::1/64 dev s1 nodad
ip neigh add 198.51.100.2 lladdr 02:00:00:00:00:02 dev s0 nud permanent
ip neigh add 2001:db8:1::2 lladdr 02:00:00:00:00:02 dev s0 nud permanent
ip neigh add 203.0.113.2 lladdr 02:00:00:00:01:02 dev s1 nud permanent
ip neigh add 2001:db8:2::2 lladdr 02:00:00:00:01:02 dev s1 nud permanent
nsenter -t $C -n sh -c '
ip link set lo up; ip link set c0 up; ip link set c1 up
ip addr add 198.51.100.2/24 broadcast + dev c0; ip -6 addr add 2001:db8:1::2/64 dev c0 nodad
ip addr add 203.0.113.2/24 broadcast + dev c1; ip -6 addr add 2001:db8:2::2/64 dev c1 nodad
ip neigh add 198.51.100.1 lladdr 02:00:00:00:00:01 dev c0 nud permanent
ip neigh add 2001:db8:1::1 lladdr 02:00:00:00:00:01 dev c0 nud permanent
ip neigh add 203.0.113.1 lladdr 02:00:00:00:01:01 dev c1 nud permanent
ip neigh add 2001:db8:2::1 lladdr 02:00:00:00:01:01 dev c1 nud permanent'
kill $C
"""


def netns_once():
    out = subprocess.run([os.path.join(BUILD, "topology_bench"), "1"], check=True,
                         capture_output=True, text=True).stdout
    return float(out.strip())


def ip_once():
    t0 = time.perf_counter()
    subprocess.run(["unshare", "-n", "sh", "-c", IP_SCRIPT], check=True,
                   stdout=subprocess.DEVNULL)
    return (time.perf_counter() - t0) * 1000


def suite_once():
    t0 = time.perf_counter()
    subprocess.run([os.path.join(BUILD, "sockreuse_suite"), "--gtest_brief=1"], check=True,
                   stdout=subprocess.DEVNULL)
    return time.perf_counter() - t0


def main():
    if os.geteuid() != 0:
        sys.exit("bench/topology_setup.py: needs root (it creates network namespaces)")
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 50
    lib, ip = [], []
    for _ in range(n):  # interleaved, so both see the same machine load
        lib.append(netns_once())
        ip.append(ip_once())
    suite = [suite_once() for _ in range(3)]
    cases = len(subprocess.run([os.path.join(BUILD, "sockreuse_suite"), "--list-cases"],
                               check=True, capture_output=True, text=True).stdout.splitlines())
    ml, mi = statistics.median(lib), statistics.median(ip)
    print(f"topology setup+teardown per case, median of {n} (interleaved):")
    print(f"  netns/ (netlink)   {ml:7.2f} ms")
    print(f"  ip commands        {mi:7.2f} ms")
    print(f"  ratio ip/netns     {mi / ml:7.1f}x")
    print(f"suite binary, {cases} cases, sequential, median of 3: {statistics.median(suite):.2f} s")


if __name__ == "__main__":
    main()
