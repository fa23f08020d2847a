"""sockreuse/boot/bundle.py: report files over a console, and what a console does to them."""
import os

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from sockreuse.boot import bundle


def printed(tmp_path, exit_code=1):
    d = tmp_path / "6.1.0-50-amd64"
    d.mkdir()
    (d / "results.json").write_text('{"cases": []}\n' + "x" * 5000)
    (d / "results.ktap").write_text("KTAP version 1\n1..0\n")
    return list(bundle.lines(d.name, exit_code, bundle.pack(str(d))))


def test_round_trip_through_kernel_messages_and_carriage_returns(tmp_path):
    lines = printed(tmp_path)
    noisy = ["[    3.1] veth0: link up", "login: "]
    for i, line in enumerate(lines):
        noisy.append(line + ("\r" if i % 2 else ""))
        noisy.append(f"[   {i}.5] random: crng init done")
    name, code, files = bundle.find(noisy)
    assert (name, code) == ("6.1.0-50-amd64", 1)
    assert files["results.ktap"] == b"KTAP version 1\n1..0\n"
    assert files["results.json"].startswith(b'{"cases": []}')


def test_no_bundle_is_none_and_a_damaged_one_says_so(tmp_path):
    assert bundle.find(["sockreuse-guest: up", "Kernel panic"]) is None
    lines = printed(tmp_path)
    cut = lines[:3] + [lines[3][:30] + "[ 9.9] oops" + lines[3][30:]] + lines[4:]
    with pytest.raises(bundle.BundleError, match="checksum|garbled"):
        bundle.find(cut)
    with pytest.raises(bundle.BundleError, match="before their end"):
        bundle.find(lines[:-2])


def test_the_last_complete_bundle_counts(tmp_path):
    first = printed(tmp_path, 3)
    (tmp_path / "again").mkdir()
    second = printed(tmp_path / "again", 0)
    assert bundle.find(first + second)[1] == 0
