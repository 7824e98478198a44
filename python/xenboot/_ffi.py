"""ctypes declarations mirroring ``include/xenboot.h`` (ABI version 1).

Every struct here must have exactly the layout of its C counterpart; the library
writes its own ``sizeof`` into the ``size`` field of the option structs, and
``load()`` checks it against ``ctypes.sizeof`` of these classes.
"""

import ctypes
import ctypes.util
import os

#: The SONAME this binding is written for.
SONAME = "libxenboot.so.1"

#: ``XENBOOT_NO_INDEX`` (``SIZE_MAX``): no default entry.
NO_INDEX = ctypes.c_size_t(-1).value

#: ``xenboot_status`` values.
OK = 0
E_INVALID = 1000
E_IO = 1001
E_NO_CONFIG = 1002
E_NO_ENTRY = 1003
E_NOT_FOUND = 1004
E_CORRUPT = 1005
E_UNSUPPORTED = 1006
E_LIMIT = 1007
E_NETWORK = 1008
E_PANIC = 1009

#: ``xenboot_log_level`` values.
LOG_DEBUG = 0
LOG_INFO = 1
LOG_WARN = 2
LOG_ERROR = 3

#: ``xenboot_log_fn``: ``void (*)(void *ctx, int level, const char *msg)``.
LOG_FN = ctypes.CFUNCTYPE(None, ctypes.c_void_p, ctypes.c_int, ctypes.c_char_p)


class Options(ctypes.Structure):
    """``struct xenboot_options``."""

    _fields_ = [
        ("size", ctypes.c_uint32),
        ("isconfig", ctypes.c_bool),
        ("has_offset", ctypes.c_bool),
        ("offset", ctypes.c_uint64),
        ("max_kernel", ctypes.c_uint64),
        ("max_ramdisk", ctypes.c_uint64),
        ("max_config", ctypes.c_uint64),
        ("max_include_depth", ctypes.c_uint64),
        ("max_symlink_hops", ctypes.c_uint64),
        ("max_entries", ctypes.c_uint64),
        ("max_partitions", ctypes.c_uint64),
        ("max_ebr_chain", ctypes.c_uint64),
        ("max_gpt_entries", ctypes.c_uint64),
        ("max_script_steps", ctypes.c_uint64),
        ("max_path_components", ctypes.c_uint64),
        ("max_dir_entries", ctypes.c_uint64),
        ("log", LOG_FN),
        ("log_ctx", ctypes.c_void_p),
        ("allow_backing_file", ctypes.c_bool),
    ]


#: The limit fields of ``Options`` that ``open()`` accepts as keyword arguments.
LIMIT_FIELDS = tuple(name for name, _ in Options._fields_ if name.startswith("max_"))


class ExtractOptions(ctypes.Structure):
    """``struct xenboot_extract_options``."""

    _fields_ = [
        ("size", ctypes.c_uint32),
        ("entry", ctypes.c_char_p),
        ("kernel", ctypes.c_char_p),
        ("ramdisks", ctypes.POINTER(ctypes.c_char_p)),
        ("n_ramdisks", ctypes.c_size_t),
        ("args", ctypes.c_char_p),
        ("map_image", ctypes.c_int),
        ("reserved", ctypes.c_int),
    ]


class Blob(ctypes.Structure):
    """``struct xenboot_blob``: an anonymous mapping owned by the caller."""

    _fields_ = [("data", ctypes.c_void_p), ("size", ctypes.c_size_t)]


class Entry(ctypes.Structure):
    """``struct xenboot_entry``: borrowed from the handle until ``xenboot_close``."""

    _fields_ = [
        ("title", ctypes.c_char_p),
        ("id", ctypes.c_char_p),
        ("path", ctypes.c_char_p),
        ("position", ctypes.c_char_p),
        ("kernel", ctypes.c_char_p),
        ("initrds", ctypes.POINTER(ctypes.c_char_p)),
        ("n_initrds", ctypes.c_size_t),
        ("args", ctypes.c_char_p),
        ("bootable", ctypes.c_bool),
        ("hidden", ctypes.c_bool),
        ("why_not", ctypes.c_char_p),
    ]


# Caller-owned strings are declared as c_void_p so that ctypes does not convert
# (and lose) the pointer before it is passed back to xenboot_string_free.
_OWNED = ctypes.c_void_p
_P = ctypes.POINTER
_STATUS = ctypes.c_int

_SIGNATURES = {
    "xenboot_version": (ctypes.c_char_p, []),
    "xenboot_last_error": (ctypes.c_char_p, []),
    "xenboot_status_name": (ctypes.c_char_p, [ctypes.c_int]),
    "xenboot_string_free": (None, [_OWNED]),
    "xenboot_options_init": (_STATUS, [_P(Options)]),
    "xenboot_extract_options_init": (_STATUS, [_P(ExtractOptions)]),
    "xenboot_open": (_STATUS, [ctypes.c_char_p, _P(Options), _P(ctypes.c_void_p)]),
    "xenboot_close": (None, [ctypes.c_void_p]),
    "xenboot_list": (
        _STATUS,
        [ctypes.c_void_p, _P(_P(Entry)), _P(ctypes.c_size_t), _P(ctypes.c_size_t)],
    ),
    "xenboot_select": (_STATUS, [ctypes.c_void_p, ctypes.c_char_p, _P(ctypes.c_size_t)]),
    "xenboot_error_message": (ctypes.c_char_p, [ctypes.c_void_p]),
    "xenboot_extract": (
        _STATUS,
        [ctypes.c_void_p, _P(ExtractOptions), _P(Blob), _P(Blob), _P(_OWNED)],
    ),
    "xenboot_blob_free": (None, [_P(Blob)]),
    "xenboot_extract_to_dir": (
        _STATUS,
        [
            ctypes.c_void_p,
            _P(ExtractOptions),
            ctypes.c_char_p,
            _P(_OWNED),
            _P(_OWNED),
            _P(_OWNED),
        ],
    ),
    "xenboot_probe": (_STATUS, [ctypes.c_char_p, _P(Options), _P(_OWNED)]),
}


def _candidates():
    env = os.environ.get("XENBOOT_LIB")
    if env:
        # An explicit choice is the only one tried: a wrong path must not silently
        # fall back to another copy of the library.
        return [env]
    found = ctypes.util.find_library("xenboot")
    return [c for c in (found, SONAME) if c]


def load():
    """Loads the library: ``$XENBOOT_LIB``, else ``find_library("xenboot")``, else
    ``libxenboot.so.1``; declares the signatures and checks the struct sizes."""
    errors = []
    lib = None
    for name in _candidates():
        try:
            lib = ctypes.CDLL(name)
            break
        except OSError as e:
            errors.append(f"{name}: {e}")
    if lib is None:
        raise OSError("cannot load libxenboot: " + "; ".join(errors))
    for fname, (restype, argtypes) in _SIGNATURES.items():
        fn = getattr(lib, fname)
        fn.restype = restype
        fn.argtypes = argtypes
    _check_sizes(lib)
    return lib


def _check_sizes(lib):
    """The library writes its own ``sizeof`` into ``size``: it must match ours."""
    for cls, init in (
        (Options, lib.xenboot_options_init),
        (ExtractOptions, lib.xenboot_extract_options_init),
    ):
        s = cls()
        status = init(ctypes.byref(s))
        if status != OK or s.size != ctypes.sizeof(cls):
            raise OSError(
                f"libxenboot's {cls.__name__} is {s.size} bytes, this binding's "
                f"{ctypes.sizeof(cls)} (status {status}): library and binding differ"
            )
