#!/usr/bin/env bash
# sockreuse: the one entry point. Installs what is missing (Debian packages),
# builds into build/, runs the suite on the running kernel and compares with
# the expected table; or, with --selftest, runs the project's own tests.
#
#   ./run_tests.sh                  the suite; report under results/runs/<uname -r>/
#   ./run_tests.sh --selftest       the project's own tests (takes no other option)
#   ./run_tests.sh -k timewait      only matching cases (pytest -k; -k R4: the cases of rule R4)
#   ./run_tests.sh -j 1             cases one at a time (default: one suite process per core)
#   ./run_tests.sh --repeat N       run every case N times; a case whose outcome varies fails
#   ./run_tests.sh --record         write this kernel's delta: the observed outcomes that differ
#                                   from results/expected/base.yaml (a kernel without one gets a
#                                   new delta); with --expect FILE, write FILE, a complete table
#   ./run_tests.sh --expect FILE    compare with FILE (a complete table) instead of base + delta
#   ./run_tests.sh --show-table S   print series S's effective table (base.yaml + S's delta)
#   ./run_tests.sh --allow-new      cases without a table row do not fail the run
#   ./run_tests.sh --wait-scale X   multiply every harness wait bound (10 s) by X
#   ./run_tests.sh --kernel SERIES  the suite inside a VM booting another kernel (vm/kernels.conf)
#   ./run_tests.sh --kernel PATH --modules DIR   ... booting your own vmlinuz
#   ./run_tests.sh --matrix         host + every configured kernel; report in results/compat/
#                                   (with --kernel or --matrix, -j N is guests side by side;
#                                   default: cores / vCPUs a guest (2), at least 1; a lab: all)
#   ./run_tests.sh --rootfs OUT     the rootfs the guests boot, for a LAVA lab (cpio.gz);
#                                   with --kernel, that kernel's modules appended
#   ./run_tests.sh --kernel S --lava local   the guest as a LAVA job, run here by lava-run
#   ./run_tests.sh --kernel S --lava URL     ... submitted to a LAVA server (LAVA_USER,
#                                   LAVA_TOKEN, SOCKREUSE_LAVA_FILES_URL; see README)
#   ./run_tests.sh --explore        every two-socket bind sequence (explore/space.yaml) instead
#                                   of the cases, against results/explore/; -k dim:value selects
#                                   (with --kernel or --matrix: in the guests)
set -euo pipefail
cd "$(dirname "$0")"
ROOT=$PWD
PY=/usr/bin/python3  # Debian's interpreter: it sees python3-pytest and friends

# Exit statuses (sockreuse/errors.py holds the table --help prints).
EXIT_USAGE=2
EXIT_CANNOT_RUN=4

die() { echo "sockreuse: $1" >&2; exit "${2:-$EXIT_USAGE}"; }

usage() {
  awk 'NR > 1 && !/^#/ { exit } NR > 1 { sub(/^# ?/, ""); print }' "$0"
  echo
  echo "Exit status:"
  if [ -x "$PY" ]; then
    "$PY" -c '
from sockreuse.errors import EXIT_TABLE
for code, meaning in EXIT_TABLE: print(f"  {code}  {meaning}")'
  else
    echo "  see results/README.md"
  fi
}

positive_int() { [[ "$2" =~ ^[1-9][0-9]*$ ]] || die "$1 wants a positive whole number, not '$2'"; }

