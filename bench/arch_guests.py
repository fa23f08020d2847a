#!/usr/bin/python3
"""The architectures side by side: boots one kernel series on each
architecture Debian builds it for, interleaved round by round (this machine
is noisy), runs the suite (or -k EXPR) and prints per architecture the
median boot time, the suite's wall time in the guest, boot to results and
the median set-up per case, with each one's ratio to x86_64. Every guest
but the host's own runs under TCG on this machine, so the ratios are what
emulating that architecture costs here, not what its hardware would do.
Each run overwrites results/runs/<release>/, as a --kernel run does. Run as
root; the first run fetches the kernels and cross-builds:

  /usr/bin/python3 -m bench.arch_guests [--kernel 6.1] [--rounds 3] [-k EXPR]
"""
import statistics

from bench import guest_run
from sockreuse import arches
from sockreuse.kernels import fetch

SCRIPT = "arch_guests.py"


def one_run(series, arch, release, k):
    results, vm = guest_run.run(SCRIPT, series, release, ["--arch", arch.name], k,
                                what=f"{series} on {arch.name}")
    setups = [c["setup_ms"] for c in results["cases"] if c.get("setup_ms") is not None]
    return {"boot": vm["boot_s"], "suite": results["summary"]["wall_s"], "total": vm["total_s"],
            "setup": statistics.median(setups) if setups else float("nan")}


def main():
    a = guest_run.parser(SCRIPT, __doc__.splitlines()[0], "6.1", 1).parse_args()
    conf = fetch.load_conf()
    guest_run.check_series(SCRIPT, a.kernel, conf)
    wanted = fetch.arches_of(conf[a.kernel])
    releases = {arch.name: fetch.fetch(a.kernel, conf, arch=arch)["release"] for arch in wanted}
    runs = {arch.name: [] for arch in wanted}
    for i in range(a.rounds):
        for arch in wanted:
            r = one_run(a.kernel, arch, releases[arch.name], a.k)
            runs[arch.name].append(r)
            print(f"  round {i + 1} {arch.name:7s} boot {r['boot']:5.1f} s  suite {r['suite']:6.1f} s"
                  f"  boot to results {r['total']:6.1f} s  set-up median {r['setup']:6.1f} ms",
                  flush=True)
    names = list(runs)
    base = arches.host().name
    med = lambda name, key: statistics.median(r[key] for r in runs[name])
    print(f"\n{a.kernel}, {'-k ' + a.k if a.k else 'whole suite'}, median of {a.rounds} "
          "(interleaved)")
    print(f"{'':26s}" + "".join(f"{n:>16s}" for n in names))
    for key, label in (("boot", "boot (s)"), ("suite", "suite in guest (s)"),
                       ("total", "boot to results (s)"), ("setup", "set-up per case (ms)")):
        cells = []
        for n in names:
            ratio = "" if n == base or base not in runs else f" ({med(n, key) / med(base, key):.1f}x)"
            cells.append(f"{med(n, key):.1f}{ratio}".rjust(16))
        print(f"{label:26s}" + "".join(cells))


if __name__ == "__main__":
    main()
