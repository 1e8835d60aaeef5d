#!/usr/bin/env bash
# What an application developer does with fptcp, out of the tree: install it
# (into a staging directory), build examples/ with make and pkg-config alone,
# and run the result: fptcp-fetch, linked against the installed libfptcp.so,
# downloads from the installed fptcp-server over a memif pair.
#
#   test/install/out_of_tree.sh BUILD_DIR
set -euo pipefail
build=$(realpath "$1")
src=$(cd "$(dirname "$0")/../.." && pwd)
stage=$(mktemp -d)
server=
trap '[[ -n $server ]] && kill $server 2>/dev/null; rm -rf "$stage"' EXIT

meson install -C "$build" --destdir "$stage" --no-rebuild --quiet
pc=$(find "$stage" -name fptcp.pc)
[[ -n $pc ]] || { echo "FAIL: meson install wrote no fptcp.pc" >&2; exit 1; }
libdir=$(dirname "$(dirname "$pc")")
bindir=$(dirname "$(find "$stage" -name fptcp-server -type f)")
# fptcp.pc is relocatable (its prefix is where it lies), so the staged
# install works as a real one would.
export PKG_CONFIG_PATH=$(dirname "$pc")
make -s -C "$src/examples" OUT="$stage"
# (ldd's output is kept whole first: grep -q would stop reading early, and
# pipefail would then count ldd's SIGPIPE as a failure.)
linked=$(LD_LIBRARY_PATH=$libdir ldd "$stage/fptcp-fetch")
grep -q "$libdir/libfptcp.so" <<<"$linked" || {
  echo "FAIL: fptcp-fetch does not link the installed libfptcp.so" >&2; echo "$linked" >&2; exit 1; }

socket=$stage/memif.sock
"$bindir/fptcp-server" --port "memif:$socket,role=server" --ip 10.99.7.2/24 --quiet --duration 30 \
  >"$stage/server.log" 2>&1 &
server=$!
for _ in $(seq 100); do [[ -S $socket ]] && break; sleep 0.1; done
LD_LIBRARY_PATH=$libdir "$stage/fptcp-fetch" --port "memif:$socket,role=client" --ip 10.99.7.3/24 \
  --url http://10.99.7.2/ --output "$stage/body" --timeout 10
size=$(stat -c %s "$stage/body")
echo "fptcp-fetch (built out of tree with pkg-config) fetched $size bytes from the installed fptcp-server"
[[ $size == 1024 ]] || { echo "FAIL: want the server's 1024-byte body, got $size bytes" >&2; exit 1; }