mode=suite
jobs=$(nproc)
jobs_given=0
pytest_args=()
vm_args=()
rootfs_out=
given=()     # every option, for the conflict checks below
kernel=""
record=0
expect=""
while [ $# -gt 0 ]; do
  given+=("$1")
  case "$1" in
    --selftest) mode=selftest ;;
    -j) [ $# -ge 2 ] || die "-j needs a number of workers"; jobs=$2; jobs_given=1; shift ;;
    -j*) jobs=${1#-j}; jobs_given=1 ;;
    --repeat) [ $# -ge 2 ] || die "--repeat needs a number of runs"; positive_int --repeat "$2"
      pytest_args+=("$1" "$2"); shift ;;
    --wait-scale) [ $# -ge 2 ] || die "--wait-scale needs a number"
      [[ "$2" =~ ^([0-9]+\.?[0-9]*|\.[0-9]+)$ ]] && [[ ! "$2" =~ ^0*\.?0*$ ]] \
        || die "--wait-scale wants a positive number (1: 10 s per wait), not '$2'"
      pytest_args+=("$1" "$2"); shift ;;
    --expect) [ $# -ge 2 ] || die "--expect needs a table file"; expect=$2
      pytest_args+=("$1" "$2"); shift ;;
    -k|--kernel-release|--results-dir|--expected-dir)
      [ $# -ge 2 ] || die "$1 needs a value"; pytest_args+=("$1" "$2"); shift ;;
    --record) record=1; pytest_args+=("$1") ;;
    --allow-new) pytest_args+=("$1") ;;
    --kernel) [ $# -ge 2 ] || die "--kernel needs a series (vm/kernels.conf) or a vmlinuz path"
      mode=vm; kernel=$2; vm_args+=("$1" "$2"); shift ;;
    --modules) [ $# -ge 2 ] || die "--modules needs the lib/modules/<release> folder of your kernel"
      vm_args+=("$1" "$2"); shift ;;
    --matrix) mode=vm; vm_args+=("$1") ;;
    --lava) [ $# -ge 2 ] || die "--lava needs 'local' or a LAVA server's URL"; lava=$2; shift ;;
    --rootfs) [ $# -ge 2 ] || die "--rootfs needs a file to write"; rootfs_out=$2; shift ;;
    --explore) explore=1 ;;  # the explorer (sockreuse/explore/driver.py) instead of the suite, see below
    --show-table) [ $# -ge 2 ] || die "--show-table needs a series"; exec /usr/bin/python3 -m sockreuse.expect.show_table "$2" ;;
    -h|--help) usage; exit 0 ;;
    *) die "unknown option '$1' (see ./run_tests.sh --help)" ;;
  esac
  shift
done
positive_int -j "$jobs"

