#!/bin/sh
# Benchmarks of xenboot against pygrub and cat, measured in ONE run (ratios against
# the same disks, same page cache state), printed as a Markdown table.
#
#   scripts/bench.sh [WORKDIR]      (default: a new directory under /var/tmp; the guest
#                                   images are reused when WORKDIR already holds them)
#
# Needs (Debian): hyperfine, time, xen-utils-4.17 (pygrub), e2fsprogs, xfsprogs,
# fdisk, gcc, python3. Builds xenboot and libxenboot.so in release mode.
#
# Guest: a 14 MiB kernel and a 48 MiB initrd (random bytes) with a GRUB 2 grub.cfg
# that pygrub can parse, on ext4 (mke2fs -d) and on XFS v5 (mkfs.xfs -p), each in
# MBR partition 1 of a disk image. Every file is in the page cache (warm-up runs):
# the figures compare the work done, not the host disk. Outputs go to a tmpfs
# (/dev/shm), as libxl's do (/var/run/xen/bootloader.N.d); there xenboot's fdatasync
# (and xenboot no longer fsyncs its outputs at all). Wall times on a shared machine are noisy: the CPU time (user +
# system, from hyperfine and CLOCK_PROCESS_CPUTIME_ID) is printed next to them.
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
OUT=$(mktemp -d /dev/shm/xenboot-bench.XXXXXX)
trap 'rm -rf "$OUT"' EXIT
mkdir -p lib
cp "$ROOT/target/release/libxenboot.so" lib/libxenboot.so
ln -sf libxenboot.so lib/libxenboot.so.1
cc -O2 -I"$ROOT/include" "$ROOT/benches/capi_bench.c" -L"$W/lib" \
    -Wl,-rpath,"$W/lib" -lxenboot -o capi_bench

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

ext4_disk() { # ext4_disk TREE SIZE_MIB DISK (4 KiB blocks, as any root filesystem
    # over 512 MiB has; mke2fs would pick 1 KiB for these small images)
    mke2fs -q -F -t ext4 -b 4096 -d "$1" fs.img "$2M"
    disk fs.img "$3"
}

