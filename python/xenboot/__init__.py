"""Python binding of libxenboot: find and extract the kernel, ramdisk and command
line a Xen PV guest boots, from its disk image (through the C ABI of
``libxenboot.so.1``, with ctypes).

    import xenboot
    with xenboot.open("/dev/vg/guest") as boot:
        for e in boot.entries:
            print(e.position, e.title, e.kernel)
        boot.select("Debian GNU/Linux")
        k = boot.extract()            # in memory: k.kernel, k.ramdisk are bytes
        print(k.cmdline)

The library is ``$XENBOOT_LIB`` when set, else what ``ctypes.util.find_library``
finds, else ``libxenboot.so.1``.
"""

import ctypes
import json
import os
import threading
from dataclasses import dataclass, field
from typing import Callable, List, Optional

from . import _ffi
from ._ffi import (  # noqa: F401  (re-exported status and level constants)
    E_CORRUPT,
    E_INVALID,
    E_IO,
    E_LIMIT,
    E_NETWORK,
    E_NO_CONFIG,
    E_NO_ENTRY,
    E_NOT_FOUND,
    E_PANIC,
    E_UNSUPPORTED,
    LOG_DEBUG,
    LOG_ERROR,
    LOG_INFO,
    LOG_WARN,
)

__all__ = [
    "Boot",
    "Entry",
    "Extracted",
    "XenbootError",
    "open",
    "probe",
    "version",
]

_lib = None
_lib_lock = threading.Lock()


def _library():
    global _lib
    with _lib_lock:
        if _lib is None:
            _lib = _ffi.load()
        return _lib


def _text(b: Optional[bytes]) -> Optional[str]:
    return None if b is None else b.decode("utf-8", "replace")


def _take_string(p: Optional[int]) -> Optional[str]:
    """Copies a caller-owned C string and frees it with ``xenboot_string_free``."""
    if not p:
        return None
    try:
        return ctypes.string_at(p).decode("utf-8", "replace")
    finally:
        _library().xenboot_string_free(p)


class XenbootError(Exception):
    """A failed library call: ``status`` is the ``xenboot_status`` code (e.g.
    ``xenboot.E_NO_ENTRY``), ``status_name`` its name, ``message`` what was tried."""

    def __init__(self, status: int, message: str):
        self.status = status
        self.status_name = _text(_library().xenboot_status_name(status)) or str(status)
        self.message = message
        super().__init__(f"{self.status_name}: {message}")


def _check(status: int, handle=None) -> None:
    if status == _ffi.OK:
        return
    lib = _library()
    msg = lib.xenboot_error_message(handle) if handle else None
    if not msg:
        msg = lib.xenboot_last_error()
    raise XenbootError(status, _text(msg) or "")


def version() -> str:
    """The version of the loaded library, e.g. ``"0.1.0"``."""
    return _text(_library().xenboot_version()) or ""


@dataclass(frozen=True)
class Entry:
    """One menu entry, in document order (submenu entries flattened in)."""

    #: Index in ``Boot.entries``; a valid selector as a string.
    index: int
    #: The title shown in the menu.
    title: str
    #: GRUB 2 ``--id``, syslinux or LILO label; None when there is none.
    id: Optional[str]
    #: Titles of the enclosing submenus (``[]`` at top level).
    submenu: List[str]
    #: The position as GRUB numbers it, e.g. ``"1>2"``.
    position: str
    #: Kernel path on the guest filesystem; None when the entry names none.
    kernel: Optional[str]
    #: Initrd paths, concatenated in this order into one ramdisk.
    initrds: List[str]
    #: The kernel command line the boot loader would pass.
    args: str
    #: True when the entry can be booted as a PV kernel.
    bootable: bool
    #: Why it cannot be booted; None when bootable.
    why_not: Optional[str]
    #: Listed but hidden from the menu (syslinux ``MENU HIDE``).
    hidden: bool


@dataclass
class Extracted:
    """What ``Boot.extract`` produced: ``kernel``/``ramdisk`` are bytes (in memory)
    or paths of files (with ``to_dir``); ``ramdisk`` is None without initrds."""

    kernel: object
    ramdisk: Optional[object]
    cmdline: str
    #: True when ``kernel``/``ramdisk`` are file paths.
    in_files: bool = field(default=False)


