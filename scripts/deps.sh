#!/bin/sh
# Install everything ckpt needs to build and test, from Debian's packages.
# Idempotent: installs only what is missing.  Run as root (make deps).
# --bench also installs the runtime libraries of the reference CRIU build
# that make bench compares with (../shared/reference/README.md).
set -eu
PKGS="gcc make pkg-config protobuf-c-compiler libprotobuf-c-dev libcap-dev
      libcap2-bin libnl-genl-3-dev libnl-3-dev libnftables-dev nftables
      libcmocka-dev libzstd-dev groff-base
      procps util-linux iproute2 python3
      qemu-system-x86 linux-headers-amd64 linux-image-amd64 busybox-static cpio
      xz-utils libc6-dev"
if [ "${1:-}" = --bench ]; then
	PKGS="$PKGS libbpf1 libbsd0 libelf1 libgnutls30 libjansson4 libmnl0 libnet1
	      libnftables1 libnftnl11 libnl-3-200 libprotobuf-c1 libuuid1 libxtables12 iptables"
fi
missing=""
for p in $PKGS; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
		missing="$missing $p"
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" != 0 ]; then
	echo "deps: missing packages:$missing (run as root)" >&2
	exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends $missing >/dev/null
echo "deps: installed$missing"
