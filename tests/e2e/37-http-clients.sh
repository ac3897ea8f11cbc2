#!/usr/bin/env bash
# End to end in TAP mode, issue 10 "HTTP as clients speak it" (RFC 7230/7231):
# curl's HEAD, a request-target in absolute form, a 1 KB head in 7-byte
# segments, HTTP/1.1 without Host, an oversized head, the 408 of a stalled
# request and the graceful close (FIN, no RST) after an error reply while the
# client is still sending, a cross-site POST (foreign Origin) refused with 403.
# Raw-socket cases: tests/e2e/http_raw.py.
# Layer: e2e test. Needs root, build/stm32net-sim, iproute2, busybox, curl,
# python3. Network: namespace stm32net-http-<pid> only, deleted on exit.
set -euo pipefail
E2E_NAME=37-http-clients
source "$(dirname "$0")/lib.sh"

e2e_need_root
e2e_need ip busybox curl python3 stdbuf timeout
e2e_need_sim
e2e_init

e2e_tap_client stm32net-http

# HEAD: the GET's status and Content-Length, no body (RFC 7231 4.3.2)
get_len=$(nsx curl -sS -m 5 -o /dev/null -w '%{size_download}' "http://$DEV/")
head_out=$(nsx curl -sS -m 5 -I "http://$DEV/" 2>&1 | tr -d '\r')
e2e_expect "HEAD / status" "HTTP/1.0 200 OK" "$(head -n1 <<<"$head_out")"
e2e_expect "HEAD / Content-Length = GET body" "$get_len" "$(sed -n 's/^Content-Length: //p' <<<"$head_out")"
hb=$(nsx curl -sS -m 5 -I -o /dev/null -w '%{http_code} %{size_download}' "http://$DEV/api/status" 2>&1 || true)
e2e_expect "HEAD /api/status: status, body bytes" "200 0" "$hb"

# absolute-form (RFC 7230 5.3.2), via curl and raw
code=$(nsx curl -sS -m 5 -o /dev/null -w '%{http_code}' --request-target "http://$DEV/api/status" "http://$DEV/" || true)
e2e_expect "curl absolute-form target" 200 "$code"
# a big header block: 431 (RFC 6585 5)
big=$(head -c 1100 /dev/zero | tr '\0' c)
code=$(nsx curl -sS -m 5 -o /dev/null -w '%{http_code}' -H "Cookie: $big" "http://$DEV/" || true)
e2e_expect "1.1 KB of headers" 431 "$code"
long=$(head -c 200 /dev/zero | tr '\0' a)
code=$(nsx curl -sS -m 5 -o /dev/null -w '%{http_code}' "http://$DEV/$long" || true)
e2e_expect "200-byte request-target" 414 "$code"

# a cross-site POST (any page in the browser could submit it as a form): 403
# and the LED stays off (RFC 6454 Origin); the same POST without Origin is
# served, as for any script
code=$(nsx curl -sS -m 5 -o "$E2E_TMP/xo" -w '%{http_code}' -H 'Origin: http://evil.example' \
  -d 'n=1&state=on' "http://$DEV/api/led" || true)
e2e_expect "POST /api/led with Origin: http://evil.example" "403 {\"error\":\"cross-origin request refused\"}" \
  "$code $(cat "$E2E_TMP/xo" 2>/dev/null)"
leds=$(nsx curl -sS -m 5 "http://$DEV/api/status" | python3 -c 'import json,sys; print(json.load(sys.stdin)["leds"])' || true)
e2e_expect "LEDs after the refused POST" "[0, 0, 0, 0]" "$leds"
code=$(nsx curl -sS -m 5 -o /dev/null -w '%{http_code}' -H "Origin: http://$DEV" \
  -d 'n=1&state=on' "http://$DEV/api/led" || true)
leds=$(nsx curl -sS -m 5 "http://$DEV/api/status" | python3 -c 'import json,sys; print(json.load(sys.stdin)["leds"])' || true)
e2e_expect "same-origin POST /api/led: status, LEDs" "200 [0, 1, 0, 0]" "$code $leds"
code=$(nsx curl -sS -m 5 -o /dev/null -w '%{http_code}' -d 'n=1&state=off' "http://$DEV/api/led" || true)
e2e_expect "POST /api/led without Origin" 200 "$code"

raw() { nsx timeout 20 python3 "$E2E_ROOT/tests/e2e/http_raw.py" "$DEV" "$1" 2>&1 || true; }
r() { sed -n "s/^HTTP $1 //p" <<<"$out"; }
out=$(raw segmented); e2e_expect "1 KB head in 7-byte segments" "200 1" "$(r status) $(r json)"
out=$(raw nohost); e2e_expect "HTTP/1.1 without Host" 400 "$(r status)"
out=$(raw absolute); e2e_expect "raw absolute-form GET" "200 1" "$(r status) $(r json)"
out=$(raw close); e2e_expect "error reply while the client sends: status, then FIN (no RST)" "501 fin" "$(r status) $(r end)"
out=$(raw slow)
e2e_expect "half a request: 408, then FIN" "408 fin" "$(r status) $(r end)"
ms=$(r after_ms)
[[ "$ms" =~ ^[0-9]+$ ]] && [ "$ms" -ge 1900 ] && [ "$ms" -le 3500 ] && e2e_ok "408 after $ms ms (timeout 2 s)" ||
  e2e_no "408 after \"$ms\" ms, expected about 2000"
kill -0 "$E2E_SIM_PID" 2>/dev/null || e2e_no "the simulator exited"
[ $E2E_BAD -eq 0 ] || e2e_fail "HTTP client checks failed"
e2e_log PASS
