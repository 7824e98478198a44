#!/bin/bash
# End-to-end test of `xenboot` as the bootloader of Debian's unmodified Xen 4.17
# toolstack (issue 6). Boots the Debian Xen hypervisor and a Debian dom0 kernel in
# qemu-system-x86_64 (TCG), and in that dom0 runs `xl create -F` for PV guests whose
# configuration says `bootloader = "/usr/bin/xenboot"` (plus one control guest booted
# by Debian's pygrub). Each guest is the Debian kernel with a tiny busybox initramfs
# whose /init prints /proc/cmdline and powers off; the test passes only when every
# guest printed exactly the command line its own boot configuration selects.
#
# Everything is built here from Debian packages and this project's build of
# `xenboot`; nothing else is fetched. Needs root (apt-get) and about 1 GiB of RAM.
#
#   scripts/xen-e2e.sh            # whole test; QEMU bounded by XE2E_QEMU_TIMEOUT (default 900 s)
#   XE2E_WORK=/tmp/x scripts/xen-e2e.sh   # keep the work directory somewhere else
#   XENBOOT=target/debug/xenboot scripts/xen-e2e.sh   # use that binary (default: a release build)
#
# Using a locally built libxl (the in-process path of xen-patches/, issue 6 item 4):
# see tests/xen_e2e/README.md.
set -euo pipefail
cd "$(dirname "$0")/.."
REPO=$(pwd)
HERE=$REPO/tests/xen_e2e
WORK=${XE2E_WORK:-/tmp/xenboot-e2e}
QEMU_TIMEOUT=${XE2E_QEMU_TIMEOUT:-900}
XENVER=4.17
XENLIB=/usr/lib/xen-$XENVER

T0=$EPOCHREALTIME
TLAST=$T0
# stage NAME: prints how long the previous stage took.
stage() {
    local now=$EPOCHREALTIME
    printf 'xen-e2e: %-28s %6.1f s (total %6.1f s)\n' "$1" \
        "$(echo "$now - $TLAST" | bc)" "$(echo "$now - $T0" | bc)"
    TLAST=$now
}
die() {
    echo "xen-e2e: FAIL: $*" >&2
    exit 1
}

# --- host packages (idempotent) ------------------------------------------------------
# qemu-system-x86 is NOT installed through dpkg: bookworm's 7.2 conflicts with the
# backports qemu-utils these machines carry (other tests need its qemu-img). Its .deb
# and qemu-system-common's (the TCG accelerator module) are unpacked under $WORK and
# only their shared-library dependencies are installed.
install_packages() {
    local need="" p
    for p in busybox-static cpio bc xen-hypervisor-$XENVER-amd64 xen-utils-$XENVER \
        xenstore-utils seabios libaio1 libbpf1 libcapstone4 libfdt1 libfuse3-3 \
        libglib2.0-0 libgmp10 libgnutls30 libibverbs1 libjpeg62-turbo libnuma1 \
        libpixman-1-0 libpmem1 libpng16-16 librdmacm1 libsasl2-2 libseccomp2 libslirp0 \
        liburing2 libvdeplug2 libzstd1 e2fsprogs xfsprogs fdisk; do
        dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q '^install ok installed' ||
            need="$need $p"
    done
    if [ -n "$need" ]; then
        echo "xen-e2e: installing:$need"
        export DEBIAN_FRONTEND=noninteractive
        apt-get update -qq
        # shellcheck disable=SC2086
        apt-get install -y -qq --no-install-recommends $need >/dev/null
    fi
}

