#!/bin/bash
# SPDX-License-Identifier: LGPL-2.0-or-later
# Network modes: none, host, and proxy (the allowlist through the built-in
# proxy), end to end with curl, Python, Node, Java and git inside the sandbox.
#
# Everything runs in a network and mount namespace this test makes: its lo
# carries extra addresses (a "private" 10.77.0.1, the metadata address
# 169.254.169.254, a "public" 198.51.100.7) where the upstream servers
# listen, and its own hosts file names them, so the proxy's resolver and
# the address rules are exercised without any traffic leaving the machine.
. "${AJ_SRCDIR:?}/tests/lib.sh"

HP=18080 EP=18007 TP=18443
NET_ADDRS="127.0.0.1 10.77.0.1 169.254.169.254 198.51.100.7"

# testnet CMD...: CMD in this test's own network and mount namespaces.
# Unprivileged, through a user namespace mapped to root (to set the
# namespaces up) and a second one mapping back to our uid, so agentjail
# inside still runs unprivileged.
testnet() {
	local setup='ip link set lo up && ip addr add 10.77.0.1/32 dev lo &&
		ip addr add 169.254.169.254/32 dev lo && ip addr add 198.51.100.7/32 dev lo &&
		mount --bind "$AJT_DIR/hosts" /etc/hosts'
	if [ "$(id -u)" = 0 ]; then
		unshare --mount --net -- bash -c "$setup"' && exec "$@"' testnet "$@"
	else
		unshare --user --map-root-user --mount --net -- bash -c "$setup"' &&
			exec unshare --user --map-user='"$(id -u)"' --map-group='"$(id -g)"' -- "$@"' \
			testnet "$@"
	fi
}

make_fixtures() {
	local d=$1
	mkdir -p "$d/www"
	cat >"$d/hosts" <<-EOF
		127.0.0.1 localhost
		127.0.0.1 up.test evil.test
		127.0.0.1 wild.test a.wild.test b.c.wild.test evil.wild.test
		198.51.100.7 public.test
		10.77.0.1 private.test
		169.254.169.254 metadata.test
	EOF
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 1 \
		-subj /CN=up.test -addext subjectAltName=DNS:up.test \
		-keyout "$d/key.pem" -out "$d/cert.pem" >/dev/null 2>&1 || return 1
	git init -q "$d/src" &&
		git -C "$d/src" -c user.email=t@t.test -c user.name=t commit -q --allow-empty \
			-m "proxied commit" &&
		git clone -q --bare "$d/src" "$d/www/repo.git" &&
		git -C "$d/www/repo.git" update-server-info || return 1
	chmod -R a+rX "$d"
}

start_servers() {
	local d=$1
	/usr/bin/python3 "$AJ_SRCDIR/tests/launch/netserver.py" "$d/ready" "$d/www" "$HP" "$EP" "$TP" \
		"$d/cert.pem" "$d/key.pem" $NET_ADDRS >"$d/server.log" 2>&1 &
	SRV=$!
	wait_for_file "$d/ready"
}

# The body of a response that curl -i printed: after the blank line.
body_of() {
	printf '%s\n' "$1" | tr -d '\r' | sed '1,/^$/d'
}

# proxy_of PID: the agentjail-proxy child of agentjail PID, once it is there.
proxy_of() {
	local px
	for _ in $(seq 100); do
		px=$(ps -o pid=,comm= --ppid "$1" | awk '$2 == "agentjail-proxy" {print $1}')
		[ -n "$px" ] && break
		sleep 0.02
	done
	echo "$px"
}

rss_kib() {
	awk '/^VmRSS/ {print $2}' "/proc/$1/status" 2>/dev/null
}