def _split_path(path: str) -> List[str]:
    """Splits the header's ``path`` (titles joined by ``>``, a ``>`` in a title
    doubled) into titles."""
    if not path:
        return []
    parts, cur, i = [], [], 0
    while i < len(path):
        c = path[i]
        if c == ">":
            if path[i + 1 : i + 2] == ">":
                cur.append(">")
                i += 2
                continue
            parts.append("".join(cur))
            cur = []
        else:
            cur.append(c)
        i += 1
    parts.append("".join(cur))
    return parts


def _options(isconfig, offset, log, limits, allow_backing_file=False) -> "tuple[_ffi.Options, object]":
    lib = _library()
    o = _ffi.Options()
    _check(lib.xenboot_options_init(ctypes.byref(o)))
    o.isconfig = bool(isconfig)
    o.allow_backing_file = bool(allow_backing_file)
    if offset is not None:
        o.has_offset = True
        o.offset = int(offset)
    for name, value in limits.items():
        if name not in _ffi.LIMIT_FIELDS:
            raise TypeError(f"unknown option {name!r}")
        if value is not None:
            setattr(o, name, int(value))
    callback = None
    if log is not None:

        def trampoline(_ctx, level, msg):
            try:
                log(level, _text(msg) or "")
            except Exception:  # noqa: BLE001 (an exception cannot cross into C)
                pass

        callback = _ffi.LOG_FN(trampoline)
        o.log = callback
    return o, callback


def _location(location) -> bytes:
    return os.fsencode(location)


class Boot:
    """An opened boot source with its parsed menu. Use as a context manager, or
    call ``close()``."""

    def __init__(
        self, location, *, isconfig=False, offset=None, log=None, allow_backing_file=False, **limits
    ):
        self._h = None
        self._lib = _library()
        opts, self._log_callback = _options(isconfig, offset, log, limits, allow_backing_file)
        handle = ctypes.c_void_p()
        _check(self._lib.xenboot_open(_location(location), ctypes.byref(opts), ctypes.byref(handle)))
        self._h = handle
        self.location = location
        self._entries = None
        self._default = None

    def _handle(self):
        if self._h is None:
            raise ValueError("operation on a closed xenboot.Boot")
        return self._h

    def close(self) -> None:
        """Releases the handle (idempotent). Extracted bytes and files stay valid."""
        if self._h is not None:
            self._lib.xenboot_close(self._h)
            self._h = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False

    def __del__(self):
        try:
            self.close()
        except Exception:  # noqa: BLE001 (interpreter shutdown)
            pass

    def _load(self):
        if self._entries is not None:
            return
        h = self._handle()
        arr = ctypes.POINTER(_ffi.Entry)()
        n = ctypes.c_size_t()
        default = ctypes.c_size_t()
        _check(self._lib.xenboot_list(h, ctypes.byref(arr), ctypes.byref(n), ctypes.byref(default)), h)
        out = []
        for i in range(n.value):
            e = arr[i]
            initrds = [_text(e.initrds[j]) for j in range(e.n_initrds)]
            out.append(
                Entry(
                    index=i,
                    title=_text(e.title) or "",
                    id=_text(e.id),
                    submenu=_split_path(_text(e.path) or ""),
                    position=_text(e.position) or "",
                    kernel=_text(e.kernel),
                    initrds=initrds,
                    args=_text(e.args) or "",
                    bootable=bool(e.bootable),
                    why_not=_text(e.why_not),
                    hidden=bool(e.hidden),
                )
            )
        self._entries = out
        self._default = None if default.value == _ffi.NO_INDEX else default.value

    @property
    def entries(self) -> List[Entry]:
        """The menu entries in document order."""
        self._load()
        return list(self._entries)

    @property
    def default_index(self) -> Optional[int]:
        """Index of the entry the configuration boots by default; None when the menu
        is empty."""
        self._load()
        return self._default

    def select(self, selector=None) -> int:
        """Selects the entry later extractions use: None for the default, an index
        (int or ``"2"``), a title, an id or a GRUB path (``"1>2"``). Returns its
        index; ``XenbootError`` with status ``E_NO_ENTRY`` when nothing matches."""
        h = self._handle()
        sel = None if selector is None else str(selector).encode("utf-8")
        index = ctypes.c_size_t()
        _check(self._lib.xenboot_select(h, sel, ctypes.byref(index)), h)
        return index.value

    def extract(self, to_dir=None, *, entry=None, kernel=None, ramdisks=None, args=None) -> Extracted:
        """Extracts the selected entry (or ``entry``): into memory (bytes) by default,
        or into files ``boot_kernel.*``/``boot_ramdisk.*`` (mode 0600) in ``to_dir``.
        ``kernel``, ``ramdisks`` (a list; ``[]`` for none) and ``args`` override the
        entry's."""
        h = self._handle()
        xo = _ffi.ExtractOptions()
        _check(self._lib.xenboot_extract_options_init(ctypes.byref(xo)))
        keep = []  # keeps the encoded strings alive during the call

        def c(s):
            if s is None:
                return None
            b = str(s).encode("utf-8")
            keep.append(b)
            return b

        xo.entry = c(entry)
        xo.kernel = c(kernel)
        xo.args = c(args)
        if ramdisks is not None:
            arr = (ctypes.c_char_p * (len(ramdisks) + 1))(*[c(r) for r in ramdisks], None)
            keep.append(arr)
            xo.ramdisks = ctypes.cast(arr, ctypes.POINTER(ctypes.c_char_p))
            xo.n_ramdisks = len(ramdisks)
        cmdline = ctypes.c_void_p()
        if to_dir is not None:
            kpath = ctypes.c_void_p()
            rpath = ctypes.c_void_p()
            _check(
                self._lib.xenboot_extract_to_dir(
                    h,
                    ctypes.byref(xo),
                    os.fsencode(to_dir),
                    ctypes.byref(kpath),
                    ctypes.byref(rpath),
                    ctypes.byref(cmdline),
                ),
                h,
            )
            return Extracted(
                kernel=_take_string(kpath.value),
                ramdisk=_take_string(rpath.value),
                cmdline=_take_string(cmdline.value) or "",
                in_files=True,
            )
        kblob = _ffi.Blob()
        rblob = _ffi.Blob()
        _check(
            self._lib.xenboot_extract(
                h, ctypes.byref(xo), ctypes.byref(kblob), ctypes.byref(rblob), ctypes.byref(cmdline)
            ),
            h,
        )
        try:
            kbytes = ctypes.string_at(kblob.data, kblob.size) if kblob.size else b""
            rbytes = ctypes.string_at(rblob.data, rblob.size) if rblob.size else None
        finally:
            self._lib.xenboot_blob_free(ctypes.byref(kblob))
            self._lib.xenboot_blob_free(ctypes.byref(rblob))
        return Extracted(kernel=kbytes, ramdisk=rbytes, cmdline=_take_string(cmdline.value) or "")


