#!/usr/bin/env bash
# 35-soak-short.sh - the short version of make soak (scripts/soak.sh) for
# make test: 300 HTTP requests, 300 DNS queries and 200 pings at once, the
# simulator stopped for 6 s, tap0 down and up under traffic, the load again,
# and the simulator's resident memory unchanged in the second round.
# Layer: e2e test. Needs what scripts/soak.sh needs (root, busybox, curl, dig).
set -euo pipefail
cd "$(dirname "$0")/../.."
SOAK_HTTP=300 SOAK_DNS=300 SOAK_PINGS=200 exec bash scripts/soak.sh
