"""The project's key and what it proves: a department workbook's `_xlflow` identity is
signed (HMAC-SHA256) with a per-project key kept in the project folder, so a file that
claims another department, week or project than the one it was built for is told apart.

Sheet protection without a password and a very hidden sheet keep honest people from
slips, not a department from editing `_xlflow`: the signature is what the merge trusts.
The key stays in DIR/.xlflow-key: never in a workbook, a mail or the archive.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import re
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from functools import cached_property
from pathlib import Path

from .contract import SIGNATURE_KEY, signed_payload
from .errors import ProjectError

KEY_FILE = ".xlflow-key"
#: The key `xlflow init --example` writes. It is public (in the README and the code):
#: the bundled sample returns are signed with it. Demos only, never a real project.
EXAMPLE_KEY = "5f30e696bf5b4647d2e70f5b284d77cf8cdde0e50fdfde2404b566256bce363c"
_HEX_KEY = re.compile(r"^[0-9a-f]{64}$")


def new_key() -> str:
    """32 random bytes, as 64 hex digits."""
    return secrets.token_hex(32)


def write_key(path: Path, key_hex: str) -> None:
    """Create the key file, readable by its owner only on POSIX (0600; on Windows the
    mode is ignored and the folder's permissions apply). Never overwrites a key."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
    fd = os.open(path, flags, 0o600)
    with os.fdopen(fd, "w", encoding="ascii", newline="\n") as fh:
        fh.write(key_hex + "\n")
        fh.flush()
        os.fsync(fh.fileno())


def read_key(path: Path) -> bytes | None:
    """The key in `path`, or None when there is none (a project made by an older xlflow)."""
    try:
        text = path.read_text(encoding="ascii", errors="replace").strip().lower()
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise ProjectError(f"{path}: 无法读取项目密钥({exc.strerror or exc})") from None
    if not _HEX_KEY.match(text):
        raise ProjectError(f"{path}: 项目密钥应为 64 位十六进制数字;文件已损坏,请从备份恢复")
    return bytes.fromhex(text)


def sign(key: bytes, fields: Mapping[str, str], tasks: Sequence[Sequence[str]]) -> str:
    """The `signature` of an identity (fields and task rows as the reader reads them)."""
    return hmac.new(key, signed_payload(fields, tasks), hashlib.sha256).hexdigest()


def verify(key: bytes, fields: Mapping[str, str], tasks: Sequence[Sequence[str]]) -> bool:
    """Whether the identity's `signature` row is this key's signature of it."""
    found = str(fields.get(SIGNATURE_KEY, "")).strip().lower()
    return hmac.compare_digest(sign(key, fields, tasks).encode("ascii"),
                               found.encode("utf-8"))


def file_id(key: bytes, project_id: str, week: str, department: str, kind: str, *,
            draft: bool = False) -> str:
    """A department workbook's file id: derived from the key, so the same week and
    department get the same id whenever they are built (the bundled sample returns match
    the example project's build), and no other project's key makes it. A draft (`build
    --draft`) gets an id of its own, so a filled draft is told apart from the real file."""
    payload = json.dumps(["xlflow-file-id-1", project_id, week, department,
                          f"{kind}/draft" if draft else kind],
                         ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    return hmac.new(key, payload, hashlib.sha256).hexdigest()[:32]


class Signature(StrEnum):
    """What became of a returned file's signature."""

    VALID = "valid"  # verified with the project's key
    INVALID = "invalid"  # did not verify, or was removed: the file is refused
    UNSIGNED = "unsigned"  # a file from before signing, let through with a warning
    UNCHECKED = "unchecked"  # no key at hand (validate without --project): checked at merge


@dataclass(frozen=True)
class BuiltFile:
    """A workbook `xlflow build` wrote, as the ledger records it."""

    file_id: str
    week: str
    department: str
    kind: str  # department, master
    built_at: str
    sha256: str
    draft: bool = False  # built with --draft before PMO备案: never counts as a real return

    def to_dict(self) -> dict[str, str]:
        return {"file_id": self.file_id, "week": self.week, "department": self.department,
                "kind": self.kind, "built_at": self.built_at, "sha256": self.sha256}


@dataclass(frozen=True)
class Trust:
    """What the project folder knows to check a returned file's identity: its key (None
    for a project from before signing) and the files it built, by file id."""

    key: bytes | None
    built: Mapping[str, BuiltFile] = field(default_factory=dict)

    @classmethod
    def of(cls, key: bytes | None, built: Sequence[BuiltFile]) -> Trust:
        return cls(key, {b.file_id: b for b in built})

    @cached_property
    def signed_builds(self) -> frozenset[tuple[str, str]]:
        """(week, department) of every department workbook built with a signature: a
        file of these without one had its signature removed."""
        return frozenset((b.week, b.department) for b in self.built.values()
                         if b.kind == "department")
