#!/bin/sh
# Benchmarks of xenboot against pygrub and cat, measured in ONE run (ratios against
# the same disks, same page cache state), printed as a Markdown table.
#
#   scripts/bench.sh [WORKDIR]      (default: a new directory under /var/tmp)
#
# Needs (Debian): hyperfine, time, xen-utils-4.17 (pygrub), e2fsprogs, xfsprogs,
# fdisk, gcc, python3. Builds xenboot and libxenboot.so in release mode.
#
# Guest: a 14 MiB kernel and a 48 MiB initrd (random bytes) with a GRUB 2 grub.cfg
# that pygrub can parse, on ext4 (mke2fs -d) and on XFS v5 (mkfs.xfs -p), each in
# MBR partition 1 of a disk image. Every file is in the page cache (warm-up runs):
# the figures compare the work done, not the host disk. xenboot fdatasyncs what it
# writes (extract_to_dir); `cat + sync` does the same for a fair pair, pygrub does not.
set -eu
cd "$(dirname "$0")/.."
ROOT=$(pwd)
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin:$PATH
PYGRUB=/usr/lib/xen-4.17/bin/pygrub
for t in hyperfine /usr/bin/time "$PYGRUB" mke2fs mkfs.xfs sfdisk cc python3; do
    command -v "$t" >/dev/null 2>&1 || { echo "bench: $t is missing" >&2; exit 1; }
done

cargo build --release --quiet --bin xenboot --lib
XB=$ROOT/target/release/xenboot
W=${1:-$(mktemp -d /var/tmp/xenboot-bench.XXXXXX)}
mkdir -p "$W"
cd "$W"
OUT=$W/out
mkdir -p "$OUT"
cc -O2 -I"$ROOT/include" "$ROOT/benches/capi_bench.c" -L"$ROOT/target/release" \
    -Wl,-rpath,"$ROOT/target/release" -lxenboot -o capi_bench

# ---- guests ---------------------------------------------------------------------
grub_cfg() { # grub_cfg N: N entries, default 0
    i=0
    echo "set default=0"
    echo "set timeout=5"
    while [ "$i" -lt "$1" ]; do
        printf "menuentry 'Linux %s' {\n\tlinux /boot/vmlinuz root=/dev/xvda1 ro quiet\n\tinitrd /boot/initrd.img\n}\n" "$i"
        i=$((i + 1))
    done
}

tree() { # tree DIR INITRD_MIB ENTRIES
    mkdir -p "$1/boot/grub"
    [ -f "$W/vmlinuz" ] || head -c 14M /dev/urandom > "$W/vmlinuz"
    [ -f "$W/initrd-$2" ] || head -c "$2M" /dev/urandom > "$W/initrd-$2"
    cp "$W/vmlinuz" "$1/boot/vmlinuz"
    cp "$W/initrd-$2" "$1/boot/initrd.img"
    grub_cfg "$3" > "$1/boot/grub/grub.cfg"
}

disk() { # disk FS_IMAGE DISK: FS_IMAGE in MBR partition 1 at 1 MiB
    size=$(stat -c %s "$1")
    rm -f "$2"
    truncate -s $((size + 2 * 1048576)) "$2"
    echo "start=2048, type=83" | sfdisk --quiet --no-reread --no-tell-kernel "$2" >/dev/null
    dd if="$1" of="$2" bs=1M seek=1 conv=notrunc status=none
    rm -f "$1"
}

ext4_disk() { # ext4_disk TREE SIZE_MIB DISK
    mke2fs -q -F -t ext4 -d "$1" fs.img "$2M"
    disk fs.img "$3"
}

xfs_disk() { # xfs_disk TREE SIZE_MIB DISK (protofile; fstests variables allow < 300 MB)
    {
        echo "bench"
        echo "0 0"
        echo "d--755 0 0"
        echo "boot d--755 0 0"
        echo "vmlinuz ---644 0 0 $1/boot/vmlinuz"
        echo "initrd.img ---644 0 0 $1/boot/initrd.img"
        echo "grub d--755 0 0"
        echo "grub.cfg ---644 0 0 $1/boot/grub/grub.cfg"
        echo "\$"
        echo "\$"
        echo "\$"
    } > proto
    rm -f fs.img
    truncate -s "$2M" fs.img
    TEST_DIR=/nonexistent TEST_DEV=/nonexistent QA_CHECK_FS=1 \
        mkfs.xfs -q -f -p proto fs.img
    disk fs.img "$3"
}

rm -rf t48 t512 t200
tree t48 48 1
tree t512 512 1
tree t200 48 200
ext4_disk t48 96 ext4.img
xfs_disk t48 300 xfs.img
ext4_disk t512 600 ext4-512.img
ext4_disk t200 96 ext4-200.img
K=$W/t48/boot/vmlinuz
R=$W/t48/boot/initrd.img

