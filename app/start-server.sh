#!/usr/bin/env bash
# The README's first command: installs what building and running the server
# needs and is missing (Debian 12, as root), builds fptcp-server, and starts it. With no arguments it uses its default:
# a TAP interface fptcp0 (kernel side 10.70.0.1/24), fptcp at 10.70.0.2/24,
# HTTP on port 80, no hugepages needed. Arguments go to fptcp-server
# (`app/start-server.sh --help`).
#
#   FPTCP_BUILD_DIR=DIR   build in DIR instead of build/ (relative to the checkout)
set -euo pipefail
cd "$(dirname "$0")/.."
build=${FPTCP_BUILD_DIR:-build}
.ci/install-deps --runtime  # the test command installs the rest
if [[ ! -f $build/build.ninja ]]; then
  echo "fptcp: configuring $build" >&2
  # Without the test and benchmark libraries, which are not installed yet
  # (test/all.sh turns them on again in the same directory).
  meson setup "$build" -Dtests=disabled -Dbenchmarks=disabled >/dev/null
fi
echo "fptcp: building fptcp-server in $build" >&2
# ninja writes compiler errors on stdout: shown, without the progress lines,
# only when the build fails.
if ! output=$(ninja -C "$build" app/fptcp-server 2>&1); then
  printf '%s\n' "$output" | grep -v -e '^\[[0-9]*/[0-9]*\] ' >&2 || true
  echo "fptcp: building fptcp-server failed (above)" >&2
  exit 1
fi
exec "$build/app/fptcp-server" "$@"
