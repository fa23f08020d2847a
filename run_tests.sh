#!/usr/bin/env bash
# sockreuse: the one entry point. Installs what is missing (Debian packages),
# builds into build/, runs the suite on the running kernel and compares with
# the expected table; or, with --selftest, runs the project's own tests.
# Options and exit statuses: ./run_tests.sh --help.
#
# sockreuse/cli.py reads the options, checks them and runs what they ask
# for; this script does only what must come before: the mode (from
# sockreuse/cli.py, standard library only), the user + network namespace when
# not root, the Debian packages and the build. The arguments go to
# sockreuse/cli.py unchanged.
set -euo pipefail
cd "$(dirname "$0")"
ROOT=$PWD
PY=/usr/bin/python3  # Debian's interpreter: it sees python3-pytest and friends

# Exit statuses (sockreuse/errors.py holds the table --help prints).
EXIT_USAGE=2
EXIT_CANNOT_RUN=4

die() { echo "sockreuse: $1" >&2; exit "${2:-$EXIT_USAGE}"; }

install() {
  local p missing=()
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  [ ${#missing[@]} -gt 0 ] || return 0
  [ "$(id -u)" -eq 0 ] || die "missing packages: ${missing[*]}; run as root: apt-get install ${missing[*]}" $EXIT_CANNOT_RUN
  echo "sockreuse: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  { apt-get update -qq && apt-get install -y -qq --no-install-recommends "${missing[@]}"; } \
    >"${TMPDIR:-/tmp}/sockreuse-apt.log" 2>&1 \
    || die "could not install ${missing[*]} (log: ${TMPDIR:-/tmp}/sockreuse-apt.log); run: apt-get install ${missing[*]}" $EXIT_CANNOT_RUN
}

# The options are read by Python: the interpreter comes first.
[ -x "$PY" ] || install python3
# The mode, or the one-line error for bad options; the second word is --lava's kind.
modeline=$("$PY" -m sockreuse.cli --mode-of "$@") || exit $?
read -r mode lava <<<"$modeline"
[ "$mode" = help ] && exec "$PY" -m sockreuse.cli "$@"
# --repro writes a C file to stdout: until then, everything said goes to stderr.
if [ "$mode" = repro ]; then exec 3>&1 1>&2; fi

# Not root: run everything in a user + network namespace of our own, where
# we hold CAP_SYS_ADMIN/CAP_NET_ADMIN; cases needing a second UID are skipped.
wrap=()
if [ "$(id -u)" -ne 0 ]; then
  [ "$mode" = vm ] && die "--kernel and --matrix boot VMs with host paths: run them as root"
  case $mode in
    suite|explore|selftest)
      unshare -Urn true 2>/dev/null \
        || die "not root and no unprivileged user namespaces here: run as root (namespaces, veth pairs and a second EUID need CAP_SYS_ADMIN, CAP_NET_ADMIN, CAP_SETUID): sudo $0" $EXIT_CANNOT_RUN
      echo "sockreuse: not root: unprivileged mode (user + network namespace); cases that need a second UID are skipped"
      export SOCKREUSE_MODE=unprivileged
      wrap=(unshare -Urn) ;;
  esac
fi

packages=(cmake make g++ pkg-config libnl-3-dev libnl-route-3-dev libnl-idiag-3-dev libgtest-dev
          python3 python3-pytest python3-yaml python3-pytest-xdist iproute2 kmod)
# R10's BPF programs: built by clang for the BPF target, loaded with libbpf
# (linked statically, with libelf).
packages+=(clang libbpf-dev libelf-dev zlib1g-dev)
# The project's own tests also lint and format-check the C++ code, and drive
# the LAVA lab code through lavacli against a stand-in server.
[ "$mode" = selftest ] && packages+=(clang-tidy clang-format chromium lavacli)
# ... and cross-build the suite for arm64 and big-endian s390x, checking each
# binary's and BPF object's architecture and byte order (tests/cross/).
[ "$mode" = selftest ] && packages+=(g++-aarch64-linux-gnu g++-s390x-linux-gnu busybox-static)
[ "$mode" = vm ] && packages+=(qemu-system-x86)
# The rootfs the guests boot is made of this host's files: busybox, kmod, Python's packages.
[ "$mode" = vm ] || [ "$mode" = rootfs ] && packages+=(busybox-static kmod binutils)
# --lava local runs Debian's LAVA dispatcher here; --lava URL talks to a server.
[ "$lava" = local ] && packages+=(lava-dispatcher python3-jinja2)
[ "$lava" = server ] && packages+=(lavacli)
# Extra packages for a test of the install path (SOCKREUSE_EXTRA_PACKAGES).
# shellcheck disable=SC2206
packages+=(${SOCKREUSE_EXTRA_PACKAGES:-})
install "${packages[@]}"

# --show-table reads a table: it needs no build.
if [ "$mode" != show-table ]; then
  build_log=build/build.log
  mkdir -p build 2>/dev/null && [ -w build ] || die "cannot write to $ROOT/build (built by another user?): remove it or run as that user" $EXIT_CANNOT_RUN
  if ! { cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >"$build_log" 2>&1 &&
         cmake --build build -j "$(nproc)" >>"$build_log" 2>&1; }; then
    tail -n 30 "$build_log" >&2
    die "build failed (full log: $build_log)" $EXIT_CANNOT_RUN
  fi
fi

if [ "$mode" = repro ]; then exec 1>&3 3>&-; fi
exec "${wrap[@]}" "$PY" -m sockreuse.cli "$@"
