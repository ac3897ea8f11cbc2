#!/usr/bin/env bash
# The user's entry point, end to end: build the Docker image from a clean
# context, run the simulator in a container (host networking, loopback port)
# and run the same real-kernel QEMU check as 50-kernel-usbip.sh against it:
# cdc_ether binds, DHCP lease, DNS answer, HTTP page, detach/re-attach.
# Starts a Docker engine when none runs and stops it again afterwards; makes the
# debian:bookworm base image locally when it is missing (no registry here).
set -euo pipefail
E2E_NAME=60-docker
source "$(dirname "$0")/lib.sh"
e2e_need docker timeout
e2e_init

IMAGE=stm32net:e2e
NAME=stm32net-e2e-$$
started_engine=""
engine_pid=""

docker_cleanup() {
  docker rm -f "$NAME" >/dev/null 2>&1 || true
  # build stages of earlier versions that no tag holds any more
  docker image prune -f --filter label=org.stm32net.stage=build >/dev/null 2>&1 || true
  if [ -n "$started_engine" ] && [ -n "$engine_pid" ]; then
    kill -TERM "$engine_pid" 2>/dev/null || true
    for _ in $(seq 100); do kill -0 "$engine_pid" 2>/dev/null || break; sleep 0.1; done
  fi
  e2e_cleanup
}
trap docker_cleanup EXIT

if ! timeout 10 docker info >/dev/null 2>&1; then
  command -v dockerd >/dev/null || e2e_fail "no Docker engine running and no dockerd to start (make deps installs docker.io)"
  e2e_log "starting a Docker engine for this test"
  # No bridge and no iptables changes: the test only uses host networking.
  dockerd --iptables=false --bridge=none >"$E2E_TMP/dockerd.log" 2>&1 &
  engine_pid=$!; started_engine=yes
  for _ in $(seq 300); do timeout 5 docker info >/dev/null 2>&1 && break; sleep 0.1; done
  timeout 10 docker info >/dev/null 2>&1 || { e2e_dump "dockerd log" "$E2E_TMP/dockerd.log"; e2e_fail "dockerd did not come up"; }
fi

bash "$E2E_ROOT/scripts/docker-base.sh" debian:bookworm || e2e_fail "cannot make the debian:bookworm base image"

e2e_log "docker build (context: the sources; build/ and third_party/ are ignored)"
start=$(date +%s)
if ! timeout 900 docker build --network host -t "$IMAGE" "$E2E_ROOT" >"$E2E_TMP/build.log" 2>&1; then
  tail -n 60 "$E2E_TMP/build.log"; e2e_fail "docker build failed"
fi
size=$(docker image inspect -f '{{.Size}}' "$IMAGE")
e2e_log "image $IMAGE built in $(( $(date +%s) - start )) s, size $((size / 1000)) kB ($(awk -v s="$size" 'BEGIN{printf "%.1f", s/1e6}') MB)"
[ "$size" -lt 100000000 ] || e2e_fail "image is $size bytes, the aim is under 100 MB"

# The container runs as a non-root user with nothing but the binary.
user=$(docker image inspect -f '{{.Config.User}}' "$IMAGE")
[ -n "$user" ] && [ "${user%%:*}" != 0 ] && [ "${user%%:*}" != root ] || e2e_fail "image runs as '$user', expected a non-root user"
docker run --rm "$IMAGE" --version | grep -q '^stm32net-sim ' || e2e_fail "the image does not run the simulator (--version)"
# Licences of what the image ships travel with it.
docker create --name "$NAME-lic" "$IMAGE" >/dev/null
docker export "$NAME-lic" | tar -t | grep -q '^usr/share/doc/lwip/COPYING$' || { docker rm -f "$NAME-lic" >/dev/null; e2e_fail "lwIP's COPYING is not in the image"; }
docker rm -f "$NAME-lic" >/dev/null

chmod 0711 "$E2E_TMP"   # the container's user may pass through to the capture file (docker-sim.sh)
E2E_SIM="$E2E_ROOT/tests/e2e/docker-sim.sh" E2E_DOCKER_IMAGE=$IMAGE E2E_DOCKER_NAME=$NAME \
  E2E_DOCKER_MOUNT=$E2E_TMP TMPDIR=$E2E_TMP \
  bash "$E2E_ROOT/tests/e2e/50-kernel-usbip.sh" || e2e_fail "the kernel check against the container failed"
e2e_log "PASS (image $((size / 1000)) kB)"
