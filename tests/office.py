"""Drive the real office suites headless, as a department's computer would."""

from __future__ import annotations

import subprocess
from pathlib import Path

from .conftest import office_binary


def soffice_convert(src: Path, outdir: Path, fmt: str = "xlsx") -> Path:
    """Open `src` in LibreOffice Calc and save it as `fmt` (a re-save, like a user's)."""
    binary = office_binary("soffice")
    outdir.mkdir(parents=True, exist_ok=True)
    profile = outdir / ".lo-profile"
    subprocess.run(
        [binary, "--headless", "--norestore", f"-env:UserInstallation={profile.as_uri()}",
         "--convert-to", fmt, "--outdir", str(outdir), str(src)],
        check=True, capture_output=True, timeout=180,
    )
    out = outdir / f"{src.stem}.{fmt.split(':')[0]}"
    assert out.is_file(), f"LibreOffice wrote nothing for {src}"
    return out


def ssconvert(src: Path, dest: Path) -> Path:
    """Open `src` in Gnumeric and save it as .xlsx."""
    binary = office_binary("ssconvert")
    dest.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run([binary, "--export-type=Gnumeric_Excel:xlsx2", str(src), str(dest)],
                   check=True, capture_output=True, timeout=180)
    return dest
