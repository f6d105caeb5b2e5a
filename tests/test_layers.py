"""Data flows one way: `model/` is below everything, `report/` renders what `model/`
types hold and never reaches up into the phases that compute them. Imports are read
with ast (also those under `if TYPE_CHECKING:`), so a type named only for mypy counts."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).parents[1] / "xlflow"

# package -> the packages it must not import
BELOW = {
    "xlflow.model": ("xlflow.merge", "xlflow.phases", "xlflow.report", "xlflow.writer",
                     "xlflow.api", "xlflow.cli"),
    "xlflow.report": ("xlflow.phases", "xlflow.api", "xlflow.cli"),
}


def imports_of(path: Path, module: str) -> set[str]:
    """The modules `path` (the module named `module`) imports, relative ones resolved."""
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    out: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            out |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = package.split(".")
            if node.level:
                base = base[:len(base) - node.level + 1]
                name = ".".join([*base, node.module] if node.module else base)
            else:
                name = node.module or ""
            out.add(name)
            out |= {f"{name}.{a.name}" for a in node.names}  # `from .. import phases`
    return out


def modules_of(package: str) -> list[tuple[Path, str]]:
    folder = PACKAGE.parent.joinpath(*package.split("."))
    return [(p, ".".join([package, *p.relative_to(folder).with_suffix("").parts])
             .removesuffix(".__init__")) for p in sorted(folder.rglob("*.py"))]


def reaching_up(package: str) -> list[tuple[str, str]]:
    return [(module, name) for path, module in modules_of(package)
            for name in sorted(imports_of(path, module))
            if any(name == up or name.startswith(up + ".") for up in BELOW[package])]


@pytest.mark.parametrize("package", sorted(BELOW))
def test_no_import_reaches_up(package: str) -> None:
    assert reaching_up(package) == []


def test_relative_imports_are_resolved(tmp_path: Path) -> None:
    """The scan sees through `..` and `from .. import x`: it would catch the imports the
    result types' move removed."""
    source = tmp_path / "m.py"
    source.write_text("from ..phases.review import MonthlyReview\nfrom .. import phases\n"
                      "from .vocab import Level\n", encoding="utf-8")
    assert imports_of(source, "xlflow.report.review") >= {
        "xlflow.phases.review", "xlflow.phases", "xlflow.report.vocab"}
