#!/usr/bin/env bash
# sockreuse: the one entry point. Installs what is missing (Debian packages),
# builds into build/, runs the suite on the running kernel and compares with
# the expected table; or, with --selftest, runs the project's own tests.
#
#   ./run_tests.sh                  the suite; report under results/runs/<uname -r>/
#   ./run_tests.sh --selftest       the project's own tests
#   ./run_tests.sh -k timewait      only matching cases (pytest -k expression)
#   ./run_tests.sh -j 1             cases one at a time (default: one suite process per core)
#   ./run_tests.sh --repeat N       run every case N times; a case whose outcome varies fails
#   ./run_tests.sh --record         write the observed outcomes as the table for this kernel
#   ./run_tests.sh --expect FILE    compare with FILE instead of the selected table
#   ./run_tests.sh --kernel SERIES  the suite inside a VM booting another kernel (vm/kernels.conf)
#   ./run_tests.sh --kernel PATH --modules DIR   ... booting your own vmlinuz
#   ./run_tests.sh --matrix         host + every configured kernel; report in results/compat/
#                                   (with --kernel or --matrix, -j N is guests side by side)
set -euo pipefail
cd "$(dirname "$0")"
ROOT=$PWD
PY=/usr/bin/python3  # Debian's interpreter: it sees python3-pytest and friends

die() { echo "sockreuse: $1" >&2; exit "${2:-2}"; }

mode=suite
jobs=$(nproc)
pytest_args=()
vm_args=()
while [ $# -gt 0 ]; do
  case "$1" in
    --selftest) mode=selftest ;;
    -j) [ $# -ge 2 ] || die "-j needs a number of workers"; jobs=$2; shift ;;
    -j*) jobs=${1#-j} ;;
    --expect|-k|--kernel-release|--results-dir|--expected-dir|--repeat|--wait-scale)
      [ $# -ge 2 ] || die "$1 needs a value"; pytest_args+=("$1" "$2"); shift ;;
    --record|--allow-new) pytest_args+=("$1") ;;
    --kernel|--modules) [ $# -ge 2 ] || die "$1 needs a value"; mode=vm; vm_args+=("$1" "$2"); shift ;;
    --matrix) mode=vm; vm_args+=("$1") ;;
    -h|--help) sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) die "unknown option '$1' (see ./run_tests.sh --help)" ;;
  esac
  shift
done
[[ "$jobs" =~ ^[1-9][0-9]*$ ]] || die "-j wants a positive number of workers, not '$jobs'"

# Not root: run everything in a user + network namespace of our own, where
# we hold CAP_SYS_ADMIN/CAP_NET_ADMIN; cases needing a second UID are skipped.
wrap=()
if [ "$(id -u)" -ne 0 ]; then
  unshare -Urn true 2>/dev/null \
    || die "not root and no unprivileged user namespaces here: run as root (namespaces, veth pairs and a second EUID need CAP_SYS_ADMIN, CAP_NET_ADMIN, CAP_SETUID): sudo $0" 2
  [ "$mode" = vm ] && die "--kernel and --matrix boot VMs with host paths: run them as root" 2
  echo "sockreuse: not root: unprivileged mode (user + network namespace); cases that need a second UID are skipped"
  export SOCKREUSE_MODE=unprivileged
  wrap=(unshare -Urn)
fi

packages=(cmake make g++ pkg-config libnl-3-dev libnl-route-3-dev libnl-idiag-3-dev libgtest-dev
          python3 python3-pytest python3-yaml python3-pytest-xdist iproute2 kmod)
# R10's BPF programs: built by clang for the BPF target, loaded with libbpf
# (linked statically, with libelf).
packages+=(clang libbpf-dev libelf-dev zlib1g-dev)
# The project's own tests also lint and format-check the C++ code.
[ "$mode" = selftest ] && packages+=(clang-tidy clang-format chromium)
[ "$mode" = vm ] && packages+=(qemu-system-x86 busybox-static)
# Extra packages for a test of the install path (SOCKREUSE_EXTRA_PACKAGES).
# shellcheck disable=SC2206
packages+=(${SOCKREUSE_EXTRA_PACKAGES:-})
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  [ "$(id -u)" -eq 0 ] || die "missing packages: ${missing[*]}; run as root: apt-get install ${missing[*]}" 2
  echo "sockreuse: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  { apt-get update -qq && apt-get install -y -qq --no-install-recommends "${missing[@]}"; } \
    >"${TMPDIR:-/tmp}/sockreuse-apt.log" 2>&1 \
    || die "could not install ${missing[*]} (log: ${TMPDIR:-/tmp}/sockreuse-apt.log); run: apt-get install ${missing[*]}"
fi

build_log=build/build.log
mkdir -p build 2>/dev/null && [ -w build ] || die "cannot write to $ROOT/build (built by another user?): remove it or run as that user" 2
if ! { cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >"$build_log" 2>&1 &&
       cmake --build build -j "$(nproc)" >>"$build_log" 2>&1; }; then
  tail -n 30 "$build_log" >&2
  die "build failed (full log: $build_log)" 2
fi


if [ "$mode" = vm ]; then
  exec "$PY" vm/matrix.py "${vm_args[@]}" -j "$jobs" "${pytest_args[@]}"
fi

if [ "$mode" = selftest ]; then
  echo "sockreuse: netns/ unit tests (ctest)"
  (cd build && "${wrap[@]}" ctest --output-on-failure -j "$(nproc)") || die "netns/ unit tests failed" 1
  echo "sockreuse: runner and system tests (pytest)"
  exec "${wrap[@]}" "$PY" -m pytest tests/ -p no:cacheprovider -q
fi

exec "${wrap[@]}" "$PY" -m pytest runner/ -p no:cacheprovider -q --jobs "$jobs" "${pytest_args[@]}"