# The relay's bulk buffer (8 MiB) is the proxy's only per-transfer memory:
# touched by a big download, given back once no connection moves data.
# Called from inner_tests (its SB, PX, UP, PY and D).
relay_memory_given_back() {
	local m=$D/relay-mark aj px r0 r1
	rm -rf "$m" && mkdir "$m"
	"$AJ" "${PX[@]}" "${UP[@]}" --bind "$m" /mark sh -c \
		'/usr/bin/python3 /t/netclient.py get "$1/hello" >/mark/warm 2>&1
		 until [ -e /mark/go ]; do sleep 0.05; done
		 /usr/bin/python3 /t/netclient.py get "$1/bytes/67108864" 67108864 >/mark/get.out 2>&1
		 touch /mark/done; until [ -e /mark/end ]; do sleep 0.05; done' \
		sh "http://up.test:$HP" >/dev/null 2>"$m/aj.err" &
	aj=$!
	px=$(proxy_of "$aj")
	wait_for_file "$m/warm" 600 # the resolver's threads and the like are up
	sleep 0.3
	r0=$(rss_kib "$px")
	touch "$m/go"
	wait_for_file "$m/done" 600
	sleep 0.5 # more than one sweep of the loop
	r1=$(rss_kib "$px")
	touch "$m/end"
	wait "$aj"
	expect_eq "64 MiB through the proxy, while its memory is watched" \
		"get: 67108864 bytes intact" "$(cat "$m/get.out")"
	# Kept, the buffer adds 8 MiB; ASan's shadow of it (1 MiB) stays either way.
	if [ -n "$r0" ] && [ -n "$r1" ] && [ $((r1 - r0)) -lt 2048 ]; then
		tap_ok "the relay gives its bulk buffer back when idle (RSS $r0 -> $r1 KiB)"
	else
		tap_not_ok "the relay gives its bulk buffer back when idle" \
			"proxy RSS before ${r0:-?} KiB, after ${r1:-?} KiB; $(cat "$m/aj.err")"
	fi
}

# The proxy reads the resolver's files and nothing of the user's (proxy.c,
# confine()); agentjail-test's proxy says what it could open.  Called from
# inner_tests (its PX, UP and D).
proxy_confined() {
	local abi f
	if [ -z "${AGENTJAIL_TEST:-}" ]; then
		tap_skip "the proxy's own confinement" "no agentjail-test build (AGENTJAIL_TEST)"
		return
	fi
	abi=$("$PROBE" landlock-abi | awk '{ print $2 }')
	if [ "${abi:-0}" -lt 1 ]; then
		tap_skip "the proxy's own confinement" "no Landlock on this kernel"
		return
	fi
	echo "a secret of the user's" >"$D/secret"
	for f in "$D/secret:Permission denied" /etc/hosts:ok /usr/bin/env:ok; do
		run env AGENTJAIL_TEST_PROXY_OPEN="${f%%:*}" "$AGENTJAIL_TEST" "${PX[@]}" "${UP[@]}" \
			"${PY[@]}" get "http://up.test:$HP/hello"
		expect_eq "the confined proxy opening ${f%%:*}: ${f#*:} (and still serving)" \
			"agentjail: proxy: test: open ${f%%:*}: ${f#*:}|get: hello from 127.0.0.1" \
			"$(printf '%s\n' "$ERR" | grep 'proxy: test:')|$OUT"
	done
}

