"""The report as PDF through LibreOffice (docs/page-format.md: the fonts it substitutes)."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import tempfile
import uuid
from pathlib import Path

FONTCONFIG_FILE = Path(__file__).with_name("fontconfig") / "fonts.conf"
_SOFFICE_TIMEOUT = 120


def pdf_available() -> bool:
    """Whether ``docx_to_pdf`` can convert here (LibreOffice's ``soffice`` is on PATH)."""
    return shutil.which("soffice") is not None


def docx_to_pdf(data: bytes) -> bytes | None:
    """The document as PDF through LibreOffice, or None when LibreOffice (``soffice``) is absent.

    Each run has its own LibreOffice profile (concurrent runs sharing one silently drop files)
    and the fontconfig file in ``reports/fontconfig`` that maps 仿宋, 楷体, 黑体 and 小标宋 to the
    CJK fonts installed here. Raises RuntimeError when the conversion fails.
    """
    soffice = shutil.which("soffice")
    if soffice is None:
        return None
    with tempfile.TemporaryDirectory(prefix="report-pdf-") as work:
        work_dir = Path(work)
        source = work_dir / "report.docx"
        source.write_bytes(data)
        profile = Path(tempfile.gettempdir()) / f"lo-{uuid.uuid4().hex}"
        env = {**os.environ, "FONTCONFIG_FILE": str(FONTCONFIG_FILE)}
        command = [
            soffice,
            f"-env:UserInstallation={profile.as_uri()}",
            "--headless",
            "--norestore",
            "--convert-to",
            "pdf",
            "--outdir",
            str(work_dir),
            str(source),
        ]
        # Its own session, so that a timeout ends soffice.bin as well as the soffice script.
        process = subprocess.Popen(
            command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True
        )
        try:
            _, stderr = process.communicate(timeout=_SOFFICE_TIMEOUT)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.communicate()
            raise RuntimeError(f"LibreOffice did not finish within {_SOFFICE_TIMEOUT} s")
        finally:
            shutil.rmtree(profile, ignore_errors=True)
        pdf = work_dir / "report.pdf"
        if process.returncode != 0 or not pdf.exists():
            raise RuntimeError(
                f"LibreOffice failed ({process.returncode}): {stderr.decode(errors='replace')}"
            )
        return pdf.read_bytes()
