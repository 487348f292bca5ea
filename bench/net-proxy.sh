#!/bin/bash
# SPDX-License-Identifier: LGPL-2.0-or-later
# --net proxy against a direct connection, measured in the same run:
#   throughput of a 1 GiB download on loopback   (target: >= 70% of direct)
#   added latency per connection, median          (target: < 1 ms)
#   startup of `true`: --net proxy vs --net none  (target: within 1.5x)
#   memory per open connection in the proxy
#
#   bench/net-proxy.sh [path/to/agentjail]     (default: build/agentjail)
#
# Both clients run inside agentjail: the direct one with --net host, the
# proxied one with --net proxy, so only the path of the bytes differs.
set -eu
cd "$(dirname "$0")/.."
AJ=${1:-build/agentjail}
[ -x "$AJ" ] || { echo "no agentjail at $AJ (meson setup build && ninja -C build)"; exit 1; }
PORT=${PORT:-18181}
BYTES=$((1 << 30))
ROUNDS=${ROUNDS:-3}
PINGS=${PINGS:-500}
CONNS=${CONNS:-500}
STARTS=${STARTS:-40}

W=$(mktemp -d /var/tmp/aj-bench.XXXXXX)
chmod 755 "$W"
SRV=
cleanup() {
	[ -n "$SRV" ] && kill "$SRV" 2>/dev/null
	rm -rf "$W"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

${CC:-cc} -O2 -pthread -o "$W/netbench" bench/netbench.c
"$W/netbench" serve "$PORT" >"$W/server.out" &
SRV=$!
for _ in $(seq 100); do grep -q listening "$W/server.out" 2>/dev/null && break; sleep 0.05; done
grep -q listening "$W/server.out" || { echo "the server did not start (port $PORT taken? set PORT=)"; exit 1; }

SB=(--ro-bind /usr /usr --symlink usr/bin /bin --symlink usr/lib /lib --symlink usr/lib64 /lib64
    --bind "$W" "$W" --proc /proc --dev /dev --unshare-pid --die-with-parent)
DIRECT=("$AJ" "${SB[@]}" --net host)
PROXY=("$AJ" "${SB[@]}" --net proxy --allow-host 127.0.0.1:"$PORT")
NB="$W/netbench"

median() { sort -n | awk '{v[NR]=$1} END {print (NR % 2) ? v[(NR+1)/2] : (v[NR/2]+v[NR/2+1])/2}'; }

echo "== load before: $(cut -d' ' -f1-3 /proc/loadavg) (other work on the machine skews the ratios)"
echo "== throughput: 1 GiB download on loopback, best of $ROUNDS (MB/s)"
d_all= p_all=
for _ in $(seq "$ROUNDS"); do
	d_all="$d_all $("${DIRECT[@]}" "$NB" get 127.0.0.1 "$PORT" "$BYTES")"
	p_all="$p_all $("${PROXY[@]}" "$NB" get 127.0.0.1 "$PORT" "$BYTES" proxy)"
done
d=$(echo $d_all | tr ' ' '\n' | sort -n | tail -1)
p=$(echo $p_all | tr ' ' '\n' | sort -n | tail -1)
echo "direct: $d_all"
echo "proxy:  $p_all"
printf 'throughput: direct %s MB/s, proxy %s MB/s, ratio %.2f (target >= 0.70)\n' "$d" "$p" \
	"$(echo "$p / $d" | bc -l)"

echo "== latency: $PINGS connections, connect + request + reply (microseconds)"
read -r dm d90 < <("${DIRECT[@]}" "$NB" ping 127.0.0.1 "$PORT" "$PINGS")
read -r pm p90 < <("${PROXY[@]}" "$NB" ping 127.0.0.1 "$PORT" "$PINGS" proxy)
echo "direct: median $dm, p90 $d90"
echo "proxy:  median $pm, p90 $p90"
echo "latency added per connection: median $((pm - dm)) us (target < 1000 us)"

echo "== startup of true: --net proxy vs --net none, $STARTS runs each, interleaved"
/usr/bin/python3 - "$AJ" "$STARTS" "${SB[@]}" <<'PY'
import statistics, subprocess, sys, time
aj, n, sb = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
modes = {"none": ["--net", "none"], "proxy": ["--net", "proxy", "--allow-host", "example.com"]}
times = {m: [] for m in modes}
for _ in range(n):
    for m, extra in modes.items():
        t0 = time.perf_counter()
        subprocess.run([aj, *sb, *extra, "true"], check=True)
        times[m].append((time.perf_counter() - t0) * 1000)
none, proxy = statistics.median(times["none"]), statistics.median(times["proxy"])
print(f"--net none:  median {none:.2f} ms")
print(f"--net proxy: median {proxy:.2f} ms")
print(f"startup ratio proxy/none: {proxy / none:.2f} (target <= 1.5)")
PY

echo "== memory: $CONNS connections held open through the proxy"
# The agentjail-proxy process below pid $1.
find_proxy() {
	local p q
	for p in $(ps -eo pid=,comm= | awk '$2 == "agentjail-proxy" {print $1}'); do
		q=$p
		while [ "$q" -gt 1 ]; do
			q=$(awk '{print $4}' "/proc/$q/stat" 2>/dev/null) || break
			[ "$q" = "$1" ] && { echo "$p"; return; }
		done
	done
}
rm -f "$W/start" "$W/held"
"${PROXY[@]}" "$NB" hold 127.0.0.1 "$PORT" "$CONNS" "$W" proxy &
pid=$!
for _ in $(seq 200); do [ -e "$W/start" ] && break; sleep 0.05; done
px=$(find_proxy "$pid")
r0=$(awk '/^VmRSS/ {print $2}' "/proc/$px/status")
for _ in $(seq 400); do [ -e "$W/held" ] && break; sleep 0.05; done
sleep 0.5
r1=$(awk '/^VmRSS/ {print $2}' "/proc/$px/status")
fds=$(ls "/proc/$px/fd" | wc -l)
wait "$pid"
echo "proxy RSS: $r0 KiB idle, $r1 KiB with $CONNS open tunnels ($fds fds)"
echo "user memory per open connection: $(( (r1 - r0) * 1024 / CONNS )) bytes (RSS growth)"
# Kernel objects the proxy holds per connection, sized from /proc/slabinfo (root):
# two TCP sockets (sock, socket inode, file, dentry) and two epoll items.
if [ -r /proc/slabinfo ]; then
	awk '{sz[$1] = $4} END {
		sock = sz["TCP"] + sz["sock_inode_cache"] + sz["filp"] + sz["dentry"]
		printf "kernel objects per open connection: about %d bytes (2 sockets of %d, 2 epoll items of %d)\n",
			2 * sock + 2 * sz["eventpoll_epi"], sock, sz["eventpoll_epi"]
	}' /proc/slabinfo
fi
echo "data buffered per connection: none in the proxy (what the other side cannot take yet stays in the sockets' queues); one 8 MiB relay buffer for all, given back when idle"
echo "== load after: $(cut -d' ' -f1-3 /proc/loadavg)"