inner_tests() {
	local D=$AJT_DIR
	local SB=("${BASE[@]}" --proc /proc --dev /dev --tmpfs /tmp --ro-bind "$AJ_SRCDIR/tests/launch" /t
		  --ro-bind "$D" "$D" --setenv HOME /tmp)
	local PX=("${SB[@]}" --net proxy)
	local UP=(--allow-host up.test --allow-host 127.0.0.1)
	local PY=(/usr/bin/python3 /t/netclient.py)
	local t0 t1

	if ! ip -br addr show lo | grep -q 198.51.100.7; then
		tap_not_ok "the test's own network namespace is set up" "$(ip -br addr 2>&1)"
		return
	fi
	if ! start_servers "$D"; then
		tap_not_ok "upstream servers start" "$(cat "$D/server.log")"
		return
	fi
	trap 'kill "$SRV" 2>/dev/null' EXIT

	# ---- none and host ----
	run "$PROBE" connect 198.51.100.7 "$HP"
	expect_eq "outside the sandbox the server is reachable (sanity)" "connect ok" "$OUT"
	run "$AJ" "${SB[@]}" --net none /probe connect 198.51.100.7 "$HP"
	expect_eq "--net none: no route out" "connect ENETUNREACH" "$OUT"
	run "$AJ" "${SB[@]}" --net none /probe connect 127.0.0.1 "$HP"
	expect_eq "--net none: loopback is the sandbox's own" "connect ECONNREFUSED" "$OUT"
	# The sandbox's lo takes 512 KiB packets (BIG TCP; IPv4's from kernel 6.3,
	# which then reports the attribute for any lo, this test's own too).
	local v4=-
	/usr/bin/python3 "$AJ_SRCDIR/tests/launch/netclient.py" lo | grep -q "gso_ipv4_max_size [0-9]" &&
		v4=524280
	run "$AJ" "${SB[@]}" --net none "${PY[@]}" lo
	expect_eq "--net none: lo is up, with large packets" \
		"$(printf 'lo: %s\n' 'name lo' 'up yes' 'gso_max_size 524280' 'gro_max_size 524280' \
			"gso_ipv4_max_size $v4" "gro_ipv4_max_size $v4")" "$OUT"
	run "$AJ" "${SB[@]}" --net host /probe connect 198.51.100.7 "$HP"
	expect_eq "--net host: the host's network" "connect ok" "$OUT"
	run "$AJ" "${SB[@]}" --unshare-all --net host /probe connect 127.0.0.1 "$HP"
	expect_eq "--net host wins over --unshare-all" "connect ok" "$OUT"
	run "$AJ" "${SB[@]}" --share-net --net none /probe connect 127.0.0.1 "$HP"
	expect_eq "--net none wins over --share-net" "connect ECONNREFUSED" "$OUT"

	# ---- the proxy: clients ----
	run "$AJ" "${PX[@]}" "${UP[@]}" curl -sS --max-time 20 "http://up.test:$HP/hello"
	expect_eq "curl: plain HTTP through the proxy (http_proxy)" "hello from 127.0.0.1" "$OUT"
	run "$AJ" "${PX[@]}" "${UP[@]}" curl -sS --max-time 20 -p "http://up.test:$HP/hello"
	expect_eq "curl: CONNECT tunnel" "hello from 127.0.0.1" "$OUT"
	run "$AJ" "${PX[@]}" "${UP[@]}" curl -sS --max-time 20 --cacert "$D/cert.pem" \
		"https://up.test:$TP/hello"
	expect_eq "curl: https through CONNECT (https_proxy)" "hello from 127.0.0.1" "$OUT"
	run "$AJ" "${PX[@]}" "${UP[@]}" curl -sS --max-time 20 -x socks5h://127.0.0.1:3128 \
		"http://up.test:$HP/hello"
	expect_eq "curl: SOCKS5 with a host name" "hello from 127.0.0.1" "$OUT"
	run "$AJ" "${PX[@]}" "${UP[@]}" "${PY[@]}" get "http://up.test:$HP/hello"
	expect_eq "python urllib: http" "get: hello from 127.0.0.1" "$OUT"
	run "$AJ" "${PX[@]}" "${UP[@]}" --setenv AJT_CA "$D/cert.pem" "${PY[@]}" get \
		"https://up.test:$TP/hello"
	expect_eq "python urllib: https" "get: hello from 127.0.0.1" "$OUT"
	run "$AJ" "${PX[@]}" "${UP[@]}" "${PY[@]}" socks up.test "$EP"
	expect_eq "SOCKS5 by hand: method, reply, echo" \
		"$(printf 'socks-method: 0500\nsocks-reply: 0500\nsocks-echo: ping')" "$OUT"
	run "$AJ" "${PX[@]}" "${UP[@]}" curl -sS --max-time 20 "http://up.test:$HP/headers"
	expect_match "plain HTTP: the server is told the checked host" "^Host: up.test:$HP" "$OUT"
	expect_no_match "plain HTTP: no Proxy- fields reach the server" "^Proxy-" "$OUT"
	if command -v node >/dev/null; then
		run "$AJ" "${PX[@]}" "${UP[@]}" node -e '
			require("http").get({host: "127.0.0.1", port: 3128, path: process.argv[1]}, r => {
				let d = ""; r.on("data", c => d += c); r.on("end", () => console.log(d.trim()));
			}).on("error", e => console.log("error", e.message));' "http://up.test:$HP/hello"
		expect_eq "node: http through the proxy" "hello from 127.0.0.1" "$OUT"
		# NODE_USE_ENV_PROXY: Node 24, and 22 from 22.21.
		if node -e 'const [a, b] = process.versions.node.split(".").map(Number);
				process.exit(a >= 24 || (a === 22 && b >= 21) ? 0 : 1)'; then
			run "$AJ" "${PX[@]}" "${UP[@]}" node -e 'fetch(process.argv[1]).then(r => r.text())
				.then(t => console.log(t.trim()), e => console.log("error", e.message))' \
				"http://up.test:$HP/hello"
			expect_eq "node: fetch() follows the variables (NODE_USE_ENV_PROXY)" \
				"hello from 127.0.0.1" "$OUT"
		else
			tap_skip "node: fetch() follows the variables (NODE_USE_ENV_PROXY)" \
				"node $(node --version) predates NODE_USE_ENV_PROXY"
		fi
	else
		tap_skip "node through the proxy" "node is not installed"
	fi
	if command -v java >/dev/null && [ -d /etc/alternatives ]; then
		run "$AJ" "${PX[@]}" "${UP[@]}" --ro-bind /etc/alternatives /etc/alternatives \
			--ro-bind-try /etc/java-17-openjdk /etc/java-17-openjdk java /t/Fetch.java \
			"http://up.test:$HP/hello"
		expect_eq "java: HttpURLConnection through the proxy (JAVA_TOOL_OPTIONS)" \
			"hello from 127.0.0.1" "$OUT"
	else
		tap_skip "java through the proxy" "java is not installed"
	fi
	run "$AJ" "${PX[@]}" "${UP[@]}" sh -c "git clone -q http://up.test:$HP/repo.git /tmp/r &&
		git -C /tmp/r log --format=%s"
	expect_eq "git clone over http through the proxy" "proxied commit" "$OUT"

	# ---- the proxy: refusals ----
	run "$AJ" "${PX[@]}" "${UP[@]}" curl -sS -i --max-time 20 -p "http://evil.test:$HP/hello"
	expect_match "a host not allowed: 403 to CONNECT" "^HTTP/1.1 403 Forbidden" "$OUT"
	expect_match "the 403 says why, in a Proxy-Status field (curl shows no CONNECT body)" \
		"^Proxy-Status: agentjail; error=http_request_denied; details=\"agentjail: CONNECT to evil.test:$HP refused: port $HP of this host is not in the allow list\"" \
		"$(printf '%s\n' "$OUT" | tr -d '\r')"
	run "$AJ" "${PX[@]}" "${UP[@]}" curl -sS -i --max-time 20 "http://evil.test:$HP/hello"
	expect_eq "the 403 body says why" \
		"agentjail: HTTP to evil.test:$HP refused: port $HP of this host is not in the allow list" \
		"$(body_of "$OUT")"
	run "$AJ" "${PX[@]}" "${UP[@]}" curl -sS -i --max-time 20 "http://evil.test:$HP/hello"
	expect_match "a host not allowed: 403 to plain HTTP" "^HTTP/1.1 403 Forbidden" "$OUT"
	run "$AJ" "${PX[@]}" "${UP[@]}" "${PY[@]}" get "http://evil.test:$HP/hello"
	expect_eq "python sees the 403 and its reason" \
		"get: HTTP 403 agentjail: HTTP to evil.test:$HP refused: port $HP of this host is not in the allow list" \
		"$OUT"
	run "$AJ" "${PX[@]}" "${UP[@]}" "${PY[@]}" socks evil.test "$EP"
	expect_eq "SOCKS5: a host not allowed gets 'not allowed by ruleset'" \
		"$(printf 'socks-method: 0500\nsocks-reply: 0502')" "$OUT"
	run "$AJ" "${PX[@]}" --allow-host up.test:443 --allow-host 127.0.0.1 curl -sS -i -p \
		"http://up.test:$HP/hello"
	expect_match "a pattern with a port allows only that port" "^HTTP/1.1 403" "$OUT"
	run "$AJ" "${PX[@]}" --verbose "${UP[@]}" curl -sS -p "http://evil.test:$HP/hello"
	expect_match "--verbose logs the refusal" \
		"agentjail: proxy: deny evil.test:$HP \(CONNECT\): port $HP of this host is not in the allow list" \
		"$ERR"
	run "$AJ" "${PX[@]}" --verbose "${UP[@]}" curl -sS -p "http://up.test:$HP/hello"
	expect_match "--verbose logs the decision and the bytes" \
		"agentjail: proxy: allow up.test:$HP \(CONNECT\): allowed by 'up.test'.*agentjail: proxy: closed up.test:$HP: [0-9]+ bytes up, [0-9]+ down" \
		"$(echo $ERR)"
	run "$AJ" "${PX[@]}" curl -sS -i -p "http://up.test:$HP/hello"
	expect_match "no --allow-host: a notice, and every host refused" \
		"--net proxy without --allow-host: every connection will be refused" "$ERR"
	expect_match "no --allow-host: 403" "^HTTP/1.1 403" "$OUT"

	# Wildcards and deny-over-allow.
	local W=(--allow-host '*.wild.test' --deny-host evil.wild.test --allow-host 127.0.0.1)
	run "$AJ" "${PX[@]}" "${W[@]}" sh -c "for h in a.wild.test b.c.wild.test wild.test evil.wild.test; do
		curl -s -o /dev/null -w '%{http_code} ' --max-time 20 http://\$h:$HP/hello; done"
	expect_eq "'*.wild.test' allows a. and b.c., not the domain; deny wins" "200 200 403 403 " "$OUT"
	run "$AJ" "${PX[@]}" "${W[@]}" curl -s --max-time 20 "http://evil.wild.test:$HP/hello"
	expect_eq "deny-over-allow says so" \
		"agentjail: HTTP to evil.wild.test:$HP refused: denied by 'evil.wild.test'" "$OUT"
	run "$AJ" "${PX[@]}" "${UP[@]}" --deny-host 127.0.0.1 curl -s --max-time 20 "http://up.test:$HP/hello"
	expect_eq "a denied address refuses the names resolving to it" \
		"agentjail: HTTP to up.test:$HP refused: 127.0.0.1 is denied by '127.0.0.1'" "$OUT"

	# Addresses: loopback, metadata, private, literals.
	run "$AJ" "${PX[@]}" --allow-host up.test curl -s --max-time 20 "http://up.test:$HP/hello"
	expect_eq "a name resolving to loopback is refused unless the address is allowed" \
		"agentjail: HTTP to up.test:$HP refused: 127.0.0.1 is a loopback address; only an --allow-host naming it opens it" \
		"$OUT"
	run "$AJ" "${PX[@]}" --allow-host metadata.test curl -s --max-time 20 "http://metadata.test:$HP/hello"
	expect_eq "a name resolving to the metadata address is refused" \
		"agentjail: HTTP to metadata.test:$HP refused: 169.254.169.254 is a link-local address; only an --allow-host naming it opens it" \
		"$OUT"
	run "$AJ" "${PX[@]}" --allow-host '*' curl -s --max-time 20 "http://169.254.169.254:$HP/hello"
	expect_eq "the metadata address as a literal is refused under '*'" \
		"agentjail: HTTP to 169.254.169.254:$HP refused: an IP address is allowed only when an --allow-host names it" \
		"$OUT"
	run "$AJ" "${PX[@]}" --allow-host 169.254.169.254 curl -s --max-time 20 "http://169.254.169.254:$HP/hello"
	expect_eq "... and reachable when named explicitly (so the refusals above are the policy's)" \
		"hello from 169.254.169.254" "$OUT"
	run "$AJ" "${PX[@]}" --allow-host private.test curl -s --max-time 20 "http://private.test:$HP/hello"
	expect_eq "a name resolving to a private address is refused" \
		"agentjail: HTTP to private.test:$HP refused: 10.77.0.1 is a private address; only an --allow-host naming it opens it" \
		"$OUT"
	run "$AJ" "${PX[@]}" --allow-host private.test --allow-host 10.77.0.0/16 curl -s --max-time 20 \
		"http://private.test:$HP/hello"
	expect_eq "a private range named explicitly opens it" "hello from 10.77.0.1" "$OUT"
	run "$AJ" "${PX[@]}" --allow-host public.test curl -s --max-time 20 "http://public.test:$HP/hello"
	expect_eq "a name resolving to a public address needs no address rule" \
		"hello from 198.51.100.7" "$OUT"
	run "$AJ" "${PX[@]}" --allow-host '*' curl -s --max-time 20 "http://198.51.100.7:$HP/hello"
	expect_eq "an IP literal is refused under '*'" \
		"agentjail: HTTP to 198.51.100.7:$HP refused: an IP address is allowed only when an --allow-host names it" \
		"$OUT"
	run "$AJ" "${PX[@]}" --allow-host '*' "${PY[@]}" get "http://3325256711:$HP/hello"
	expect_match "an IP literal in another spelling is refused too" \
		"^get: HTTP 403 agentjail: HTTP to 198.51.100.7:$HP refused: an IP address" "$OUT"
	run "$AJ" "${PX[@]}" --allow-host 198.51.100.7:$HP curl -s --max-time 20 "http://198.51.100.7:$HP/hello"
	expect_eq "an IP literal allowed literally" "hello from 198.51.100.7" "$OUT"

	# ---- isolation ----
	run "$AJ" "${PX[@]}" "${UP[@]}" "${PY[@]}" resolve up.test
	expect_match "no name resolution inside" "^resolve: failed" "$OUT"
	run "$AJ" "${PX[@]}" "${UP[@]}" "${PY[@]}" udp 10.77.0.1 53
	expect_eq "no DNS (or any UDP) out of the sandbox" "udp: ENETUNREACH" "$OUT"
	run "$AJ" "${PX[@]}" "${UP[@]}" /probe connect 198.51.100.7 "$HP"
	expect_eq "a direct connection to an outside address fails" "connect ENETUNREACH" "$OUT"
	run "$AJ" "${PX[@]}" "${UP[@]}" /probe connect 127.0.0.1 "$HP"
	expect_eq "the host's loopback is not the sandbox's" "connect ECONNREFUSED" "$OUT"

	# ---- volume, concurrency, hostile clients, shutdown ----
	run "$AJ" "${PX[@]}" "${UP[@]}" "${PY[@]}" get "http://up.test:$HP/bytes/67108864" 67108864
	expect_eq "64 MiB through plain HTTP, checksummed" "get: 67108864 bytes intact" "$OUT"
	run "$AJ" "${PX[@]}" "${UP[@]}" --setenv AJT_CA "$D/cert.pem" "${PY[@]}" get \
		"https://up.test:$TP/bytes/33554432" 33554432
	expect_eq "32 MiB through CONNECT and TLS, checksummed" "get: 33554432 bytes intact" "$OUT"
	run "$AJ" "${PX[@]}" "${UP[@]}" "${PY[@]}" post "http://up.test:$HP/sha256" 33554432
	expect_eq "32 MiB uploaded, checksummed" "post: intact" "$OUT"
	run "$AJ" "${PX[@]}" "${UP[@]}" "${PY[@]}" slowget "http://up.test:$HP/bytes/33554432" 33554432
	expect_eq "32 MiB to a slow reader (the relay waits on a full socket), checksummed" \
		"slowget: 33554432 bytes intact" "$OUT"
	relay_memory_given_back
	run "$AJ" "${PX[@]}" "${UP[@]}" "${PY[@]}" many up.test "$EP" 300
	expect_eq "300 connections open at once" "many: 300/300 intact" "$OUT"
	run "$AJ" "${PX[@]}" "${UP[@]}" "${PY[@]}" hostile up.test "$HP" "$EP"
	expect_eq "hostile clients get an answer and do not disturb the others" \
		"$(printf '%s\n' 'malformed: 400' 'huge-header: 431' 'half-closed-header: 400' \
			'binary: 400' 'half-close-tunnel: ok' 'served-beside-slow-clients: ok' \
			'slow-clients-answered: 408' 'still-serving: after')" "$OUT"
	t0=$(date +%s%N)
	run "$AJ" "${PX[@]}" --unshare-pid --verbose "${UP[@]}" "${PY[@]}" hold up.test "$EP" 10
	t1=$(date +%s%N)
	expect_eq "a command leaving tunnels open exits" "hold: open" "$OUT"
	expect_eq "the proxy closes them and logs their bytes" 10 \
		"$(printf '%s\n' "$ERR" | grep -c "proxy: closed up.test:$EP: 1000 bytes up, 1000 down")"
	if [ $(((t1 - t0) / 1000000)) -lt 3000 ]; then
		tap_ok "open connections do not hold the exit up ($(((t1 - t0) / 1000000)) ms)"
	else
		tap_not_ok "open connections do not hold the exit up" "took $(((t1 - t0) / 1000000)) ms"
	fi

	# A proxy that dies (an OOM kill, a bug) is reported, not silent.
	local aj px
	"$AJ" "${PX[@]}" "${UP[@]}" /probe sleep 2 >/dev/null 2>"$D/crash.err" &
	aj=$!
	px=$(proxy_of "$aj")
	[ -n "$px" ] && kill -KILL "$px"
	wait "$aj"
	expect_match "a proxy that dies while the command runs is reported" \
		"^agentjail: proxy: ended unexpectedly \(signal 9\): the sandbox has no network any more$" \
		"$(cat "$D/crash.err")"

	proxy_confined

	# ---- the environment ----
	run env HTTP_PROXY=http://corp.test:8080 JAVA_TOOL_OPTIONS=-Xmx1g "$AJ" "${PX[@]}" "${UP[@]}" \
		--setenv HTTPS_PROXY http://chain.test:1 /probe env
	expect_eq "proxy variables inside (an inherited one replaced, a --setenv one kept)" \
		"$(printf '%s\n' ALL_PROXY=http://127.0.0.1:3128 GRPC_PROXY=http://127.0.0.1:3128 \
			HTTPS_PROXY=http://chain.test:1 HTTP_PROXY=http://127.0.0.1:3128 \
			'JAVA_TOOL_OPTIONS=-Xmx1g -Dhttp.proxyHost=127.0.0.1 -Dhttp.proxyPort=3128 -Dhttps.proxyHost=127.0.0.1 -Dhttps.proxyPort=3128 -Dhttp.nonProxyHosts=localhost|127.0.0.1|[::1]' \
			NODE_USE_ENV_PROXY=1 NO_PROXY=localhost,127.0.0.1,::1 \
			all_proxy=http://127.0.0.1:3128 grpc_proxy=http://127.0.0.1:3128 \
			http_proxy=http://127.0.0.1:3128 https_proxy=http://127.0.0.1:3128 \
			no_proxy=localhost,127.0.0.1,::1)" \
		"$(printf '%s\n' "$OUT" | grep -Ei '^([a-z]+_proxy|node_use_env_proxy|java_tool_options)=' | LC_ALL=C sort)"
	run "$AJ" "${SB[@]}" --net none /probe env
	expect_no_match "--net none sets no proxy variables" "_PROXY=" "$OUT"
}

tests() {
	local d
	if ! command -v ip >/dev/null || ! command -v openssl >/dev/null; then
		tap_skip "network tests" "ip (iproute2) or openssl missing"
		return
	fi
	d=$(mktemp -d /var/tmp/aj-net.XXXXXX)
	chmod 755 "$d"
	if ! make_fixtures "$d" || ! AJT_DIR=$d testnet true 2>"$d/err"; then
		tap_skip "network tests" "cannot make a network namespace: $(cat "$d/err" 2>/dev/null)"
		rm -rf "$d"
		return
	fi
	tap_relay < <(AJT_DIR=$d AJT_INNER=$AJ_MODE testnet bash "$0" 2>&1)
	rm -rf "$d"
}

if [ -n "${AJT_INNER:-}" ]; then
	AJ_MODE=$AJT_INNER
	inner_tests
	exit 0
fi
aj_main