# Unpacks the Debian kernel and QEMU into $WORK/pkgroot (cached).
unpack_debs() {
    kabi() { apt-cache depends linux-image-amd64 2>/dev/null | sed -n 's/.*Depends: linux-image-\(.*-amd64\)$/\1/p' | head -n 1; }
    KABI=$(kabi)
    if [ -z "$KABI" ]; then
        apt-get update -qq
        KABI=$(kabi)
    fi
    [ -n "$KABI" ] || die "cannot resolve the linux-image-amd64 ABI name"
    mkdir -p "$WORK/debs" "$WORK/pkgroot"
    local p
    for p in "linux-image-$KABI" qemu-system-x86 qemu-system-common; do
        if ! ls "$WORK/debs/${p}_"*.deb >/dev/null 2>&1; then
            (cd "$WORK/debs" && apt-get download "$p" 2>&1 | grep -v '^W: Download is performed unsandboxed' || true)
            ls "$WORK/debs/${p}_"*.deb >/dev/null 2>&1 || die "apt-get download $p failed"
            dpkg-deb -x "$WORK/debs/${p}_"*.deb "$WORK/pkgroot"
        fi
    done
    VMLINUZ=$WORK/pkgroot/boot/vmlinuz-$KABI
    KMODS=$WORK/pkgroot/lib/modules/$KABI
    QEMU=$WORK/pkgroot/usr/bin/qemu-system-x86_64
    export QEMU_MODULE_DIR=$WORK/pkgroot/usr/lib/x86_64-linux-gnu/qemu
    [ -f "$VMLINUZ" ] && [ -x "$QEMU" ] || die "unpacked kernel or QEMU missing"
    grep -q '^CONFIG_XEN_DOM0=y' "$WORK/pkgroot/boot/config-$KABI" ||
        die "linux-image-$KABI has no CONFIG_XEN_DOM0"
    zcat "/boot/xen-$XENVER-amd64.gz" >"$WORK/xen"
}

# --- guest kernel initramfs ----------------------------------------------------------
build_guest_initrd() {
    local d=$WORK/guest-initrd
    rm -rf "$d"
    mkdir -p "$d/bin"
    cp /bin/busybox "$d/bin/busybox"
    install -m 755 "$HERE/guest-init.sh" "$d/init"
    (cd "$d" && find . | cpio -o -H newc --quiet | gzip -1) >"$WORK/guest-initrd.gz"
}

# --- guest disks ---------------------------------------------------------------------
# mbr_disk OUT FS1 [FS2]: an MBR disk with one partition per filesystem image, the
# first starting at 1 MiB and marked active.
mbr_disk() {
    local out=$1
    shift
    local spec="label: dos" start=2048 f sectors bootflag=", bootable"
    for f in "$@"; do
        sectors=$(($(stat -c %s "$f") / 512))
        spec="$spec"$'\n'"start=$start, size=$sectors, type=83$bootflag"
        bootflag=""
        start=$((start + sectors))
    done
    rm -f "$out"
    truncate -s $(((start + 2048) * 512)) "$out"
    echo "$spec" | sfdisk -q "$out" >/dev/null
    start=2048
    for f in "$@"; do
        dd if="$f" of="$out" bs=512 seek=$start conv=notrunc,sparse status=none
        start=$((start + $(stat -c %s "$f") / 512))
    done
}

# ext4_fs OUT DIR SIZE_MIB
ext4_fs() {
    rm -f "$1"
    mke2fs -q -F -t ext4 -d "$2" "$1" "$3M" >/dev/null
}

# xfs_fs OUT PROTOFILE SIZE_MIB: XFS v5 (CRC) from a protofile; the fstests variables
# let mkfs.xfs make a filesystem under 300 MB.
xfs_fs() {
    rm -f "$1"
    truncate -s "$3M" "$1"
    TEST_DIR=/nonexistent TEST_DEV=/nonexistent QA_CHECK_FS=1 \
        mkfs.xfs -q -f -m crc=1 -p "$2" "$1"
}

