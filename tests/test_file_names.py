"""Every file name xlflow builds from user text is one Windows (NTFS) accepts, however the
departments and the project are named."""

from __future__ import annotations

import datetime as dt
import re
import zipfile
from pathlib import Path, PurePosixPath
from typing import Any

import yaml

from xlflow import api

from .conftest import AS_OF, BUILT_AT, WEEK, mark_filed

_REFUSED = re.compile(r'[<>:"/\\|?*\x00-\x1f]')
_DEVICES = {"CON", "PRN", "AUX", "NUL", *(f"COM{i}" for i in range(1, 10)),
            *(f"LPT{i}" for i in range(1, 10))}


def ntfs_refuses(name: str) -> bool:
    return bool(_REFUSED.search(name) or name.endswith((".", " ")) or len(name) > 255
                or name.split(".")[0].upper() in _DEVICES)


def _renamed(data: Any, names: dict[str, str]) -> Any:
    if isinstance(data, dict):
        return {k: _renamed(v, names) for k, v in data.items()}
    if isinstance(data, list):
        return [_renamed(v, names) for v in data]
    return names.get(data, data) if isinstance(data, str) else data


def test_awkward_names_give_names_windows_accepts(tmp_path: Path) -> None:
    root = tmp_path / "ug"
    api.init_project(root, example=True)
    project_file = root / "project.yaml"
    data = yaml.safe_load(project_file.read_text(encoding="utf-8"))
    data = _renamed(data, {"技术部": "技术/研发:一部?", "运营部": '运营<二部>|「增长」*. '})
    data["project"]["name"] = "2024年Q3/用户增长:活动?"
    project_file.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False),
                            encoding="utf-8")
    mark_filed(root)
    built = api.build(root, week=WEEK, built_at=BUILT_AT)
    assert len(built.departments) == 4
    api.send(root, week=WEEK)
    archived = api.archive(root, to=tmp_path / "cases", by="PMO")
    written = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert len(written) >= 11  # project.yaml, 5 workbooks, 4 messages, the zip, the library
    assert [p.name for p in written if ntfs_refuses(p.name)] == []
    with zipfile.ZipFile(archived.zip) as z:
        parts = [part for name in z.namelist() for part in PurePosixPath(name).parts]
    assert [part for part in parts if ntfs_refuses(part)] == []


def test_a_project_id_with_a_dot_keeps_its_retrospective_name(with_samples: Path) -> None:
    """`Path.with_suffix` would have taken everything after the id's '.' as a suffix."""
    api.merge(with_samples, week=WEEK, as_of=AS_OF)
    project_file = with_samples / "project.yaml"
    text = project_file.read_text(encoding="utf-8").replace("id: UG-2024Q3", "id: UG.2024-Q3")
    project_file.write_text(text, encoding="utf-8")
    result = api.retro(with_samples, by="PMO", at=dt.datetime(2024, 7, 31, 17, 0))
    assert result.workbook.name == "UG.2024-Q3-跨部门合作复盘报告.xlsx"
    assert sorted(p.name for p in (with_samples / "reports").glob("UG*")) == [
        "UG.2024-Q3-跨部门合作复盘报告.html", "UG.2024-Q3-跨部门合作复盘报告.xlsx"]
