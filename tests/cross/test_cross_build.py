"""sockreuse/cross/build.py: the suite cross-built for a foreign architecture
is that architecture's ELF, and its BPF objects have the target's byte order
(the kernel refuses an object of the other one, on s390x only)."""
import glob
import os
import shutil

import pytest

from sockreuse.arches import ARCHES, host
from sockreuse.cross import build

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def test_toolchain_names_the_sysroot_and_the_triplet():
    arch = ARCHES["s390x"]
    text = build.toolchain(arch, "/some/sysroot")
    assert "set(CMAKE_FIND_ROOT_PATH /some/sysroot /usr/s390x-linux-gnu)" in text
    assert "set(CMAKE_CXX_COMPILER s390x-linux-gnu-g++)" in text
    assert "set(CMAKE_LIBRARY_ARCHITECTURE s390x-linux-gnu)" in text
    assert "SOCKREUSE_BPF_SYSTEM_INCLUDE /usr/s390x-linux-gnu/include CACHE" in text


def test_elf_facts_reads_either_byte_order(tmp_path):
    assert build.elf_facts("/usr/bin/python3") == (build.E_MACHINE[host().name], False)
    big = tmp_path / "big"
    big.write_bytes(b"\x7fELF\x02\x02\x01" + bytes(11) + (22).to_bytes(2, "big"))
    assert build.elf_facts(str(big)) == (22, True)
    (tmp_path / "text").write_text("#!/bin/sh\necho not an ELF file at all\n")
    with pytest.raises(build.CrossError, match="not an ELF"):
        build.elf_facts(str(tmp_path / "text"))


def test_failures_say_what_to_do(monkeypatch, tmp_path):
    monkeypatch.setattr(build.shutil, "which", lambda name: None)
    with pytest.raises(build.CrossError, match=r"apt-get install g\+\+-aarch64-linux-gnu$"):
        build.ensure(ARCHES["arm64"])
    log = tmp_path / "build.log"
    log.write_text("[ 40%] Building CXX object x.o\n/w/a.cc:3:1: error: 'foo' was not declared\n"
                   "make[2]: *** [x.o] Error 1\ngmake: *** [all] Error 2\n")
    assert build._last_error(str(log)) == "/w/a.cc:3:1: error: 'foo' was not declared"


@pytest.mark.heavy
@pytest.mark.parametrize("name", ["arm64", "s390x"])
def test_cross_build_is_the_targets(name):
    arch = ARCHES[name]
    if not shutil.which(f"{arch.triplet}-g++"):
        pytest.skip(f"no cross compiler: apt-get install g++-{arch.triplet}")
    folder = build.ensure(arch, progress=lambda line: None)
    for target in build.TARGETS:
        assert build.elf_facts(os.path.join(folder, target)) == (
            build.E_MACHINE[name], arch.big_endian), target
    objects = sorted(glob.glob(os.path.join(folder, "bpf", "*.bpf.o")))
    sources = glob.glob(os.path.join(ROOT, "suites", "bpf", "*.bpf.c"))
    assert len(objects) == len(sources), objects
    for path in objects:
        assert build.elf_facts(path) == (build.EM_BPF, arch.big_endian), path
