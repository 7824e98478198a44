#!/bin/sh
# Builds a small sample guest disk (MBR, ext4 partition, GRUB 2 config, a stand-in
# kernel and two initrds) with the real tools, then runs xenboot on it the way an
# operator and libxl would. Needs: cargo, sfdisk (fdisk), mke2fs (e2fsprogs).
set -eu
cd "$(dirname "$0")/.."
sh scripts/install-test-deps.sh >/dev/null
cargo build --release --quiet
XENBOOT="$PWD/target/release/xenboot"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
tree="$work/tree"
mkdir -p "$tree/boot/grub"
head -c 4194304 /dev/urandom > "$tree/boot/vmlinuz-6.1.0-13-amd64"
head -c 3145728 /dev/urandom > "$tree/boot/intel-ucode.img"
head -c 8388608 /dev/urandom > "$tree/boot/initrd.img-6.1.0-13-amd64"
cat > "$tree/boot/grub/grub.cfg" <<'CFG'
set default=1
set timeout=5
menuentry 'Debian GNU/Linux (rescue)' --id rescue {
	linux /boot/vmlinuz-6.1.0-13-amd64 root=/dev/xvda1 ro single
	initrd /boot/initrd.img-6.1.0-13-amd64
}
menuentry 'Debian GNU/Linux' --class debian --id gnulinux-simple {
	insmod ext2
	linux (hd0,msdos1)/boot/vmlinuz-6.1.0-13-amd64 root=/dev/xvda1 ro quiet console=hvc0
	initrd /boot/intel-ucode.img /boot/initrd.img-6.1.0-13-amd64
}
CFG
truncate -s 64M "$work/part.img"
mke2fs -q -F -t ext4 -d "$tree" "$work/part.img"
truncate -s 66M "$work/guest.img"
echo 'start=2048, type=83' | sfdisk --quiet "$work/guest.img"
dd if="$work/part.img" of="$work/guest.img" bs=1M seek=1 conv=notrunc status=none

echo "== xenboot probe guest.img"
"$XENBOOT" probe "$work/guest.img"
echo
echo "== xenboot list --json guest.img"
"$XENBOOT" list --json "$work/guest.img"
echo
echo "== xenboot extract --json --output-directory OUT guest.img"
mkdir "$work/out"
"$XENBOOT" extract --json --output-directory "$work/out" "$work/guest.img"
echo
echo "== pygrub-compatible mode, as libxl calls it (simple0 output, NULs shown as |)"
: > "$work/result"   # libxl creates the output file before running the bootloader
"$XENBOOT" --output="$work/result" --output-format=simple0 --output-directory="$work/out" "$work/guest.img"
tr '\000' '|' < "$work/result"; echo
echo
echo "== check: extracted ramdisk = microcode + initrd"
ramdisk=$(ls "$work"/out/boot_ramdisk.* | head -n 1)
cat "$tree/boot/intel-ucode.img" "$tree/boot/initrd.img-6.1.0-13-amd64" | cmp - "$ramdisk" && echo "ramdisk bytes identical"
