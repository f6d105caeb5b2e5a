"""A word of a command line the CLI suggests, quoted so the user's shell passes it as one
argument: Windows cmd and POSIX shells alike take "分管副总 陈明" in double quotes."""

from __future__ import annotations

import os
import re
import shlex
import subprocess

_PLAIN = re.compile(r"[\w@+=:,./-]+")  # no shell splits or expands these (CJK included)
_SPECIAL_IN_QUOTES = re.compile(r'["$`\\!%]')  # what double quotes do not protect


def shell_word(text: str, *, windows: bool | None = None) -> str:
    """`text` as one shell word: bare when nothing in it is special; in double quotes
    (the same for cmd and sh) when it has spaces or other special characters; otherwise
    as the platform's shell needs it (cmd: `subprocess.list2cmdline`, sh: `shlex.quote`)."""
    if _PLAIN.fullmatch(text):
        return text
    if windows is None:
        windows = os.name == "nt"
    if windows:
        return subprocess.list2cmdline([text])
    if not _SPECIAL_IN_QUOTES.search(text):
        return f'"{text}"'
    return shlex.quote(text)