# grubenv VAR=VALUE...: a GRUB environment block (1024 bytes, '#'-padded).
grubenv() {
    local s="# GRUB Environment Block"$'\n' kv
    for kv in "$@"; do s="$s$kv"$'\n'; done
    printf '%s' "$s"
    head -c $((1024 - ${#s})) /dev/zero | tr '\0' '#'
}

build_guests() {
    local g=$WORK/guests
    rm -rf "$g"
    mkdir -p "$g"

    # 1. GRUB 2 on ext4, default is the second entry (also the pygrub control guest).
    local d=$g/grub2-ext4
    mkdir -p "$d/boot/grub"
    cp "$VMLINUZ" "$d/boot/vmlinuz"
    cp "$WORK/guest-initrd.gz" "$d/boot/initrd.img"
    cat >"$d/boot/grub/grub.cfg" <<'EOF'
set default=1
set timeout=5
menuentry 'Debian GNU/Linux (first, not the default)' {
	insmod ext2
	set root='hd0,msdos1'
	linux /boot/vmlinuz root=/dev/xvda1 ro console=hvc0 xe2e=grub2-first-WRONG
	initrd /boot/initrd.img
}
menuentry 'Debian GNU/Linux (second, the default)' {
	insmod ext2
	set root='hd0,msdos1'
	linux /boot/vmlinuz root=/dev/xvda1 ro console=hvc0 xe2e=grub2-second
	initrd /boot/initrd.img
}
EOF
    ext4_fs "$g/grub2-ext4.fs" "$d" 24
    mbr_disk "$g/grub2-ext4.img" "$g/grub2-ext4.fs"

    # 2. EL7 style: /boot is XFS v5 on the first partition, root is ext4 on the
    #    second, linux16/initrd16, default from grubenv's saved_entry (by title).
    d=$g/el7-xfs
    mkdir -p "$d"
    cp "$VMLINUZ" "$d/vmlinuz-3.10.0-1160.el7.x86_64"
    cp "$WORK/guest-initrd.gz" "$d/initramfs-3.10.0-1160.el7.x86_64.img"
    cat >"$d/grub.cfg" <<'EOF'
#
# DO NOT EDIT THIS FILE
#
# It is automatically generated by grub2-mkconfig using templates
#
### BEGIN /etc/grub.d/00_header ###
set pager=1

if [ -s $prefix/grubenv ]; then
  load_env
fi
if [ "${next_entry}" ] ; then
   set default="${next_entry}"
   set next_entry=
   save_env next_entry
   set boot_once=true
else
   set default="${saved_entry}"
fi

if [ x"${feature_menuentry_id}" = xy ]; then
  menuentry_id_option="--id"
else
  menuentry_id_option=""
fi

export menuentry_id_option

if [ "${prev_saved_entry}" ]; then
  set saved_entry="${prev_saved_entry}"
  save_env saved_entry
  set prev_saved_entry=
  save_env prev_saved_entry
  set boot_once=true
fi
terminal_output console
if [ x$feature_timeout_style = xy ] ; then
  set timeout_style=menu
  set timeout=5
else
  set timeout=5
fi
### END /etc/grub.d/00_header ###

### BEGIN /etc/grub.d/10_linux ###
menuentry 'CentOS Linux (3.10.0-1160.el7.x86_64) 7 (Core)' --class centos --class gnu-linux --class gnu --class os --unrestricted $menuentry_id_option 'gnulinux-3.10.0-1160.el7.x86_64-advanced-1b2c' {
	load_video
	set gfxpayload=keep
	insmod gzio
	insmod part_msdos
	insmod xfs
	set root='hd0,msdos1'
	linux16 /vmlinuz-3.10.0-1160.el7.x86_64 root=/dev/xvda2 ro crashkernel=auto console=hvc0 xe2e=el7-xfs-linux16 LANG=en_US.UTF-8
	initrd16 /initramfs-3.10.0-1160.el7.x86_64.img
}
menuentry 'CentOS Linux (0-rescue-5d1e) 7 (Core)' --class centos --class gnu-linux --class gnu --class os --unrestricted $menuentry_id_option 'gnulinux-0-rescue-5d1e-advanced-1b2c' {
	load_video
	insmod gzio
	insmod part_msdos
	insmod xfs
	set root='hd0,msdos1'
	linux16 /vmlinuz-3.10.0-1160.el7.x86_64 root=/dev/xvda2 ro console=hvc0 xe2e=el7-rescue-WRONG
	initrd16 /initramfs-3.10.0-1160.el7.x86_64.img
}
### END /etc/grub.d/10_linux ###
EOF
    grubenv "saved_entry=CentOS Linux (3.10.0-1160.el7.x86_64) 7 (Core)" >"$d/grubenv"
    cat >"$d/proto" <<EOF
xe2e
0 0
d--755 0 0
grub2 d--755 0 0
grub.cfg ---644 0 0 $d/grub.cfg
grubenv ---644 0 0 $d/grubenv
\$
vmlinuz-3.10.0-1160.el7.x86_64 ---644 0 0 $d/vmlinuz-3.10.0-1160.el7.x86_64
initramfs-3.10.0-1160.el7.x86_64.img ---644 0 0 $d/initramfs-3.10.0-1160.el7.x86_64.img
\$
EOF
    xfs_fs "$g/el7-boot.fs" "$d/proto" 32
    mkdir -p "$g/el7-root/etc"
    echo "el7 root" >"$g/el7-root/etc/issue"
    ext4_fs "$g/el7-root.fs" "$g/el7-root" 4
    mbr_disk "$g/el7-xfs.img" "$g/el7-boot.fs" "$g/el7-root.fs"

    # 3. GRUB 2 on ext4 whose default is grubenv's saved_entry (the third entry, by id).
    d=$g/grubenv
    mkdir -p "$d/boot/grub"
    cp "$VMLINUZ" "$d/boot/vmlinuz"
    cp "$WORK/guest-initrd.gz" "$d/boot/initrd.img"
    cat >"$d/boot/grub/grub.cfg" <<'EOF'
if [ -s $prefix/grubenv ]; then
  set have_grubenv=true
  load_env
fi
if [ "${saved_entry}" ] ; then
   set default="${saved_entry}"
else
   set default="0"
fi
set timeout=5
menuentry 'Debian GNU/Linux' --id debian-normal {
	linux /boot/vmlinuz root=/dev/xvda1 ro console=hvc0 xe2e=grubenv-first-WRONG
	initrd /boot/initrd.img
}
menuentry 'Debian GNU/Linux (recovery mode)' --id debian-recovery {
	linux /boot/vmlinuz root=/dev/xvda1 ro single console=hvc0 xe2e=grubenv-second-WRONG
	initrd /boot/initrd.img
}
menuentry 'Debian GNU/Linux (saved)' --id debian-saved {
	linux /boot/vmlinuz root=/dev/xvda1 ro console=hvc0 xe2e=grubenv-saved
	initrd /boot/initrd.img
}
EOF
    grubenv "saved_entry=debian-saved" >"$d/boot/grub/grubenv"
    ext4_fs "$g/grubenv.fs" "$d" 24
    mbr_disk "$g/grubenv.img" "$g/grubenv.fs"
}

# 4. BLS (Fedora >= 30 / RHEL >= 8 style): grub.cfg calls `blscfg`, the entries are
#    /boot/loader/entries/*.conf, GRUB sorts them by version (newest first) and the
#    default is the first.
build_bls_guest() {
    local g=$WORK/guests d=$WORK/guests/bls v marker
    mkdir -p "$d/boot/grub2" "$d/boot/loader/entries"
    cp "$VMLINUZ" "$d/boot/vmlinuz-6.1.0-xe2e"
    cp "$WORK/guest-initrd.gz" "$d/boot/initramfs-6.1.0-xe2e.img"
    cat >"$d/boot/grub2/grub.cfg" <<'EOF'
set pager=1
if [ -f ${config_directory}/grubenv ]; then
  load_env -f ${config_directory}/grubenv
elif [ -s $prefix/grubenv ]; then
  load_env
fi
if [ "${next_entry}" ] ; then
   set default="${next_entry}"
   set next_entry=
   save_env next_entry
   set boot_once=true
else
   set default="${saved_entry}"
fi
insmod part_msdos
insmod ext2
set root='hd0,msdos1'
insmod blscfg
blscfg
EOF
    for v in 0-rescue-5d1e 6.1.0-xe2e; do
        marker=bls-newest
        [ "$v" = 0-rescue-5d1e ] && marker=bls-rescue-WRONG
        {
            echo "title Fedora Linux ($v) 40"
            echo "version $v"
            echo "linux /boot/vmlinuz-6.1.0-xe2e"
            echo "initrd /boot/initramfs-6.1.0-xe2e.img"
            echo "options root=/dev/xvda1 ro console=hvc0 xe2e=$marker"
            echo 'grub_users $grub_users'
            echo "grub_arg --unrestricted"
            echo "grub_class fedora"
        } >"$d/boot/loader/entries/5d1e-${v%-5d1e}.conf" # Fedora: MACHINEID-0-rescue.conf
    done
    grubenv "saved_entry=" >"$d/boot/grub2/grubenv"
    ext4_fs "$g/bls.fs" "$d" 24
    mbr_disk "$g/bls.img" "$g/bls.fs"
}

# EXPECT[name]: the exact /proc/cmdline each guest must print. The bootloader is
# given per guest in BOOTLOADER[name]; DISK[name] is the image it boots.
declare -A EXPECT BOOTLOADER DISK
GUESTS=(pygrub-control xenboot-grub2-ext4 xenboot-el7-xfs xenboot-grubenv xenboot-bls)
# XE2E_GUESTS="a b" boots only those guests (for debugging the harness).
if [ -n "${XE2E_GUESTS:-}" ]; then read -r -a GUESTS <<<"$XE2E_GUESTS"; fi
EXPECT[pygrub-control]="root=/dev/xvda1 ro console=hvc0 xe2e=grub2-second"
BOOTLOADER[pygrub-control]=pygrub
DISK[pygrub-control]=grub2-ext4
EXPECT[xenboot-grub2-ext4]="root=/dev/xvda1 ro console=hvc0 xe2e=grub2-second"
BOOTLOADER[xenboot-grub2-ext4]=/usr/bin/xenboot
DISK[xenboot-grub2-ext4]=grub2-ext4
EXPECT[xenboot-el7-xfs]="root=/dev/xvda2 ro crashkernel=auto console=hvc0 xe2e=el7-xfs-linux16 LANG=en_US.UTF-8"
BOOTLOADER[xenboot-el7-xfs]=/usr/bin/xenboot
DISK[xenboot-el7-xfs]=el7-xfs
EXPECT[xenboot-grubenv]="root=/dev/xvda1 ro console=hvc0 xe2e=grubenv-saved"
BOOTLOADER[xenboot-grubenv]=/usr/bin/xenboot
DISK[xenboot-grubenv]=grubenv
EXPECT[xenboot-bls]="root=/dev/xvda1 ro console=hvc0 xe2e=bls-newest"
BOOTLOADER[xenboot-bls]=/usr/bin/xenboot
DISK[xenboot-bls]=bls

# Host-side check: `xenboot list --json` must already name the expected entry as the
# default (its exact args) before any VM is started.
check_guests_on_host() {
    local n out args
    for n in "${GUESTS[@]}"; do
        [ "${BOOTLOADER[$n]}" = pygrub ] && continue
        out=$("$XENBOOT" list --json "$WORK/guests/${DISK[$n]}.img") ||
            die "xenboot list ${DISK[$n]}.img failed: $out"
        args=$(echo "$out" | /usr/bin/python3 -c 'import json, sys
m = json.load(sys.stdin)
d = m.get("default")
print(m["entries"][d]["args"] if d is not None else "(no default)")')
        [ "$args" = "${EXPECT[$n]}" ] ||
            die "xenboot list ${DISK[$n]}.img: default entry has args [$args], expected [${EXPECT[$n]}]: $out"
    done
}

# --- dom0 initramfs ------------------------------------------------------------------
# cpp PATH...: copies PATH under $D0 keeping its directories (run from $D0: cp 9.1
# --parents -a looks up the ACLs of the created parents relative to the working
# directory).
cpp() { (cd "$D0" && cp -a --parents "$@" .); }

# copy_with_libs FILE...: copies each file and its ldd closure into $D0.
copy_with_libs() {
    local f l
    for f in "$@"; do
        cpp "$f"
        [ -L "$f" ] && cpp "$(readlink -f "$f")"
        for l in $(ldd "$f" 2>/dev/null | grep -o '/[^ ]*' || true); do
            [ -e "$D0$l" ] || cp -L --parents "$l" "$D0"
        done
    done
}

build_dom0_initrd() {
    D0=$WORK/dom0-initrd
    rm -rf "$D0"
    mkdir -p "$D0"/{bin,sbin,usr/bin,usr/sbin,lib,lib64,etc,proc,sys,dev,run,tmp,var,root}
    cp /bin/busybox "$D0/bin/busybox"
    install -m 755 "$HERE/dom0-init.sh" "$D0/init"
    # Xen tools, the xenstore clients, bash for the hotplug scripts, libgcc_s (glibc
    # dlopens it for pthread_cancel; xl aborts without it).
    # util-linux flock and losetup, coreutils stat: the hotplug scripts need them and
    # Debian's busybox has no flock.
    copy_with_libs $XENLIB/bin/* /usr/bin/xenstore* /bin/bash /usr/bin/python3 \
        /usr/bin/flock /usr/sbin/losetup /usr/bin/stat /usr/bin/readlink \
        /usr/lib/x86_64-linux-gnu/libgcc_s.so.1 \
        $XENLIB/lib/python/xen/lowlevel/*.so $XENLIB/lib/python/*.so
    cpp $XENLIB/bin $XENLIB/lib
    # pygrub's filesystem plugins (dlopened) and their libraries.
    # shellcheck disable=SC2046 # no spaces in these paths
    copy_with_libs $(find $XENLIB/lib -name '*.so*' -type f)
    cpp /etc/xen /lib/terminfo # pygrub draws its curses menu on the pty libxl gives it
    # The python3 modules pygrub imports (found by tracing it on the host).
    local m
    : >"$WORK/pygrub.out"
    for m in $(env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin /usr/bin/python3 -v \
        "$XENLIB/bin/pygrub" -q --output="$WORK/pygrub.out" \
        --output-directory="$WORK" "$WORK/guests/grub2-ext4.img" 2>&1 |
        sed -n -e "s/^# \(\/usr\/lib\/python3[^ ]*\.pyc\) matches \(\/[^ ]*\.py\)$/\1 \2/p" \
            -e "s/.* from '\(\/usr\/lib\/python3[^']*\.so\)'$/\1/p"); do
        cpp "$m"
        case $m in *.so) copy_with_libs "$m" ;; esac
    done
    rm -f "$WORK"/boot_kernel.* "$WORK"/boot_ramdisk.* "$WORK/pygrub.out"
    cpp /usr/lib/python3.11/os.py # the landmark by which python3 finds its prefix
    # xenboot, where the guest configurations' bootloader= points.
    # Without debug info: a debug build's binary would not fit dom0's initramfs.
    install -D -m 755 "$XENBOOT" "$D0/usr/bin/xenboot"
    strip --strip-debug "$D0/usr/bin/xenboot"
    for m in $(ldd "$XENBOOT" | grep -o '/[^ ]*'); do
        [ -e "$D0$m" ] || cp -L --parents "$m" "$D0"
    done
    mkdir -p "$D0/lib/modules/$KABI"
    for m in xen-privcmd xenfs xen-evtchn xen-gntdev xen-gntalloc xen-blkback xen-blkfront loop; do
        find "$KMODS" -name "$m.ko" -exec cp {} "$D0/lib/modules/$KABI/" \;
    done
    # Guest disks and configurations, in the order they boot.
    mkdir -p "$D0/etc/xen/e2e"
    local i=0 n
    for n in "${GUESTS[@]}"; do
        i=$((i + 1))
        cp "$WORK/guests/${DISK[$n]}.img" "$D0/${DISK[$n]}.img"
        sed -e "s|@NAME@|$n|" -e "s|@BOOTLOADER@|${BOOTLOADER[$n]}|" \
            -e "s|@DISK@|/${DISK[$n]}.img|" "$HERE/guest.cfg.in" \
            >"$D0/etc/xen/e2e/$(printf %02d "$i")-$n.cfg"
    done
    # XE2E_OVERLAY=DIR: a tree copied over the dom0 root last, e.g. a locally built
    # libxenlight and libxenboot.so (tests/xen_e2e/README.md, "in-process path").
    if [ -n "${XE2E_OVERLAY:-}" ]; then cp -a "$XE2E_OVERLAY/." "$D0/"; fi
    (cd "$D0" && find . | cpio -o -H newc --quiet | gzip -1) >"$WORK/dom0-initrd.gz"
}

# --- run -----------------------------------------------------------------------------
run_qemu() {
    local start=$EPOCHREALTIME rc=0 line now cs
    SERIAL=$WORK/serial.log
    # Each serial line is stamped with seconds since QEMU started.
    timeout --kill-after=5 "$QEMU_TIMEOUT" "$QEMU" -L /usr/share/seabios -L /usr/share/qemu \
        -accel tcg -cpu qemu64 -m 1024 -smp 2 -nographic -no-reboot -monitor none \
        -net none -serial stdio -kernel "$WORK/xen" \
        -append "console=com1 com1=115200,8n1 dom0_mem=512M,max:512M noreboot no-bootscrub" \
        -initrd "$VMLINUZ console=hvc0 quiet,$WORK/dom0-initrd.gz" </dev/null 2>&1 |
        while IFS= read -r line; do
            now=${EPOCHREALTIME/./}
            cs=$(((now - ${start/./}) / 10000))
            printf '%4d.%02d %s\n' $((cs / 100)) $((cs % 100)) "${line//$'\r'/}"
        done >"$SERIAL" || rc=$?
    QEMU_RC=$rc
}

# first_time PATTERN: host seconds of the first serial line matching PATTERN.
first_time() { grep -m1 -E "$1" "$SERIAL" | awk '{print $1}'; }

report() {
    local ok=1 n got
    echo "xen-e2e: timings inside QEMU (host seconds since QEMU started):"
    printf '  %-34s %s\n' "dom0 /init reached" "$(first_time 'XE2E-STAGE dom0-init')"
    printf '  %-34s %s\n' "xenstored, xenconsoled up" "$(first_time 'XE2E-STAGE toolstack-up')"
    for n in "${GUESTS[@]}"; do
        guest_timings "$n"
    done
    printf '  %-34s %s\n' "all guests done" "$(first_time 'XE2E-STAGE all-done')"
    for n in "${GUESTS[@]}"; do
        got=$(sed -n "/XE2E-CONSOLE-BEGIN $n\$/,/XE2E-CONSOLE-END $n\$/p" "$SERIAL" |
            sed -n 's/.*XE2E-GUEST-UP uptime=[0-9.]* cmdline=\[\(.*\)\]$/\1/p' | head -n 1)
        if [ "$got" = "${EXPECT[$n]}" ]; then
            echo "xen-e2e: PASS $n (${BOOTLOADER[$n]}): $got"
        else
            ok=0
            echo "xen-e2e: FAIL $n (${BOOTLOADER[$n]}): expected [${EXPECT[$n]}] got [${got:-nothing}]"
            echo "---- serial log of $n ----"
            sed -n "/XE2E-STAGE create-start $n /,/XE2E-CONSOLE-END $n\$/p" "$SERIAL" | tail -n 80
            echo "---- end ----"
        fi
    done
    if [ "$ok" != 1 ] || [ "$QEMU_RC" != 0 ]; then
        [ "$QEMU_RC" != 0 ] && echo "xen-e2e: QEMU exited with $QEMU_RC (124 = timed out after ${QEMU_TIMEOUT}s)"
        if ! grep -q 'XE2E-STAGE all-done' "$SERIAL"; then
            echo "---- last 60 lines of the serial log ($SERIAL) ----"
            tail -n 60 "$SERIAL"
        fi
        return 1
    fi
}

# guest_timings NAME: splits one `xl create -F` into bootloader, domain build and
# guest boot using the dom0-uptime stamps of xl's log lines.
guest_timings() {
    local n=$1 block
    block=$(sed -n "/XE2E-STAGE create-start $n /,/XE2E-XL-LOG-END $n\$/p" "$SERIAL")
    local t_start t_bl0 t_bl1 t_unpause t_end
    t_start=$(echo "$block" | sed -n "s/.*XE2E-STAGE create-start $n \([0-9.]*\)$/\1/p")
    t_bl0=$(echo "$block" | grep -m1 -i 'bootloader' | sed -n 's/^ *[0-9.]* \[\([0-9.]*\)\].*/\1/p')
    t_bl1=$(echo "$block" | grep -i 'bootloader' | tail -n 1 | sed -n 's/^ *[0-9.]* \[\([0-9.]*\)\].*/\1/p')
    t_unpause=$(echo "$block" | grep -m1 -i 'unpaus' | sed -n 's/^ *[0-9.]* \[\([0-9.]*\)\].*/\1/p')
    t_end=$(echo "$block" | sed -n "s/.*XE2E-STAGE create-end $n \([0-9.]*\)$/\1/p")
    local guest_up
    guest_up=$(sed -n "/XE2E-CONSOLE-BEGIN $n\$/,/XE2E-CONSOLE-END $n\$/p" "$SERIAL" |
        sed -n 's/.*XE2E-GUEST-UP uptime=\([0-9.]*\) .*/\1/p' | head -n 1)
    sub() { if [ -n "$1" ] && [ -n "$2" ]; then echo "$1 - $2" | bc; else echo "?"; fi; }
    printf '  %-34s bootloader %s s, domain build %s s, guest kernel to /init %s s, whole xl create %s s\n' \
        "$n" "$(sub "$t_bl1" "$t_bl0")" "$(sub "$t_unpause" "$t_bl1")" "${guest_up:-?}" \
        "$(sub "$t_end" "$t_start")"
}

main() {
    install_packages
    stage "host packages"
    unpack_debs
    stage "kernel, QEMU, Xen unpacked"
    if [ -z "${XENBOOT:-}" ]; then
        cargo build --release --quiet --bin xenboot
        XENBOOT=$REPO/target/release/xenboot
    fi
    stage "xenboot build"
    build_guest_initrd
    build_guests
    case " ${GUESTS[*]} " in *" xenboot-bls "*) build_bls_guest ;; esac
    check_guests_on_host
    stage "guest disks"
    build_dom0_initrd
    stage "dom0 initramfs"
    run_qemu
    stage "QEMU run (Xen, dom0, guests)"
    if ! report; then
        stage "total"
        exit 1
    fi
    stage "total"
}
main "$@"