has() { local o; for o in "${given[@]}"; do [ "$o" = "$1" ] && return 0; done; return 1; }
if [ "$mode" = selftest ] && [ ${#given[@]} -gt 1 ]; then
  for o in "${given[@]}"; do [ "$o" = --selftest ] || die "--selftest runs the project's own tests and takes no other option (got '$o')"; done
fi
if has --explore; then
  for o in --allow-new --repeat --expected-dir; do
    has "$o" && die "$o is for the suite's cases; --explore runs the explorer (see --help)"
  done
fi
has --matrix && has --kernel && die "--matrix runs every configured kernel and --kernel one: give one of them"
has --modules && { [ -n "$kernel" ] && [ ! -f "$kernel" ] || [ -z "$kernel" ]; } \
  && die "--modules goes with --kernel PATH (your own vmlinuz), not with a series or alone"
has --expect && has --matrix && die "--expect names one table, but --matrix compares each kernel with its own: drop one"
for o in --kernel-release --results-dir --expected-dir; do
  has "$o" && [ "$mode" = vm ] && die "$o is for a run on this machine; --kernel and --matrix choose it per guest"
done
if [ -n "$expect" ] && [ "$record" -eq 0 ] && [ ! -f "$expect" ]; then
  die "--expect $expect: no such table file (record one with --record --expect FILE)"
fi
if [ -n "${lava:-}" ]; then
  [ "$mode" = vm ] || die "--lava goes with --kernel S or --matrix"
  has --explore && die "--explore runs in local guests only: drop --lava"
  vm_args+=(--lava "$lava")
fi
if [ -n "$rootfs_out" ]; then
  [ "$mode" != selftest ] && [ -z "${lava:-}" ] && ! has --explore \
    || die "--rootfs goes alone or with --kernel (and --modules)"
  has --matrix && die "--rootfs takes one kernel's modules: use --kernel, not --matrix"
  mode=rootfs
fi

# Not root: run everything in a user + network namespace of our own, where
# we hold CAP_SYS_ADMIN/CAP_NET_ADMIN; cases needing a second UID are skipped.
wrap=()
if [ "$(id -u)" -ne 0 ]; then
  [ "$mode" = vm ] && die "--kernel and --matrix boot VMs with host paths: run them as root"
  unshare -Urn true 2>/dev/null \
    || die "not root and no unprivileged user namespaces here: run as root (namespaces, veth pairs and a second EUID need CAP_SYS_ADMIN, CAP_NET_ADMIN, CAP_SETUID): sudo $0" $EXIT_CANNOT_RUN
  echo "sockreuse: not root: unprivileged mode (user + network namespace); cases that need a second UID are skipped"
  export SOCKREUSE_MODE=unprivileged
  wrap=(unshare -Urn)
fi

packages=(cmake make g++ pkg-config libnl-3-dev libnl-route-3-dev libnl-idiag-3-dev libgtest-dev
          python3 python3-pytest python3-yaml python3-pytest-xdist iproute2 kmod)
# R10's BPF programs: built by clang for the BPF target, loaded with libbpf
# (linked statically, with libelf).
packages+=(clang libbpf-dev libelf-dev zlib1g-dev)
# The project's own tests also lint and format-check the C++ code, and drive
# the LAVA lab code through lavacli against a stand-in server.
[ "$mode" = selftest ] && packages+=(clang-tidy clang-format chromium lavacli)
[ "$mode" = vm ] && packages+=(qemu-system-x86)
# The rootfs the guests boot is made of this host's files: busybox, kmod, Python's packages.
[ "$mode" = vm ] || [ "$mode" = rootfs ] && packages+=(busybox-static kmod binutils)
# --lava local runs Debian's LAVA dispatcher here; --lava URL talks to a server.
[ "${lava:-}" = local ] && packages+=(lava-dispatcher python3-jinja2)
[ -n "${lava:-}" ] && [ "$lava" != local ] && packages+=(lavacli)
# Extra packages for a test of the install path (SOCKREUSE_EXTRA_PACKAGES).
# shellcheck disable=SC2206
packages+=(${SOCKREUSE_EXTRA_PACKAGES:-})
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  [ "$(id -u)" -eq 0 ] || die "missing packages: ${missing[*]}; run as root: apt-get install ${missing[*]}" $EXIT_CANNOT_RUN
  echo "sockreuse: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  { apt-get update -qq && apt-get install -y -qq --no-install-recommends "${missing[@]}"; } \
    >"${TMPDIR:-/tmp}/sockreuse-apt.log" 2>&1 \
    || die "could not install ${missing[*]} (log: ${TMPDIR:-/tmp}/sockreuse-apt.log); run: apt-get install ${missing[*]}" $EXIT_CANNOT_RUN
fi

build_log=build/build.log
mkdir -p build 2>/dev/null && [ -w build ] || die "cannot write to $ROOT/build (built by another user?): remove it or run as that user" $EXIT_CANNOT_RUN
if ! { cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >"$build_log" 2>&1 &&
       cmake --build build -j "$(nproc)" >>"$build_log" 2>&1; }; then
  tail -n 30 "$build_log" >&2
  die "build failed (full log: $build_log)" $EXIT_CANNOT_RUN
fi

# --explore: every two-socket sequence of explore/space.yaml instead of the
# suite's cases; with --kernel or --matrix, in the guests (sockreuse/boot/matrix.py).
if [ "${explore:-}" = 1 ] && [ "$mode" = vm ]; then
  vm_args+=(--explore)
elif [ "${explore:-}" = 1 ]; then
  exec "${wrap[@]}" "$PY" -m sockreuse.explore.driver -j "$jobs" "${pytest_args[@]}"
fi

if [ "$mode" = vm ]; then
  # Without -j, sockreuse/boot/matrix.py fits the guests' vCPUs to the cores.
  [ "$jobs_given" = 1 ] && vm_args+=(-j "$jobs")
  exec "$PY" -m sockreuse.boot.matrix "${vm_args[@]}" "${pytest_args[@]}"
fi

if [ "$mode" = rootfs ]; then
  exec "$PY" -m sockreuse.kernels.rootfs "$rootfs_out" "${vm_args[@]}"
fi

if [ "$mode" = selftest ]; then
  echo "sockreuse: netns/ unit tests (ctest)"
  (cd build && "${wrap[@]}" ctest --output-on-failure -j "$(nproc)") || die "netns/ unit tests failed" 1
  echo "sockreuse: runner and system tests (pytest)"
  exec "${wrap[@]}" "$PY" -m pytest tests/ -p no:cacheprovider -q
fi

exec "${wrap[@]}" "$PY" -m pytest runner/ -p no:cacheprovider -q --jobs "$jobs" "${pytest_args[@]}"