def open(
    location,
    *,
    offset: Optional[int] = None,
    isconfig: bool = False,
    log: Optional[Callable[[int, str], None]] = None,
    allow_backing_file: bool = False,
    **limits,
) -> Boot:
    """Opens a disk image or block device (or with ``isconfig`` a configuration file
    on the host), finds the boot configuration and parses its menu.

    ``offset``: byte offset of the filesystem (skips the partition table).
    ``log(level, message)``: receives warnings and errors (levels ``LOG_*``).
    ``allow_backing_file``: follow a qcow2 image's backing file (refused by default).
    Limits as keyword arguments: ``max_kernel``, ``max_ramdisk``, ``max_config``,
    ``max_include_depth``, ``max_symlink_hops``, ``max_entries``, ``max_partitions``,
    ``max_ebr_chain``, ``max_gpt_entries``, ``max_script_steps``,
    ``max_path_components``, ``max_dir_entries``.
    """
    return Boot(
        location,
        isconfig=isconfig,
        offset=offset,
        log=log,
        allow_backing_file=allow_backing_file,
        **limits,
    )


def probe(location, *, offset: Optional[int] = None, isconfig: bool = False, **limits) -> dict:
    """Everything found on ``location`` (partitions, filesystems, configuration paths
    tried, entries, default, warnings, ``"error"``) as a dict; an unbootable source
    still gives a report."""
    lib = _library()
    opts, _cb = _options(isconfig, offset, None, limits)
    report = ctypes.c_void_p()
    _check(lib.xenboot_probe(_location(location), ctypes.byref(opts), ctypes.byref(report)))
    return json.loads(_take_string(report.value) or "null")
