"""The PMO master rewritten between builds (an opinion or approval recorded): signed and
recorded like the one `build` writes, with the register's open risks on its 风险应对
sheet, so the copy the PMO fills is the one the merge accepts."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from .._files import atomic_path, sha256_file
from ..contract import MASTER_KIND
from ..merge.carry import carried_before
from ..model.records import risk_sort_key
from ..project import Project
from ..signing import BuiltFile
from ..workspace import Workspace
from ..writer import write_master_workbook
from .scope import cancelling_changes


def write_signed_master(ws: Workspace, project: Project, week: str, *, built_at: dt.datetime,
                        approvals: Sequence[Mapping[str, Any]],
                        baseline: Mapping[str, dt.date] | None = None) -> Path:
    """Write the week's master (inside the caller's lock); signed and recorded in the
    ledger's built files when the project has a key (after its first build)."""
    specs = project.specs()
    key = ws.key()
    with ws.existing_ledger() as ledger:
        risks = carried_before(ledger, week, specs).risks if ledger else []
    target = ws.master_file(project, week)
    fid = uuid.uuid4().hex
    with atomic_path(target) as tmp:
        write_master_workbook(tmp, project, specs, week, built_at=built_at, file_id=fid,
                              approvals=approvals, risks=sorted(risks, key=risk_sort_key),
                              key=key, baseline=baseline,
                              cancelled_by=cancelling_changes(ws))
        digest = sha256_file(tmp)
    if key is not None:
        with ws.ledger() as ledger, ledger.transaction():
            ledger.add_built_files([BuiltFile(fid, week, "", MASTER_KIND,
                                              built_at.isoformat(timespec="seconds"), digest)])
    return target
