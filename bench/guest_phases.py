#!/usr/bin/python3
"""Where a guest's time goes, this checkout against an older commit, side by
side: each tree boots the same kernel alternately ROUNDS times, running the
whole suite, and the medians of vm.json's `spent_s` are printed per phase
(boot, runner start, cases, reports, console, power off) with the total and
new/old ratios. REF must have the timeline (7f1a32b or later).

Run as root after ./run_tests.sh --kernel SERIES has fetched the kernel:
  /usr/bin/python3 -m bench.guest_phases [--old REF] [--kernel SERIES] [--rounds N] [-k EXPR]
"""
import statistics

from bench import guest_run
from bench.old_tree import ROOT, old_tree
from sockreuse.boot.phases import SPANS
from sockreuse.kernels import fetch

SCRIPT = "guest_phases.py"


def one_run(tree, series, release, k):
    _, vm = guest_run.run(SCRIPT, series, release, k=k, what=f"{series} in {tree}", tree=tree)
    return {**vm["spent_s"], "total": vm["total_s"]}


def main():
    p = guest_run.parser(SCRIPT, __doc__.splitlines()[1], "6.1", 3)
    p.add_argument("--old", default="7f1a32b", help="the commit to compare with")
    a = p.parse_args()
    conf = fetch.load_conf()
    guest_run.check_series(SCRIPT, a.kernel, conf)
    release = fetch.fetch(a.kernel, conf)["release"]
    with old_tree(a.old, SCRIPT, target=None, caches=True) as (old, _):
        trees = {f"old ({a.old})": old, "new (this checkout)": ROOT}
        runs = {name: [] for name in trees}
        for i in range(a.rounds):
            for name, tree in trees.items():
                runs[name].append(one_run(tree, a.kernel, release, a.k))
            print(f"  round {i + 1}: " + ", ".join(
                f"{n} {v[-1]['total']:.1f} s" for n, v in runs.items()), flush=True)
    phases = [name for name, _, _ in SPANS] + ["total"]
    med = {n: {ph: statistics.median(r.get(ph, float("nan")) for r in runs[n]) for ph in phases}
           for n in runs}
    names = list(runs)
    print(f"{release} under QEMU, whole suite{' -k ' + a.k if a.k else ''}, median of "
          f"{a.rounds}, interleaved (seconds):")
    print(f"  {'phase':14s}" + "".join(f"{n:>24s}" for n in names) + "   new/old")
    for ph in phases:
        old_v, new_v = med[names[0]][ph], med[names[1]][ph]
        ratio = f"{new_v / old_v:8.2f}" if old_v else "       -"
        print(f"  {ph:14s}" + "".join(f"{med[n][ph]:24.2f}" for n in names) + "  " + ratio)


if __name__ == "__main__":
    main()