proto_dir() { # proto_dir DIR: mkfs.xfs protofile lines for DIR's contents
    for f in "$1"/*; do
        n=$(basename "$f")
        if [ -d "$f" ]; then
            echo "$n d--755 0 0"
            proto_dir "$f"
            echo "\$"
        else
            echo "$n ---644 0 0 $f"
        fi
    done
}

xfs_disk() { # xfs_disk TREE SIZE_MIB DISK (protofile; fstests variables allow < 300 MB)
    { echo "bench"; echo "0 0"; echo "d--755 0 0"; proto_dir "$1"; echo "\$"; } > proto
    rm -f fs.img
    truncate -s "$2M" fs.img
    TEST_DIR=/nonexistent TEST_DEV=/nonexistent QA_CHECK_FS=1 \
        mkfs.xfs -q -f -p proto fs.img
    disk fs.img "$3"
}

bls_tree() { # bls_tree DIR ENTRIES: a Fedora-style guest, blscfg + ENTRIES BLS files
    mkdir -p "$1/boot/grub2" "$1/boot/loader/entries"
    head -c 1M /dev/urandom > "$1/boot/vmlinuz-6.1.0"
    head -c 1M /dev/urandom > "$1/boot/initramfs-6.1.0.img"
    printf '%s\n' 'set default="${saved_entry}"' 'set kernelopts="root=/dev/xvda1 ro quiet"' \
        blscfg > "$1/boot/grub2/grub.cfg"
    i=1
    while [ "$i" -le "$2" ]; do
        printf 'title Fedora Linux (6.1.%s)\nversion 6.1.%s\nlinux /boot/vmlinuz-6.1.0\ninitrd /boot/initramfs-6.1.0.img\noptions $kernelopts\ngrub_users $grub_users\ngrub_arg --unrestricted\ngrub_class fedora\n' \
            "$i" "$i" > "$1/boot/loader/entries/0123456789abcdef-6.1.$i.conf"
        i=$((i + 1))
    done
}

if [ ! -f ext4-200.img ] || [ ! -f .ext4-4k ]; then
    rm -rf t48 t512 t200
    tree t48 48 1
    tree t512 512 1
    tree t200 48 200
    ext4_disk t48 96 ext4.img
    xfs_disk t48 300 xfs.img
    ext4_disk t512 600 ext4-512.img
    ext4_disk t200 96 ext4-200.img
    touch .ext4-4k
fi
if [ ! -f bls-xfs-200.img ]; then
    rm -rf tbls
    bls_tree tbls 200
    ext4_disk tbls 32 bls-ext4-200.img
    xfs_disk tbls 300 bls-xfs-200.img
fi
K=$W/t48/boot/vmlinuz
R=$W/t48/boot/initrd.img

# ---- one hyperfine run: every tool on the same files --------------------------------
CLEAN="rm -f $OUT/*"
hyperfine --style basic --warmup 2 --runs 10 --prepare "$CLEAN" --export-json extract.json \
    -n "cat" "cat $K > $OUT/k && cat $R > $OUT/r" \
    -n "xenboot ext4" "$XB extract --output-directory $OUT ext4.img" \
    -n "xenboot xfs" "$XB extract --output-directory $OUT xfs.img" \
    -n "pygrub ext4" "$PYGRUB -q --output-directory=$OUT ext4.img" \
    >hyperfine-extract.txt
hyperfine --style basic -N --warmup 2 --runs 20 --export-json list.json \
    -n "xenboot list 200" "$XB list ext4-200.img" \
    -n "pygrub list 200" "$PYGRUB -q -l ext4-200.img" \
    -n "xenboot list bls ext4" "$XB list bls-ext4-200.img" \
    -n "xenboot list bls xfs" "$XB list bls-xfs-200.img" \
    >hyperfine-list.txt

# ---- in process (C API) ------------------------------------------------------------
./capi_bench ext4.img "$OUT" 10 > capi-ext4.txt
./capi_bench xfs.img "$OUT" 10 > capi-xfs.txt
./capi_bench ext4-200.img "$OUT" 50 list > capi-200.txt
./capi_bench bls-ext4-200.img "$OUT" 50 list > capi-bls-ext4.txt
./capi_bench bls-xfs-200.img "$OUT" 50 list > capi-bls-xfs.txt
cc -O2 "$ROOT/benches/page_faults.c" -o page_faults
./page_faults > page-faults.txt

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
    return {l.split()[0]: (float(l.split()[1]), float(l.split()[2])) for l in open(os.path.join(W, f))}
e, l = means("extract.json"), means("list.json")
c4, cx = capi("capi-ext4.txt"), capi("capi-xfs.txt")
wc = lambda r: (r["mean"] * 1e3, (r["user"] + r["system"]) * 1e3)
cat, py = wc(e["cat"]), wc(e["pygrub ext4"])
print("| Open + list + extract, 14 MiB kernel + 48 MiB initrd | wall ms | CPU ms | pygrub / this (wall) | this / cat (wall) |")
print("|---|---:|---:|---:|---:|")
rows = [(n, wc(e[n])) for n in ["cat", "pygrub ext4", "xenboot ext4", "xenboot xfs"]]
rows += [("C API in-process ext4, to dir", c4["dir"]),
         ("C API in-process ext4, to fds (streaming)", c4["fds"]),
         ("C API in-process ext4, to memory", c4["memory"]),
         ("C API in-process ext4, to memory, map_image", c4["mapped"]),
         ("C API in-process xfs, to dir (copy_file_range)", cx["dir"]),
         ("C API in-process xfs, to fds (streaming)", cx["fds"]),
         ("C API in-process xfs, to memory", cx["memory"]),
         ("C API in-process xfs, to memory, map_image", cx["mapped"])]
for n, (w, c) in rows:
    print(f"| {n} | {w:.1f} | {c:.1f} | {py[0] / w:.1f}x | {w / cat[0]:.2f}x |")
print()
print("| Listing 200 entries | wall ms | CPU ms |")
print("|---|---:|---:|")
for n, k in [("grub.cfg on ext4: pygrub -l (CLI)", "pygrub list 200"),
             ("grub.cfg on ext4: xenboot list (CLI)", "xenboot list 200"),
             ("BLS on ext4: xenboot list (CLI)", "xenboot list bls ext4"),
             ("BLS on XFS v5: xenboot list (CLI)", "xenboot list bls xfs")]:
    w, c = wc(l[k])
    print(f"| {n} | {w:.1f} | {c:.1f} |")
for n, f in [("grub.cfg on ext4", "capi-200.txt"), ("BLS on ext4", "capi-bls-ext4.txt"),
             ("BLS on XFS v5", "capi-bls-xfs.txt")]:
    w, c = capi(f)["list"]
    print(f"| {n}: C API open + list + close (in-process) | {w:.2f} | {c:.2f} |")
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
echo
echo "The floor under copying into fresh memory (benches/page_faults.c):"
cat page-faults.txt
echo "(raw hyperfine output in $W/hyperfine-*.txt)"

# ---- the hostile image suite against its release-build bound of 1 s ------------------
cd "$ROOT"
echo
echo "Hostile image suite, release build (bound: 1 s and baseline + 64 MiB each):"
cargo test --release --quiet --test hostile -- --nocapture --test-threads=1 2>&1 |
    grep -oE 'hostile .*|test result.*' || { echo "hostile suite failed" >&2; exit 1; }