# ---- one hyperfine run: every tool on the same files --------------------------------
CLEAN="rm -f $OUT/*"
hyperfine --style basic --warmup 2 --runs 10 --prepare "$CLEAN" --export-json extract.json \
    -n "cat" "cat $K > $OUT/k && cat $R > $OUT/r" \
    -n "cat + sync" "cat $K > $OUT/k && cat $R > $OUT/r && sync -d $OUT/k $OUT/r" \
    -n "xenboot ext4" "$XB extract --output-directory $OUT ext4.img" \
    -n "xenboot xfs" "$XB extract --output-directory $OUT xfs.img" \
    -n "pygrub ext4" "$PYGRUB -q --output-directory=$OUT ext4.img" \
    >hyperfine-extract.txt
hyperfine --style basic --warmup 2 --runs 20 --export-json list.json \
    -n "xenboot list 200" "$XB list ext4-200.img" \
    -n "pygrub list 200" "$PYGRUB -q -l ext4-200.img" \
    >hyperfine-list.txt

# ---- in process (C API) ------------------------------------------------------------
./capi_bench ext4.img "$OUT" 10 > capi-ext4.txt
./capi_bench xfs.img "$OUT" 10 > capi-xfs.txt
./capi_bench ext4-200.img "$OUT" 20 > capi-200.txt

# ---- peak RSS -----------------------------------------------------------------------
rss() { # rss COMMAND...: peak RSS in KiB
    rm -f "$OUT"/*
    /usr/bin/time -f %M -o rss.txt "$@" >/dev/null 2>&1 || true
    tail -n 1 rss.txt
}
RSS_XB48=$(rss "$XB" extract --output-directory "$OUT" ext4.img)
RSS_XB512=$(rss "$XB" extract --output-directory "$OUT" ext4-512.img)
RSS_XFS=$(rss "$XB" extract --output-directory "$OUT" xfs.img)
RSS_PY48=$(rss "$PYGRUB" -q --output-directory="$OUT" ext4.img)
RSS_CAT=$(rss sh -c "cat $K > $OUT/k && cat $R > $OUT/r")

# ---- pygrub on XFS v5 ----------------------------------------------------------------
rm -f "$OUT"/*
PY_XFS=$("$PYGRUB" -q --output-directory="$OUT" xfs.img 2>&1 | tail -n 1 || true)

export RSS_XB48 RSS_XB512 RSS_XFS RSS_PY48 RSS_CAT PY_XFS W
python3 - <<'EOF'
import json, os
W = os.environ["W"]
def means(f):
    return {r["command"]: r for r in json.load(open(os.path.join(W, f)))["results"]}
def capi(f):
    return dict(l.split() for l in open(os.path.join(W, f)))
e, l = means("extract.json"), means("list.json")
c4, cx, c200 = capi("capi-ext4.txt"), capi("capi-xfs.txt"), capi("capi-200.txt")
ms = lambda r: r["mean"] * 1e3
cat, cats, py = ms(e["cat"]), ms(e["cat + sync"]), ms(e["pygrub ext4"])
print("| Measure (14 MiB kernel + 48 MiB initrd, warm cache) | ms | vs pygrub | vs cat | vs cat + sync |")
print("|---|---:|---:|---:|---:|")
rows = [(n, ms(e[n])) for n in ["cat", "cat + sync", "pygrub ext4", "xenboot ext4", "xenboot xfs"]]
rows += [("C API in-process ext4, to dir", float(c4["dir"])),
         ("C API in-process ext4, to memory", float(c4["memory"])),
         ("C API in-process xfs, to dir", float(cx["dir"])),
         ("C API in-process xfs, to memory", float(cx["memory"]))]
for n, v in rows:
    print(f"| {n} | {v:.1f} | {py / v:.1f}x faster | {v / cat:.2f}x | {v / cats:.2f}x |")
print()
print("| Listing, grub.cfg with 200 entries | ms |")
print("|---|---:|")
print(f"| pygrub -l (CLI) | {ms(l['pygrub list 200']):.1f} |")
print(f"| xenboot list (CLI) | {ms(l['xenboot list 200']):.1f} |")
print(f"| C API open + list (in-process) | {float(c200['list']):.2f} |")
print()
print("| Peak RSS | KiB |")
print("|---|---:|")
for n, k in [("cat (both files)", "RSS_CAT"), ("pygrub, ext4, 48 MiB initrd", "RSS_PY48"),
             ("xenboot extract, ext4, 48 MiB initrd", "RSS_XB48"),
             ("xenboot extract, ext4, 512 MiB initrd", "RSS_XB512"),
             ("xenboot extract, xfs, 48 MiB initrd", "RSS_XFS")]:
    print(f"| {n} | {os.environ[k]} |")
print()
print("pygrub on the XFS v5 disk:", os.environ["PY_XFS"])
EOF
echo "(raw hyperfine output in $W/hyperfine-*.txt)"
