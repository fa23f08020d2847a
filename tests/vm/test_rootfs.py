"""The rootfs artefact (sockreuse/kernels/rootfs.py): what goes in, and that it runs the
suite on its own: unpacked, entered with chroot on the host's kernel, it
prints the report files the host reads back. Booting it under QEMU is
.ci/run's part (./run_tests.sh --kernel 6.1)."""
import json
import os
import subprocess

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from sockreuse.boot import bundle
from sockreuse.kernels import libs
from sockreuse.kernels import modules
from sockreuse.kernels import rootfs

SUITE = os.path.join(ROOT, "build", "sockreuse_suite")
needs_build = pytest.mark.skipif(not os.access(SUITE, os.X_OK), reason="no build/sockreuse_suite yet")


@pytest.fixture(scope="module")
def plan():
    return rootfs.plan()


@needs_build
def test_every_library_the_binaries_load_goes_in(plan):
    for binary in (SUITE, "/usr/bin/python3", "/usr/bin/kmod"):
        for lib in libs.closure([os.path.realpath(binary)]):
            assert rootfs.merged(libs.target_path(lib)) in plan, (binary, lib)


@needs_build
def test_the_runner_finds_its_files_where_it_does_on_the_host(plan):
    for path in ("build/sockreuse_suite", "runner/conftest.py", "results/seed_claims.yaml",
                 "results/vocabulary.yaml", "sockreuse/model/rules.py",
                 "build/sockreuse_explore", "sockreuse/explore/driver.py",
                 "sockreuse/explore/space.py", "explore/space.yaml",
                 "explore/triples-kept.txt.xz", "fixtures/topology.yaml",
                 "sockreuse/topology_facts.py", "sockreuse/boot/bundle.py",
                 "lava/lava-report", "suites/config", "sockreuse/kconfig/check.py"):
        assert f"{rootfs.PREFIX}/{path}" in plan
    assert any(p.startswith(f"{rootfs.PREFIX}/results/expected/") for p in plan)
    assert plan["init"] == ("file", os.path.join(ROOT, "vm", "guest", "init"))
    assert plan["etc/sockreuse/modules"] == ("text", "\n".join(modules.SUITE) + "\n")


@needs_build
def test_no_compiler_and_no_package_manager(plan):
    names = {os.path.basename(p) for p in plan}
    assert not names & {"gcc", "cc", "g++", "apt", "apt-get", "pip", "pip3"}


@needs_build
@pytest.mark.skipif(os.geteuid() != 0, reason="chroot and mounts need root")
def test_unpacked_rootfs_runs_the_suite_and_prints_its_results(tmp_path):
    image = rootfs.build(lambda msg: None)
    root = tmp_path / "root"
    root.mkdir()
    unpacked = subprocess.run(f"zcat {image} | busybox cpio -id", shell=True, cwd=root,
                              capture_output=True, text=True)
    assert unpacked.returncode == 0, unpacked.stderr
    # As the rootfs's init mounts them (cases make /sys private in their namespaces).
    mounts = [(["-t", "proc", "proc"], "proc"), (["-t", "sysfs", "sysfs"], "sys"),
              (["--bind", "/dev"], "dev"), (["-t", "tmpfs", "tmpfs"], "tmp")]
    done = []
    try:
        for opts, where in mounts:
            subprocess.run(["mount", *opts, str(root / where)], check=True)
            done.append(root / where)
        r = subprocess.run(["chroot", str(root), "/opt/sockreuse/vm/guest/run-suite", "-k",
                            "default and tcp4"], capture_output=True, text=True, timeout=300,
                           env={"PATH": "/usr/sbin:/usr/bin"})
    finally:
        for where in reversed(done):
            subprocess.run(["umount", str(where)])
    found = bundle.find(r.stdout.splitlines())
    assert found, r.stdout[-2000:] + r.stderr[-2000:]
    name, code, files = found
    assert (name, code) == (os.uname().release, 0)
    doc = json.loads(files["results.json"])
    assert len(doc["cases"]) == 7 and {c["verdict"] for c in doc["cases"]} == {"pass"}
    assert {"junit.xml", "results.ktap", "summary.md"} <= set(files)
    assert "KTAP version 1" in r.stdout
