#!/bin/busybox sh
# shellcheck shell=dash
# /init of the dom0 initramfs built by scripts/xen-e2e.sh: starts the Xen toolstack
# daemons, boots each guest configuration in /etc/xen/e2e with `xl create -F`, prints
# the guest console logs and powers the machine off (QEMU then exits).
/bin/busybox mkdir -p /proc /sys /dev /run /tmp /sbin /usr/sbin /usr/bin
/bin/busybox --install -s
export PATH=/usr/lib/xen-4.17/bin:/usr/sbin:/usr/bin:/sbin:/bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mkdir -p /dev/pts /dev/shm
mount -t devpts devpts /dev/pts
mount -t tmpfs tmpfs /run
mount -t tmpfs tmpfs /tmp
# devtmpfs has no /dev/fd: the hotplug scripts' lock loop spins forever without it.
ln -sf /proc/self/fd /dev/fd
ln -sf /proc/self/fd/0 /dev/stdin
ln -sf /proc/self/fd/1 /dev/stdout
ln -sf /proc/self/fd/2 /dev/stderr
up() {
    read -r u _ </proc/uptime
    echo "$u"
}
echo "XE2E-STAGE dom0-init $(up)"

for m in xen-privcmd xenfs xen-evtchn xen-gntdev xen-gntalloc xen-blkback xen-blkfront loop; do
    f=$(find /lib/modules -name "$m.ko" | head -n 1)
    insmod "$f" || echo "XE2E-WARN insmod $m failed"
done
mkdir -p /proc/xen /var/run/xen /var/run/xenstored /var/lib/xen /var/lib/xenstored \
    /var/log/xen/console /var/lock /run/lock
mount -t xenfs xenfs /proc/xen

xenstored --pid-file /var/run/xenstored.pid
i=0
until xenstore-read / >/dev/null 2>&1; do
    i=$((i + 1))
    if [ "$i" -gt 100 ]; then echo "XE2E-FAIL xenstored did not start"; poweroff -f; fi
    sleep 0.1
done
xen-init-dom0
xenconsoled --log=all --log-dir=/var/log/xen/console
echo "XE2E-STAGE toolstack-up $(up)"

for cfg in /etc/xen/e2e/*.cfg; do
    name=$(basename "$cfg" .cfg)
    name=${name#*-}
    echo "XE2E-STAGE create-start $name $(up)"
    # Every line of xl's log is stamped with dom0 uptime so the harness can split
    # bootloader, domain build and guest boot.
    xl -vvv create -F "$cfg" 2>&1 | while IFS= read -r line; do
        read -r u _ </proc/uptime
        echo "[$u] $line"
    done >"/var/log/xl-$name.log"
    echo "XE2E-STAGE create-end $name $(up)"
    echo "XE2E-XL-LOG-BEGIN $name"
    grep -i -E 'bootloader|error|fail|domainbuilder: detail: xc_dom_(boot_image|build_image)|unpaus|Domain [0-9]+ has' \
        "/var/log/xl-$name.log" | head -n 60
    echo "XE2E-XL-LOG-END $name"
    if ! grep -q 'XE2E-GUEST-UP' /var/log/xen/console/guest-*.log 2>/dev/null; then
        echo "XE2E-DIAG-BEGIN $name"
        tail -n 30 /var/log/xen/bootloader.*.log /var/log/xen/xen-hotplug.log 2>/dev/null
        echo "XE2E-DIAG-END $name"
    fi
    rm -f /var/log/xen/bootloader.*.log /var/log/xen/xen-hotplug.log
    echo "XE2E-CONSOLE-BEGIN $name"
    cat /var/log/xen/console/guest-*.log 2>/dev/null
    rm -f /var/log/xen/console/guest-*.log
    echo "XE2E-CONSOLE-END $name"
done
echo "XE2E-STAGE all-done $(up)"
poweroff -f
