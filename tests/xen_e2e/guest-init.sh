#!/bin/busybox sh
# shellcheck shell=dash
# /init of the guest initramfs built by scripts/xen-e2e.sh: reports the command line
# the guest kernel was booted with, then powers the guest off.
/bin/busybox mkdir -p /proc
/bin/busybox mount -t proc proc /proc
echo "XE2E-GUEST-UP uptime=$(/bin/busybox cut -d' ' -f1 /proc/uptime) cmdline=[$(/bin/busybox cat /proc/cmdline)]"
/bin/busybox poweroff -f
