#!/usr/bin/env bash
# Runs the simulator from the Docker image instead of build/stm32net-sim, with
# the same arguments, so an e2e test can point E2E_SIM here. Host networking:
# the simulator's --listen 127.0.0.1:PORT is the host's loopback. The test's
# temp folder is mounted at the same path so --pcap FILE works. Not run on its
# own by run-all.sh (no number prefix).
#   E2E_DOCKER_IMAGE   image to run (required)
#   E2E_DOCKER_NAME    container name, so the caller can remove it (required)
#   E2E_DOCKER_MOUNT   a folder to mount read-write at the same path (optional)
set -euo pipefail
: "${E2E_DOCKER_IMAGE:?}" "${E2E_DOCKER_NAME:?}"
mount=()
# The container's non-root user (10001, see the Dockerfile) must be able to
# write the capture files (--pcap, --pcap-usb): hand it each file and let it pass through the
# folder, without opening the folder itself to anyone.
prev=""
for a in "$@"; do
  if [ "$prev" = "--pcap" ] || [ "$prev" = "--pcap-usb" ]; then
    : > "$a"; chown 10001:10001 "$a"; chmod o+x "$(dirname "$a")"
  fi
  prev=$a
done
[ -n "${E2E_DOCKER_MOUNT:-}" ] && mount=(-v "$E2E_DOCKER_MOUNT:$E2E_DOCKER_MOUNT")
# exec: the caller's SIGTERM reaches `docker run`, which passes it on to the
# simulator (PID 1 in the container, with its own SIGTERM handler).
exec docker run --rm --network host --name "$E2E_DOCKER_NAME" "${mount[@]}" "$E2E_DOCKER_IMAGE" "$@"
