#!/usr/bin/env bash
# The kernel module's tests: build kmod/ against Debian's 6.1 headers, pack a
# busybox initramfs with a static ckpt, the test programs and guest.sh, boot
# Debian's 6.1 kernel under QEMU (TCG; the host kernel has no modules and KVM
# does not work nested) and relay the guest's "ok"/"FAIL"/"skip" lines.  All
# guest tests run in one boot.  Last line: "N passed, N failed[, N skipped]".
# Env: BUILD (build dir), STATIC_BUILD (static ckpt + progs), KMOD_TIMEOUT
# (seconds for the whole boot, default 420), KMOD_TIMES=1 (when each guest test
# ended), KMOD_GUEST (another guest script, for development).  --bench: the
# benchmark instead.
set -u
cd "$(dirname "$0")/../.." || exit 2
BUILD=${BUILD:-$PWD/build} STATIC_BUILD=${STATIC_BUILD:-$PWD/build-static}
MODE=tests KMOD_TIMES=${KMOD_TIMES:-}
[ "${1:-}" = --bench ] && MODE=bench
skip() {
	echo "skip kmod: $*"
	echo "0 passed, 0 failed, 1 skipped"
	exit 0
}
newest() { ls -d $1 2>/dev/null | sort -V | tail -1; }

QEMU=$(command -v qemu-system-x86_64) || skip "qemu-system-x86_64 not installed (make deps)"
VMLINUZ=$(newest '/boot/vmlinuz-6.1*-amd64')
[ -n "$VMLINUZ" ] || skip "no /boot/vmlinuz-6.1*-amd64 (package linux-image-amd64)"
[ -r "$VMLINUZ" ] || skip "$VMLINUZ is not readable"
KDIR=$(newest '/usr/src/linux-headers-6.1*-amd64')
[ -n "$KDIR" ] || skip "no /usr/src/linux-headers-6.1*-amd64 (package linux-headers-amd64)"
[ "$(basename "$KDIR" | sed 's/linux-headers-//')" = "$(basename "$VMLINUZ" | sed 's/vmlinuz-//')" ] ||
	skip "headers $KDIR do not match the kernel $VMLINUZ"
BUSYBOX=/bin/busybox
[ -x $BUSYBOX ] && ! ldd $BUSYBOX >/dev/null 2>&1 || skip "no static /bin/busybox (package busybox-static)"
command -v cpio >/dev/null || skip "cpio not installed"
command -v xz >/dev/null || skip "xz not installed"
for f in "$STATIC_BUILD/ckpt" "$BUILD/kmod-tests/ktool"; do
	[ -x "$f" ] || { echo "FAIL kmod: $f not built (make static)"; echo "0 passed, 1 failed"; exit 1; }
done

WORK=$(mktemp -d "${TMPDIR:-/tmp}/ckpt-kmod.XXXXXX")
trap 'rm -rf "$WORK"' EXIT

# The module, from a copy (kbuild writes beside the sources).
if ! make -s BUILD="$BUILD" KDIR="$KDIR" kmod >"$WORK/kbuild.log" 2>&1; then
	sed 's/^/    /' "$WORK/kbuild.log" | tail -20
	echo "FAIL kmod-build: the module does not build"
	echo "0 passed, 1 failed"
	exit 1
fi
if grep -q 'warning:' "$WORK/kbuild.log"; then
	grep 'warning:' "$WORK/kbuild.log" | head -5 | sed 's/^/    /'
	echo "FAIL kmod-build: warnings with W=1"
	build_ok=0
else
	echo "ok kmod-build"
	build_ok=1
fi

# The ELF vmlinux inside the bzImage (xz): PVH boot skips the emulated decompressor.
VMLINUX=$BUILD/kmod-guest/vmlinux-$(basename "$VMLINUZ" | sed 's/vmlinuz-//')
if [ ! -s "$VMLINUX" ]; then
	mkdir -p "$(dirname "$VMLINUX")"
	off=$(LC_ALL=C grep -obUaP '\xfd7zXZ\x00' "$VMLINUZ" | head -1 | cut -d: -f1)
	[ -n "$off" ] || skip "no xz stream in $VMLINUZ"
	tail -c +$((off + 1)) "$VMLINUZ" | xz -dc 2>/dev/null >"$VMLINUX.tmp"
	[ "$(head -c 4 "$VMLINUX.tmp" | od -An -tx1 | tr -d ' ')" = 7f454c46 ] ||
		skip "cannot unpack the ELF vmlinux from $VMLINUZ"
	mv "$VMLINUX.tmp" "$VMLINUX"
fi

# initramfs: busybox, the module, static ckpt + programs, the guest test script.
R=$WORK/root
mkdir -p "$R"/{bin,sbin,proc,sys,dev,tmp,etc,progs,t}
cp $BUSYBOX "$R/bin/busybox"
cp "$BUILD/kmod/ckpt.ko" "$R/ckpt.ko"
cp "$STATIC_BUILD/ckpt" "$R/bin/ckpt"
cp "$STATIC_BUILD"/tests/* "$R/progs/" 2>/dev/null
cp "$BUILD"/kmod-tests/* "$R/t/"
cp "${KMOD_GUEST:-tests/kmod/guest.sh}" "$R/guest.sh" # KMOD_GUEST: another script (development)
printf 'root:x:0:0:root:/:/bin/sh\nuser:x:1000:1000:user:/tmp:/bin/sh\nother:x:1001:1001:other:/tmp:/bin/sh\n' >"$R/etc/passwd"
printf 'root:x:0:\nuser:x:1000:\nother:x:1001:\n' >"$R/etc/group"
cat >"$R/init" <<INIT
#!/bin/busybox sh
/bin/busybox --install -s /bin
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
mount -t tmpfs tmp /tmp
chmod 1777 /tmp
echo "guest: up in \$(cut -d' ' -f1 /proc/uptime) s"
MODE=$MODE KMOD_TIMES=$KMOD_TIMES sh /guest.sh
echo "    guest: done at \$(cut -d" " -f1 /proc/uptime) s of uptime"
poweroff -f
INIT
chmod 755 "$R/init" "$R/guest.sh"
(cd "$R" && find . | cpio -o -H newc --quiet) >"$WORK/initramfs.cpio"

# One boot; the serial console is the guest's output.
timeout -k 5 "${KMOD_TIMEOUT:-420}" "$QEMU" -accel tcg -cpu max -smp 2 -m 5G \
	-nographic -no-reboot -kernel "$VMLINUX" -initrd "$WORK/initramfs.cpio" \
	-append "console=ttyS0 panic=-1 oops=panic quiet loglevel=4" \
	</dev/null >"$WORK/console.log" 2>&1
rc=$?
tr -d '\r' <"$WORK/console.log" >"$WORK/console.txt"
grep -E '^((ok|FAIL|skip|bench) |    )' "$WORK/console.txt"
summary=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$WORK/console.txt" | tail -1)
if [ -z "$summary" ]; then
	echo "FAIL kmod-guest: no summary from the guest (qemu exit $rc); console tail:"
	tail -n 25 "$WORK/console.txt" | sed 's/^/    /'
	echo "$build_ok passed, $((2 - build_ok)) failed"
	exit 1
fi
set -- $summary
p=$(($1 + build_ok)) f=$(($3 + 1 - build_ok)) s=$(echo "$summary" | awk '{print ($5 == "" ? 0 : $5)}')
[ "$s" -gt 0 ] && echo "$p passed, $f failed, $s skipped" || echo "$p passed, $f failed"
[ "$f" -eq 0 ]
