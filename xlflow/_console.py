"""The CLI's standard streams on any console: a Chinese Windows console or pipe encodes
output as GBK (code page 936), which lacks some symbols the CLI prints (✓ ✗), and a
reader may stop early (`xlflow status DIR | head -1`)."""

from __future__ import annotations

import codecs
import contextlib
import os
import sys

HANDLER = "xlflow-nearest"
# The nearest character GBK has, for the symbols it lacks.
_NEAREST = {"✓": "√", "✗": "×", "•": "·", "\u00a0": " "}


def _nearest(exc: UnicodeError) -> tuple[str, int]:
    """Encoding error handler: each unencodable character becomes its nearest GBK
    symbol when the stream's encoding has it, otherwise '?'."""
    if not isinstance(exc, UnicodeEncodeError):
        raise exc
    out = []
    for ch in exc.object[exc.start:exc.end]:
        sub = _NEAREST.get(ch, "?")
        try:
            sub.encode(exc.encoding)
        except (UnicodeError, LookupError):
            sub = "?"
        out.append(sub)
    return "".join(out), exc.end


codecs.register_error(HANDLER, _nearest)


def setup_streams() -> None:
    """Let stdout and stderr write any text: characters the console's encoding cannot
    show are replaced (✓ → √) instead of stopping the command. UTF-8 streams (the Windows
    console itself, most POSIX terminals) and streams that are not text files are left as
    they are."""
    for stream in (sys.stdout, sys.stderr):
        reconfigure = getattr(stream, "reconfigure", None)
        encoding = getattr(stream, "encoding", None) or "utf-8"
        try:
            utf = codecs.lookup(encoding).name.startswith("utf")
        except LookupError:
            utf = False
        if reconfigure is not None and not utf and stream.errors in ("strict", "backslashreplace"):
            reconfigure(errors=HANDLER)


def silence_streams() -> None:
    """After the reader of our output went away (`| head`): point stdout and stderr at the
    null device, so that the flush at interpreter exit does not fail a second time."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        for stream in (sys.stdout, sys.stderr):
            # not backed by a file descriptor (CliRunner): nothing to redirect
            with contextlib.suppress(OSError, ValueError, AttributeError):
                os.dup2(devnull, stream.fileno())
    finally:
        os.close(devnull)
