#!/bin/sh
# Runs every cargo-fuzz target for a short time (default 20 s each), seeded from
# real images made by the real tools and from ../shared/corpus. Any crash fails the
# script; the crashing input is left in fuzz/artifacts/TARGET/ and must become a
# regression test.
#
# Usage: scripts/fuzz.sh [SECONDS_PER_TARGET] [TARGET...]
#
# With FUZZ_RUNS=N set (as scripts/test.sh does for CI), each target instead runs
# exactly N inputs with a fixed seed from the seeds alone (a fresh corpus), and the
# seed images are made reproducibly, so a CI run repeats a run that passed here.
set -eu
cd "$(dirname "$0")/.."
secs=${1:-20}
[ $# -gt 0 ] && shift
root=$PWD
corpus_src="$root/../shared/corpus"

if ! command -v cargo-fuzz >/dev/null 2>&1; then
    cargo install cargo-fuzz --locked --quiet
fi
# cargo-fuzz needs nightly flags: use a nightly toolchain when one is installed,
# otherwise let the stable compiler accept them (it ships the sanitizer runtimes).
if rustup run nightly rustc --version >/dev/null 2>&1; then
    tc="+nightly"
else
    tc=""
    export RUSTC_BOOTSTRAP=1
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
if [ -n "${FUZZ_RUNS:-}" ]; then
    seeds="$tmp/corpus"
else
    seeds="$root/fuzz/corpus"
fi
mkdir -p "$seeds"
# Reproducible seed images: fixed UUIDs, serials and times.
export SOURCE_DATE_EPOCH=1700000000 E2FSPROGS_FAKE_TIME=1700000000

seed_configs() { # seed_configs TARGET FIND-ARGS...
    target=$1; shift
    mkdir -p "$seeds/$target"
    [ -d "$corpus_src" ] || return 0
    find "$corpus_src" -type f "$@" -size -256k | while read -r f; do
        cp "$f" "$seeds/$target/$(echo "$f" | md5sum | cut -c1-16)"
    done
}
seed_configs grub2 \( -name '*.cfg' -o -name 'grub2*' -o -name '*.grub2' -o -name '*.conf' \)
seed_configs grub_legacy \( -name 'grub.[0-9]*' -o -name 'menu.lst' -o -name 'grub.conf' \)
seed_configs syslinux \( -name '*linux*' -o -name '*.cfg' \)
seed_configs lilo -name 'lilo*'
seed_configs select -name '*.cfg'
seed_configs grubenv -name '*grubenv*'
# bls: loader.conf, then per entry NUL, its name without .conf, a newline, its text
# (fuzz/fuzz_targets/bls.rs): one seed per entries directory, one per entry file.
mkdir -p "$seeds/bls"
if [ -d "$corpus_src" ]; then
    find "$corpus_src" -type d -name entries | sort | while read -r d; do
        out="$seeds/bls/$(echo "$d" | md5sum | cut -c1-16)"
        if [ -f "$d/../loader.conf" ]; then cat "$d/../loader.conf"; fi > "$out"
        for f in "$d"/*.conf; do
            printf '\0%s\n' "$(basename "$f" .conf)" >> "$out"
            cat "$f" >> "$out"
            printf '\0%s\n' "$(basename "$f" .conf)" > "$out.$(basename "$f" | md5sum | cut -c1-8)"
            cat "$f" >> "$out.$(basename "$f" | md5sum | cut -c1-8)"
        done
    done
    find "$corpus_src" -path '*bls*' -name '*.conf' ! -path '*/entries/*' | while read -r f; do
        printf '\0%s\n' "$(basename "$f" .conf)" > "$seeds/bls/$(echo "$f" | md5sum | cut -c1-16)"
        cat "$f" >> "$seeds/bls/$(echo "$f" | md5sum | cut -c1-16)"
    done
fi

# Small real images for the partition and filesystem targets.
mkdir -p "$seeds/partitions" "$seeds/filesystem" "$tmp/tree/boot/grub"
printf 'title t\nkernel /vmlinuz ro\n' > "$tmp/tree/boot/grub/menu.lst"
printf 'kernel' > "$tmp/tree/vmlinuz"
ln -s vmlinuz "$tmp/tree/link"
find "$tmp/tree" -exec touch -h -d @1700000000 {} +
for t in ext2 ext4; do
    mke2fs -q -F -t $t -b 1024 -N 16 -U 6b8e2e4c-1f0a-4c1e-9d7e-0c7b5d9f1a11 \
        -E hash_seed=2b4f6a8c-0d1e-4f20-9a3b-5c7d9e1f2a3b -d "$tmp/tree" "$tmp/$t.img" 200k
    cp "$tmp/$t.img" "$seeds/filesystem/$t"
done
# ext4, 64bit, 256-block groups without flex_bg: a file of two extents (host runs).
mkdir -p "$tmp/big/boot"
seq 1 50000 > "$tmp/big/boot/vmlinuz"
find "$tmp/big" -exec touch -h -d @1700000000 {} +
mke2fs -q -F -t ext4 -b 1024 -g 256 -N 16 -O 64bit,^flex_bg,^resize_inode \
    -U 6b8e2e4c-1f0a-4c1e-9d7e-0c7b5d9f1a12 \
    -E hash_seed=2b4f6a8c-0d1e-4f20-9a3b-5c7d9e1f2a3b -d "$tmp/big" "$tmp/ext4-64.img" 600k
cp "$tmp/ext4-64.img" "$seeds/filesystem/ext4-64"
mkfs.vfat -i 1234abcd --invariant -C "$tmp/fat.img" 128 >/dev/null
mcopy -s -m -i "$tmp/fat.img" "$tmp/tree/boot" ::/
cp "$tmp/fat.img" "$seeds/filesystem/fat12"
truncate -s 64k "$tmp/mbr.img"
printf 'start=8, size=16, type=83\nstart=30, size=60, type=5\nstart=40, size=8, type=83\n' | sfdisk -q "$tmp/mbr.img" >/dev/null 2>&1
head -c 32768 "$tmp/mbr.img" > "$seeds/partitions/mbr"
truncate -s 96k "$tmp/gpt.img"
printf 'label: gpt\nfirst-lba: 34\nstart=40, size=8, type=L\nstart=48, size=8\n' | sfdisk -q "$tmp/gpt.img" >/dev/null 2>&1
cp "$tmp/gpt.img" "$seeds/partitions/gpt"
# Small qcow2 images (v3, v2, compressed, zero clusters) for the qcow2 target.
mkdir -p "$seeds/qcow2"
if command -v qemu-img >/dev/null 2>&1; then
    head -c 65536 "$tmp/ext2.img" > "$tmp/q.raw"
    for o in "compat=1.1" "compat=0.10"; do
        for c in "" "-c"; do
            qemu-img convert -q $c -f raw -O qcow2 -o "cluster_size=512,$o" "$tmp/q.raw" "$tmp/q.qcow2"
            cp "$tmp/q.qcow2" "$seeds/qcow2/$(echo "$o$c" | tr -c 'a-z0-9' _)"
        done
    done
    qemu-img create -q -f qcow2 -o cluster_size=4096 "$tmp/z.qcow2" 1M
    qemu-io -f qcow2 -c 'write -P 1 0 64k' -c 'write -z 4k 8k' "$tmp/z.qcow2" >/dev/null
    cp "$tmp/z.qcow2" "$seeds/qcow2/zero"
fi

# ISO 9660 seeds (Rock Ridge with a symlink and a CE area, Joliet, plain): the
# iso9660 target puts its input at sector 16, so the system area is cut off (and
# the padding after the metadata).
mkdir -p "$seeds/iso9660"
for v in "-R -J" "--norock -J" "--norock"; do
    n=$(printf '%s' "$v" | tr -dc 'a-zA-Z')
    # shellcheck disable=SC2086
    xorriso -as mkisofs -quiet $v -o "$tmp/$n.iso" "$tmp/tree" 2>/dev/null
    tail -c +32769 "$tmp/$n.iso" | head -c 49152 > "$seeds/iso9660/$n"
done

# btrfs: a 16 MiB mixed-mode image as a block list (fuzz/fuzz_targets/btrfs.rs):
# "XBBLK1", then for each non-zero 4 KiB block its 16-bit little-endian index and
# its bytes.
if command -v mkfs.btrfs >/dev/null 2>&1; then
    mkdir -p "$seeds/btrfs"
    truncate -s 16M "$tmp/btrfs.img"
    mkfs.btrfs -q -f -M -U 3d2f1e0c-9b8a-4766-8554-433221100fed -r "$tmp/tree" \
        "$tmp/btrfs.img" >/dev/null 2>&1
    python3 - "$tmp/btrfs.img" "$seeds/btrfs/mixed" <<'PY'
import sys
data = open(sys.argv[1], "rb").read()
out = bytearray(b"XBBLK1")
for i in range(min(len(data) // 4096, 65536)):
    blk = data[i * 4096:(i + 1) * 4096]
    if blk.count(0) != len(blk):
        out += i.to_bytes(2, "little") + blk
open(sys.argv[2], "wb").write(out)
PY
fi

# DHCP replies as a server sends them to a PXE client: an OFFER and an ACK with the
# PXE and pxelinux options, a NAK, and a reply whose options overflow into the file
# and sname fields (option 52) with a boot file name split in three (RFC 3396).
mkdir -p "$seeds/dhcp"
python3 - "$seeds/dhcp" <<'PY'
import struct, sys
def opt(code, value):
    return bytes([code, len(value)]) + value
def reply(kind, options, sname=b"", file=b"", yiaddr=b"\x0a\x4d\x00\x2a"):
    head = struct.pack("!BBBBIHH", 2, 1, 6, 0, 0x1234abcd, 0, 0x8000)
    head += b"\0" * 4 + yiaddr + b"\x0a\x4d\x00\x01" + b"\0" * 4
    head += bytes.fromhex("5254001234560000000000000000000000")[:16]
    head += sname.ljust(64, b"\0") + file.ljust(128, b"\0") + b"\x63\x82\x53\x63"
    return head + opt(53, bytes([kind])) + options + b"\xff"
common = (opt(54, b"\x0a\x4d\x00\x01") + opt(51, struct.pack("!I", 3600))
          + opt(58, struct.pack("!I", 1800)) + opt(1, b"\xff\xff\xff\x00")
          + opt(28, b"\x0a\x4d\x00\xff") + opt(3, b"\x0a\x4d\x00\x01\x0a\x4d\x00\xfe")
          + opt(66, b"10.77.0.1") + opt(67, b"pxelinux/pxelinux.0")
          + opt(209, b"pxelinux.cfg/guest") + opt(210, b"/srv/tftp/")
          + opt(43, b"\x06\x01\x08\xff") + opt(60, b"PXEClient"))
seeds = {
    "offer": reply(2, common, b"tftp", b"pxelinux.0"),
    "ack": reply(5, common, b"", b"pxelinux/pxelinux.0"),
    "nak": reply(6, opt(54, b"\x0a\x4d\x00\x01") + opt(56, b"address not available"),
                 yiaddr=b"\0\0\0\0"),
    "overload": reply(2, opt(54, b"\x0a\x4d\x00\x01") + opt(52, b"\x03") + opt(67, b"pxe"),
                      sname=opt(67, b"ux.0") + b"\xff", file=opt(67, b"lin") + b"\xff"),
}
for name, data in seeds.items():
    open(sys.argv[1] + "/" + name, "wb").write(data)
PY

# TFTP packets as tftpd-hpa sends them (OACK, DATA, ERROR) and as the client sends
# them (RRQ with options, ACK), byte for byte.
mkdir -p "$seeds/tftp"
printf '\000\006blksize\0001468\000tsize\0006\000' > "$seeds/tftp/oack"
printf '\000\005\000\001File not found\000' > "$seeds/tftp/error"
printf '\000\003\000\001hello\n' > "$seeds/tftp/data"
printf '\000\004\377\377' > "$seeds/tftp/ack"
printf '\000\001pxelinux.cfg/default\000octet\000blksize\0001468\000tsize\0000\000' \
    > "$seeds/tftp/rrq"

targets=${*:-$(cd fuzz && cargo $tc fuzz list)}
cd fuzz
cargo $tc fuzz build -O >/dev/null
for t in $targets; do
    mkdir -p "$seeds/$t"
    if [ -n "${FUZZ_RUNS:-}" ]; then
        bound="-runs=$FUZZ_RUNS -seed=1"
        echo "fuzz: $t, $FUZZ_RUNS runs"
    else
        bound="-max_total_time=$secs"
        echo "fuzz: $t for ${secs}s"
    fi
    # The crash report prints the whole input: keep only the end of the log.
    # shellcheck disable=SC2086
    cargo $tc fuzz run -O "$t" "$seeds/$t" -- $bound \
        -rss_limit_mb=2048 -max_len=1048576 -timeout=10 \
        -print_final_stats=1 >"$tmp/$t.log" 2>&1 || { tail -c 4000 "$tmp/$t.log"; exit 1; }
    grep -E '^stat::(number_of_executed_units|peak_rss_mb)|^#[0-9]+.*DONE' "$tmp/$t.log" | tr '\n' ' '
    echo
done
