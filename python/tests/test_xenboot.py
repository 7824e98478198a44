"""Tests of the ctypes binding on disk images made by the real tools (mke2fs -d,
sfdisk). Set XENBOOT_LIB to the libxenboot.so under test."""

import hashlib
import os
import random
import stat
import subprocess
import sys

import pytest

import xenboot

TOOLS_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"


def run(*cmd, stdin=None):
    subprocess.run(
        cmd, check=True, input=stdin, capture_output=True, env={"PATH": TOOLS_PATH}
    )


def blob(seed, size):
    return random.Random(seed).randbytes(size)


KERNEL_A = blob(1, 300_000)
KERNEL_B = blob(2, 123_457)
INITRD_A = blob(3, 70_001)
INITRD_B1 = blob(4, 5_000)
INITRD_B2 = blob(5, 9_999)

MENU_LST = b"""default 1
timeout 5
frobnicate now

title Debian A
  root (hd0,0)
  kernel /boot/vmlinuz-a root=/dev/xvda1 ro quiet
  initrd /boot/initrd-a

title Debian B
  root (hd0,0)
  kernel /boot/vmlinuz-b root=/dev/xvda1 ro
  initrd /boot/initrd-b1
"""

GRUB_CFG = b"""set default=0
menuentry 'Top' --id top {
  linux /boot/vmlinuz-a root=/dev/xvda1
}
submenu 'Advanced options' {
  menuentry 'Deep' --id deep {
    linux /boot/vmlinuz-b single
    initrd /boot/initrd-b1 /boot/initrd-b2
  }
}
"""


def make_disk(tmp, config_path, config):
    """An MBR disk whose first partition (at 1 MiB) is an ext4 filesystem."""
    tree = tmp / "tree"
    files = {
        config_path: config,
        "boot/vmlinuz-a": KERNEL_A,
        "boot/vmlinuz-b": KERNEL_B,
        "boot/initrd-a": INITRD_A,
        "boot/initrd-b1": INITRD_B1,
        "boot/initrd-b2": INITRD_B2,
    }
    for rel, data in files.items():
        p = tree / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(data)
    fs = tmp / "fs.img"
    run("mke2fs", "-q", "-F", "-t", "ext4", "-d", str(tree), str(fs), "8M")
    disk = tmp / "disk.img"
    with open(disk, "wb") as f:
        f.truncate(10 << 20)
    run("sfdisk", "-q", str(disk), stdin=b"label: dos\nstart=2048, size=16384, type=83\n")
    with open(disk, "r+b") as f, open(fs, "rb") as src:
        f.seek(1 << 20)
        f.write(src.read())
    return disk


@pytest.fixture
def legacy_disk(tmp_path):
    return make_disk(tmp_path, "boot/grub/menu.lst", MENU_LST)


@pytest.fixture
def grub2_disk(tmp_path):
    return make_disk(tmp_path, "boot/grub/grub.cfg", GRUB_CFG)


def test_version_matches_header():
    assert xenboot.version() == "0.1.0"


def test_struct_sizes_match_library():
    # load() already refused a mismatch; check the numbers it compared.
    lib = xenboot._library()
    for cls, init in (
        (xenboot._ffi.Options, lib.xenboot_options_init),
        (xenboot._ffi.ExtractOptions, lib.xenboot_extract_options_init),
    ):
        s = cls()
        assert init(s) == 0
        assert s.size == xenboot._ffi.ctypes.sizeof(cls)
    # size, isconfig, has_offset, offset; 12 limits; log, log_ctx; allow_backing_file (padded).
    assert xenboot._ffi.ctypes.sizeof(xenboot._ffi.Options) == 8 + 13 * 8 + 16 + 8


def test_list_entries_and_default(legacy_disk):
    with xenboot.open(legacy_disk) as boot:
        entries = boot.entries
        assert [e.title for e in entries] == ["Debian A", "Debian B"]
        assert boot.default_index == 1
        b = entries[1]
        assert b.kernel == "/boot/vmlinuz-b"
        assert b.initrds == ["/boot/initrd-b1"]
        assert b.args == "root=/dev/xvda1 ro"
        assert b.bootable and b.why_not is None and not b.hidden
        assert b.submenu == [] and b.position == "1" and b.index == 1


def test_extract_default_in_memory(legacy_disk):
    with xenboot.open(legacy_disk) as boot:
        out = boot.extract()
    assert out.kernel == KERNEL_B
    assert out.ramdisk == INITRD_B1
    assert out.cmdline == "root=/dev/xvda1 ro"
    assert not out.in_files


