# stm32net simulator image.
#   docker build -t stm32net .
#   docker run --rm -p 127.0.0.1:3240:3240 stm32net [simulator options...]
#   docker run --rm -p 127.0.0.1:3240:3240 stm32net --chip   (the flashed image
#       itself, build/firmware/stm32net.elf, on the emulated STM32F072)
# then on the host: sudo modprobe vhci-hcd; sudo usbip attach -r 127.0.0.1 -b 1-1
#
# Stage 1 builds build/stm32net-sim and the firmware image with the project's
# own Makefile (lwIP comes from Debian's source archive, like everywhere else;
# the cross toolchain and Unicorn are Debian's). Stage 2 holds only the
# binary, the firmware ELF for --chip, the shared libraries it loads (with their copyright files, and
# lwIP's) and a passwd entry for the non-root user it runs as: a few MB
# instead of a whole distribution.

FROM debian:bookworm AS build
LABEL org.stm32net.stage=build
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      build-essential libpcap-dev dpkg-dev xz-utils ca-certificates pkg-config libunicorn-dev \
      gcc-arm-none-eabi libnewlib-arm-none-eabi binutils-arm-none-eabi \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
RUN make sim firmware
# Collect the binary and exactly the libraries the dynamic loader resolves for it.
RUN set -e; mkdir -p /rootfs/usr/local/bin /rootfs/etc; \
    cp build/stm32net-sim /rootfs/usr/local/bin/; \
    mkdir -p /rootfs/usr/local/share/stm32net; cp build/firmware/stm32net.elf /rootfs/usr/local/share/stm32net/; \
    for lib in $(ldd build/stm32net-sim | awk '/=>/ {print $3} /^\t\/lib/ {print $1}' | sort -u); do \
      cp --parents -L "$lib" /rootfs/; \
      pkg=$(dpkg -S "$(readlink -f "$lib")" 2>/dev/null | head -n1 | cut -d: -f1); \
      if [ -n "$pkg" ] && [ -f "/usr/share/doc/$pkg/copyright" ]; then \
        mkdir -p "/rootfs/usr/share/doc/$pkg"; cp "/usr/share/doc/$pkg/copyright" "/rootfs/usr/share/doc/$pkg/"; \
      fi; \
    done; \
    mkdir -p /rootfs/usr/share/doc/lwip; cp third_party/lwip-2.1.3/COPYING /rootfs/usr/share/doc/lwip/; \
    echo 'stm32net:x:10001:10001:stm32net simulator:/:/nonexistent' > /rootfs/etc/passwd; \
    echo 'stm32net:x:10001:' > /rootfs/etc/group

FROM scratch
COPY --from=build /rootfs/ /
# a bare --chip runs this image (the same ELF make flash writes)
ENV STM32NET_CHIP_ELF=/usr/local/share/stm32net/stm32net.elf
USER 10001:10001
EXPOSE 3240
# The container is the boundary: listen on all of its addresses; publish the
# port only to the host's loopback (-p 127.0.0.1:3240:3240). Options given
# after the image name are appended and override these.
ENTRYPOINT ["/usr/local/bin/stm32net-sim", "--listen", "0.0.0.0:3240"]
