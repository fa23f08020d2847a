"""A guest whose kernel crashed before its init reported in is booted once
more (sockreuse/boot/crash.py): what counts as a crash on the console, and a
real guest that panics on both boots (its init is made unreachable on the
kernel command line), which is reported as a kernel that did not boot, with
both consoles kept."""
import json
import os
import subprocess

from sockreuse.boot import landing
from sockreuse.boot.crash import crash_line
from sockreuse.kernels import fetch

ROOT = fetch.REPO

# The first lines of the 7.2 guest that crashed here under TCG (its
# console, "quiet": nothing earlier is printed).
RACE = """[    2.146324] Oops: int3: 0000 [#1] SMP NOPTI
[    2.146949] CPU: 1 UID: 0 PID: 12 Comm: kworker/u8:0 Not tainted 7.2.13+deb14-amd64 #1 PREEMPT(lazy)  Debian 7.2.13-1
[    2.147262] Workqueue: async async_run_entry_fn
[    2.147615] RIP: 0010:ktime_get_update_offsets_now+0x3b/0x200
[    2.150766] Kernel panic - not syncing: Fatal exception in interrupt""".splitlines()


def test_an_oops_is_a_crash_named_with_where_it_happened():
    assert crash_line(RACE) == ("Oops: int3: 0000 [#1] SMP NOPTI "
                                "(RIP: 0010:ktime_get_update_offsets_now+0x3b/0x200)")


def test_a_panic_without_registers_is_a_crash():
    lines = ["[    0.912000] Kernel panic - not syncing: VFS: Unable to mount root fs on unknown-block(0,0)"]
    assert crash_line(lines) == "Kernel panic - not syncing: VFS: Unable to mount root fs on unknown-block(0,0)"


def test_a_console_without_a_crash_is_none():
    assert crash_line(["Decompressing Linux... ", "invalid compressed format (err=2)", "",
                       "-- System halted"]) is None
    assert crash_line([]) is None


def test_a_kernel_that_panics_on_both_boots_did_not_boot():
    # 5.10: no other self-test boots it, so this run's directory is its own.
    kernel = fetch.fetch("5.10", fetch.load_conf(), lambda line: None)
    out = os.path.join(ROOT, "results", "runs", kernel["release"])
    # No init in the rootfs by that name: the kernel falls back to a root
    # device it does not have and panics, on every boot.
    env = {**os.environ, "SOCKREUSE_GUEST_CMDLINE": "rdinit=/no/such/init"}
    r = subprocess.run([os.path.join(ROOT, "run_tests.sh"), "--kernel", "5.10", "-k", "bind0"],
                       capture_output=True, text=True, env=env, timeout=600)
    said = r.stdout + r.stderr
    assert r.returncode != 0, said[-2000:]
    assert "the kernel crashed before its init reported in: Kernel panic" in said, said[-2000:]
    assert "booting once more" in said, said[-2000:]
    assert "did not boot: the guest ended (exit 0) before its init reported in on both boots" in said, said[-2000:]
    with open(os.path.join(out, "vm.json")) as f:
        vm = json.load(f)
    assert vm["booted"] is False and vm["first_boot_crash"].startswith("Kernel panic"), vm
    for name in ("console.log", landing.FIRST_CONSOLE):
        with open(os.path.join(out, name), errors="replace") as f:
            assert "Kernel panic" in f.read(), name