def test_select_then_extract_to_dir(legacy_disk, tmp_path):
    outdir = tmp_path / "out"
    outdir.mkdir()
    with xenboot.open(legacy_disk) as boot:
        assert boot.select("Debian A") == 0
        out = boot.extract(to_dir=outdir)
    assert out.in_files
    assert os.path.dirname(out.kernel) == str(outdir)
    assert os.path.basename(out.kernel).startswith("boot_kernel.")
    assert open(out.kernel, "rb").read() == KERNEL_A
    assert open(out.ramdisk, "rb").read() == INITRD_A
    assert stat.S_IMODE(os.stat(out.kernel).st_mode) == 0o600
    assert out.cmdline == "root=/dev/xvda1 ro quiet"


def test_extract_overrides(legacy_disk):
    with xenboot.open(legacy_disk) as boot:
        out = boot.extract(entry="0", kernel="/boot/vmlinuz-b", ramdisks=[], args="x=1")
        assert out.kernel == KERNEL_B and out.ramdisk is None and out.cmdline == "x=1"
        # The override did not change the selection: the default is still entry 1.
        assert hashlib.sha256(boot.extract().kernel).digest() == hashlib.sha256(KERNEL_B).digest()


def test_grub2_submenu_path_and_id(grub2_disk):
    with xenboot.open(grub2_disk) as boot:
        deep = [e for e in boot.entries if e.title == "Deep"]
        assert len(deep) == 1
        e = deep[0]
        assert e.submenu == ["Advanced options"] and e.id == "deep" and e.position == "1>0"
        assert boot.select("Advanced options>Deep") == e.index
        out = boot.extract()
    assert out.kernel == KERNEL_B and out.cmdline == "single"
    # Several initrds are concatenated in order into one ramdisk.
    assert out.ramdisk == INITRD_B1 + INITRD_B2
    assert e.initrds == ["/boot/initrd-b1", "/boot/initrd-b2"]


def test_offset_skips_partition_table(legacy_disk):
    with xenboot.open(legacy_disk, offset=1 << 20) as boot:
        assert boot.extract().kernel == KERNEL_B


def test_max_kernel_limit(legacy_disk):
    with xenboot.open(legacy_disk, max_kernel=1000) as boot:
        with pytest.raises(xenboot.XenbootError) as ei:
            boot.extract()
    assert ei.value.status == xenboot.E_LIMIT
    assert ei.value.status_name == "XENBOOT_E_LIMIT"


def test_log_callback_receives_warning(legacy_disk):
    seen = []
    with xenboot.open(legacy_disk, log=lambda level, msg: seen.append((level, msg))):
        pass
    assert any(level == xenboot.LOG_WARN and "frobnicate" in msg for level, msg in seen), seen


def test_missing_file_is_io_error(tmp_path):
    missing = tmp_path / "nope.img"
    with pytest.raises(xenboot.XenbootError) as ei:
        xenboot.open(missing)
    assert ei.value.status == xenboot.E_IO
    assert str(missing) in ei.value.message


def test_garbage_has_no_config(tmp_path):
    junk = tmp_path / "junk.img"
    junk.write_bytes(blob(9, 1 << 20))
    with pytest.raises(xenboot.XenbootError) as ei:
        xenboot.open(junk)
    assert ei.value.status == xenboot.E_NO_CONFIG
    assert "tried" in ei.value.message


def test_out_of_range_entry(legacy_disk):
    with xenboot.open(legacy_disk) as boot:
        with pytest.raises(xenboot.XenbootError) as ei:
            boot.select(7)
        assert ei.value.status == xenboot.E_NO_ENTRY
        assert "2 entries" in ei.value.message
        with pytest.raises(xenboot.XenbootError) as ei:
            boot.extract(entry="7")
        assert ei.value.status == xenboot.E_NO_ENTRY


def test_closed_handle_and_unknown_option(legacy_disk):
    boot = xenboot.open(legacy_disk)
    boot.close()
    boot.close()
    with pytest.raises(ValueError):
        boot.select()
    with pytest.raises(TypeError):
        xenboot.open(legacy_disk, max_bogus=1)


def test_isconfig_lists_host_file(tmp_path):
    cfg = tmp_path / "menu.lst"
    cfg.write_bytes(MENU_LST)
    with xenboot.open(cfg, isconfig=True) as boot:
        assert [e.title for e in boot.entries] == ["Debian A", "Debian B"]


def test_probe_reports_entries_and_errors(legacy_disk, tmp_path):
    report = xenboot.probe(legacy_disk)
    assert report["error"] is None
    text = repr(report)
    assert "Debian B" in text and "/boot/grub/menu.lst" in text
    bad = xenboot.probe(tmp_path / "nope.img")
    assert bad["error"]


def test_wrong_xenboot_lib_is_not_silently_replaced(tmp_path):
    code = "import xenboot\ntry:\n    xenboot.version()\nexcept OSError as e:\n    print('E', e)\n"
    env = dict(os.environ, XENBOOT_LIB=str(tmp_path / "libnothere.so"))
    pkg = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=pkg, env=env, capture_output=True, text=True
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith("E cannot load libxenboot") and "libnothere.so" in out.stdout
