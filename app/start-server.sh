#!/usr/bin/env bash
# The README's first command: installs what is missing (Debian 12, as root),
# builds fptcp-server, and starts it. With no arguments it uses its default:
# a TAP interface fptcp0 (kernel side 10.70.0.1/24), fptcp at 10.70.0.2/24,
# HTTP on port 80, no hugepages needed. Arguments go to fptcp-server
# (`app/start-server.sh --help`).
set -euo pipefail
cd "$(dirname "$0")/.."
.ci/install-deps
if [[ ! -f build/build.ninja ]]; then
  meson setup build >/dev/null
fi
ninja -C build app/fptcp-server >/dev/null
exec ./build/app/fptcp-server "$@"
