"""Files the user names on the command line: read them whole and safely, or check them before any work is done.

A path given to `--config-file` or `--policy-config` can be anything: a directory, a FIFO nobody writes to (an open
for reading would wait forever), `/dev/zero` (a read would fill memory), a file saved as UTF-16 by Windows
PowerShell, binary garbage. Each is refused here with one message naming the path and the fix (exit 2), never a
hang or a traceback. Output paths (`--json`, `--markdown`) are checked before the preview runs, so a typo in a
folder name costs a second, not a whole preview, and never a traceback after it.
"""

from __future__ import annotations

import codecs
import os
import stat
import tempfile
from pathlib import Path

from .errors import UsageError

# Byte-order marks of the encodings a Windows editor or PowerShell 5's `>` writes instead of UTF-8.
_BOMS: tuple[tuple[bytes, str], ...] = (
    (codecs.BOM_UTF32_LE, "UTF-32"),
    (codecs.BOM_UTF32_BE, "UTF-32"),
    (codecs.BOM_UTF16_LE, "UTF-16"),
    (codecs.BOM_UTF16_BE, "UTF-16"),
)


def read_text(path: Path, *, label: str, limit: int, example: str) -> str:
    """The whole file as UTF-8 text, or UsageError: `{label} {path}: <what is wrong>; <the fix>`.

    Opened without blocking and checked to be a regular file before a byte is read (a FIFO or device is refused at
    once), and never read past `limit` bytes. `example` names what should be there (e.g. "Pulumi.dev.yaml").
    """
    where = f"{label} {path}"
    try:
        # O_NONBLOCK: opening a FIFO for reading would otherwise wait for a writer; on a regular file it does nothing.
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except FileNotFoundError:
        raise UsageError(f"{where}: no such file") from None
    except IsADirectoryError:
        raise UsageError(f"{where}: is a directory; give the file itself (e.g. {example})") from None
    except NotADirectoryError:
        raise UsageError(f"{where}: no such file (a part of the path is a file, not a folder)") from None
    except PermissionError:
        raise UsageError(f"{where}: cannot read it (permission denied); check its permissions") from None
    except OSError as exc:
        raise UsageError(f"{where}: cannot open it ({exc.strerror or exc})") from None
    try:
        mode = os.fstat(fd).st_mode
        if stat.S_ISDIR(mode):
            raise UsageError(f"{where}: is a directory; give the file itself (e.g. {example})")
        if not stat.S_ISREG(mode):
            kind = "a FIFO (named pipe)" if stat.S_ISFIFO(mode) else "a device or socket"
            raise UsageError(f"{where}: is {kind}, not a regular file; save the content to a file and give its path")
        with os.fdopen(fd, "rb") as file:  # owns (and closes) the descriptor from here on
            fd = -1
            data = file.read(limit + 1)
    except OSError as exc:
        raise UsageError(f"{where}: cannot read it ({exc.strerror or exc})") from None
    finally:
        if fd >= 0:
            os.close(fd)
    if len(data) > limit:
        raise UsageError(f"{where}: is larger than {limit // (1024 * 1024)} MiB; is it the right file?")
    return decode_utf8(data, where)


def decode_utf8(data: bytes, where: str) -> str:
    """UTF-8 text (a UTF-8 byte-order mark is dropped, as the Pulumi CLI's YAML reader drops it), or UsageError."""
    for bom, name in _BOMS:
        if data.startswith(bom):
            raise UsageError(
                f"{where}: is saved as {name} text (Windows PowerShell 5 writes that with `>`); save it as UTF-8 "
                "(e.g. `Get-Content FILE | Set-Content -Encoding utf8 FILE`, or your editor's 'Save with encoding')"
            )
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise UsageError(
            f"{where}: is not UTF-8 text (byte 0x{data[exc.start]:02x} on line {line}); "
            "is it a binary file? Restore it from git or save it as UTF-8"
        ) from None


def check_output(flag: str, value: str, example: str) -> None:
    """Refuse an output path the preview could not write, before the preview runs (UsageError, exit 2).

    An existing target must open for writing (without truncating it: nothing is written yet); a new one needs an
    existing folder in which a file can really be created (probed, so a read-only mount or /proc is caught too).
    """
    path = Path(value)
    where = f"{flag} {value}"
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        mode = None
    except NotADirectoryError:
        raise UsageError(f"{where}: a part of the path is a file, not a folder") from None
    except OSError as exc:
        raise UsageError(f"{where}: cannot use it ({exc.strerror or exc})") from None
    if mode is not None:
        if stat.S_ISDIR(mode):
            raise UsageError(f"{where}: is a directory; give a file name in it, e.g. {path / example}")
        try:
            # O_APPEND without O_TRUNC: the file is untouched; O_NONBLOCK: a FIFO without a reader fails, not waits.
            os.close(os.open(path, os.O_WRONLY | os.O_APPEND | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0)))
        except OSError as exc:
            raise UsageError(f"{where}: cannot write to it ({exc.strerror or exc})") from None
        return
    folder = path.parent
    if not folder.is_dir():
        if folder.exists():
            raise UsageError(f"{where}: {folder} is a file, not a folder")
        raise UsageError(f"{where}: the folder {folder} does not exist; create it first (mkdir -p {folder})")
    try:
        with tempfile.TemporaryFile(dir=folder, prefix=".webex-scim-probe-"):
            pass
    except OSError as exc:
        raise UsageError(f"{where}: cannot create a file in {folder} ({exc.strerror or exc})") from None
