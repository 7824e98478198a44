#!/bin/sh
# Installs the Debian packages the tests use (real mkfs/partitioning tools, valgrind,
# dnsmasq and iproute2 for the DHCP tests, libclang for bindgen, the real pygrub and
# grub-emu as oracles, pytest for the Python binding). Safe to run repeatedly: it only
# calls apt-get when a tool is missing.
set -eu

need=""
check() { # check TOOL PACKAGE
    if ! command -v "$1" >/dev/null 2>&1 && [ ! -x "$1" ]; then need="$need $2"; fi
}
check mke2fs e2fsprogs
check mkfs.vfat dosfstools
check mcopy mtools
check sfdisk fdisk
check sgdisk gdisk
check mkfs.xfs xfsprogs
check xorriso xorriso
check /usr/lib/ISOLINUX/isohdpfx.bin isolinux
check blkid util-linux
check mkfs.btrfs btrfs-progs
check zstd zstd
check valgrind valgrind
check cc gcc
check qemu-img qemu-utils
check qemu-io qemu-utils
check /usr/lib/xen-4.17/bin/pygrub xen-utils-4.17
check grub-emu grub-emu   # the real GRUB 2.06, oracle of tests/grub2_emu.rs
check script bsdutils     # util-linux `script`: the pty that drives grub-emu
# The DHCP tests (tests/net_dhcp.rs) run dnsmasq in network namespaces made with
# `ip netns`. dnsmasq-base is the daemon alone: unlike the dnsmasq package it installs
# no system service that would start and hold the DHCP and DNS ports.
check dnsmasq dnsmasq-base
check ip iproute2
# The Python binding's tests run with the system python3 (tests/python.rs).
if ! /usr/bin/python3 -c "import pytest" >/dev/null 2>&1; then need="$need python3-pytest"; fi
check /usr/bin/time time
check /usr/sbin/in.tftpd tftpd-hpa   # the TFTP servers of tests/net_tftp.rs
check /usr/sbin/dnsmasq dnsmasq-base # (no daemon: the binary only)
check unshare util-linux             # dnsmasq's TFTP runs in a network namespace
check ip iproute2
check ss iproute2
if [ ! -e /usr/lib/llvm-14/lib/libclang.so ] && ! ls /usr/lib/x86_64-linux-gnu/libclang*.so* >/dev/null 2>&1; then
    need="$need libclang-dev"
fi

if [ -n "$need" ]; then
    if [ "$(id -u)" != 0 ]; then
        echo "missing test tools; run as root or install:$need" >&2
        exit 1
    fi
    echo "installing:$need"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    # shellcheck disable=SC2086
    apt-get install -y -qq --no-install-recommends $need >/dev/null
    # tftpd-hpa's package starts a daemon on port 69 where init allows it. The tests
    # run their own servers on free loopback ports; the system one is not needed.
    case "$need" in
    *tftpd-hpa*)
        if command -v systemctl >/dev/null 2>&1; then
            systemctl disable --now tftpd-hpa >/dev/null 2>&1 || true
        fi
        if command -v service >/dev/null 2>&1; then
            service tftpd-hpa stop >/dev/null 2>&1 || true
        fi
        ;;
    esac
fi
