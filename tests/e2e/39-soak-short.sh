#!/usr/bin/env bash
# 39-soak-short.sh - the short version of make soak (scripts/soak.sh) for
# make test: 300 HTTP requests, 300 DNS queries and 200 pings at once, the
# simulator stopped for 6 s, tap0 down and up under traffic, the load again,
# and the simulator's resident memory unchanged in the second round; then
# through the QEMU guest's kernel 3 detach/attach cycles (lease + page each)
# and 20 HTTP + 20 DNS requests with pings.
# Layer: e2e test. Needs what scripts/soak.sh needs (root, busybox, curl,
# dig, qemu-system-x86_64, the cached guest).
set -euo pipefail
cd "$(dirname "$0")/../.."
SOAK_HTTP=300 SOAK_DNS=300 SOAK_PINGS=200 SOAK_CYCLES=3 SOAK_GUEST_REQS=20 exec bash scripts/soak.sh
