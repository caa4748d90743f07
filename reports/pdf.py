"""The report as PDF through LibreOffice (docs/page-format.md: the fonts it substitutes).

The document may come from a brigade's uploaded template, so LibreOffice runs as any parser of an
upload does here (reports/bounded.py), and more:

- **no network**: in a network namespace of its own (``unshare -rn``: a user namespace as well,
  so that it works unprivileged; as root where user namespaces are off, ``unshare -n``), where not
  even 127.0.0.1 answers, so that no link a document carries can make the server fetch a URL;
  where neither works, it runs with the network and a warning is logged once (``isolation()``);
- **bounded by the operating system**: address space (``MEMORY_MB``; LibreOffice itself needs
  some 400 MB of it to start), CPU seconds, the size of a file it may write, no core file, and a
  wall clock (``SECONDS``) after which its whole process group is killed;
- **its own profile**, in the conversion's temporary folder (concurrent runs sharing one silently
  drop files), and the fontconfig file in ``reports/fontconfig``.

A conversion that fails or crosses a limit raises ``PdfFailed``, a RuntimeError whose message is
Chinese and names the limit crossed (``limit``: "time", "cpu", "memory", "size", or "" for any
other failure). The limit is told by how LibreOffice ended: killed by a signal (a negative return
code) or, as ``soffice`` is a shell script that starts ``soffice.bin``, the shell's 128 + signal
(152 for SIGXCPU, 134 for the SIGABRT of a failed allocation)."""

from __future__ import annotations

import functools
import logging
import os
import shutil
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

logger = logging.getLogger(__name__)

FONTCONFIG_FILE = Path(__file__).with_name("fontconfig") / "fonts.conf"
SECONDS = int(os.environ.get("REPORT_PDF_SECONDS", 120))
CPU_SECONDS = int(os.environ.get("REPORT_PDF_CPU_SECONDS", 120))
MEMORY_MB = int(os.environ.get("REPORT_PDF_MEMORY_MB", 1024))  # 384 MB is too little for it to start
FILE_MB = 256
_SOFFICE_TIMEOUT = SECONDS  # the name tests and callers knew

# Sets the limits, then becomes the command: limits are inherited by everything it starts
# (soffice is a script that starts soffice.bin), and nothing runs in this process between fork
# and exec (no preexec_fn in a threaded worker).
_LIMITED = (
    "import os, resource, sys\n"
    "memory, cpu, size = (int(n) for n in sys.argv[1:4])\n"
    "resource.setrlimit(resource.RLIMIT_AS, (memory << 20, memory << 20))\n"
    "resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 2))\n"
    "resource.setrlimit(resource.RLIMIT_FSIZE, (size << 20, size << 20))\n"
    "resource.setrlimit(resource.RLIMIT_CORE, (0, 0))\n"
    "os.execvp(sys.argv[4], sys.argv[4:])\n"
)


class PdfFailed(RuntimeError):
    """The conversion failed or crossed a limit (``limit``); the message is Chinese."""

    def __init__(self, message: str, *, limit: str = ""):
        super().__init__(message)
        self.limit = limit


def time_message(seconds: int) -> str:
    return f"转换超时（超过 {seconds} 秒），已停止"


def cpu_message(seconds: int) -> str:
    return f"转换所用的计算时间超过 {seconds} 秒（上限），已停止：报告内容过多或图片过大"


def memory_message(mb: int) -> str:
    return f"文件过大，转换所需内存超过限制（{mb} MB），已停止"


def size_message(mb: int) -> str:
    return f"文件过大，转换生成的 PDF 超过 {mb} MB（上限），已停止"


FAILED = "LibreOffice 未能把报告转换为 PDF"


def pdf_available() -> bool:
    """Whether ``docx_to_pdf`` can convert here (LibreOffice's ``soffice`` is on PATH)."""
    return shutil.which("soffice") is not None


@functools.cache
def isolation() -> tuple[str, ...]:
    """The command prefix that takes the network away from what it runs: ``unshare -rn`` (works
    unprivileged, and as root where user namespaces are on), else ``unshare -n`` (root), else
    nothing, with a warning logged: then LibreOffice can reach the network."""
    unshare = shutil.which("unshare")
    if unshare:
        for prefix in ((unshare, "-rn"), (unshare, "-n")):
            try:
                probe = subprocess.run(
                    [*prefix, "sh", "-c", "cat /proc/net/dev"], capture_output=True, timeout=10, text=True
                )
            except (OSError, subprocess.TimeoutExpired):
                continue
            interfaces = [line.split(":")[0].strip() for line in probe.stdout.splitlines() if ":" in line]
            if probe.returncode == 0 and interfaces == ["lo"]:
                return prefix
    logger.warning(
        "LibreOffice runs WITH network access: neither `unshare -rn` nor `unshare -n` works here "
        "(no user namespaces and no CAP_SYS_ADMIN?). A document that links to a URL could make this "
        "server fetch it while converting to PDF; allow unprivileged user namespaces "
        "(sysctl kernel.unprivileged_userns_clone=1 / user.max_user_namespaces) to isolate it."
    )
    return ()


def docx_to_pdf(data: bytes) -> bytes | None:
    """The document as PDF through LibreOffice, or None when LibreOffice (``soffice``) is absent.

    LibreOffice runs without network, under the limits above, with its own profile and the
    fontconfig file in ``reports/fontconfig`` that maps 仿宋, 楷体, 黑体 and 小标宋 to the CJK
    fonts installed here. Raises ``PdfFailed`` (a RuntimeError, in Chinese) when it fails.
    """
    soffice = shutil.which("soffice")
    if soffice is None:
        return None
    with tempfile.TemporaryDirectory(prefix="report-pdf-") as work:
        work_dir = Path(work)
        source = work_dir / "report.docx"
        source.write_bytes(data)
        profile = work_dir / "profile"
        env = {**os.environ, "FONTCONFIG_FILE": str(FONTCONFIG_FILE), "HOME": str(work_dir)}
        command = [
            sys.executable,
            "-I",
            "-c",
            _LIMITED,
            str(MEMORY_MB),
            str(CPU_SECONDS),
            str(FILE_MB),
            *isolation(),
            soffice,
            f"-env:UserInstallation={profile.as_uri()}",
            "--headless",
            "--norestore",
            "--nolockcheck",
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
            _, stderr = process.communicate(timeout=SECONDS)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.communicate()
            raise PdfFailed(time_message(SECONDS), limit="time") from None
        pdf = work_dir / "report.pdf"
        if process.returncode != 0 or not pdf.exists():
            logger.error(
                "LibreOffice failed (%s): %s", process.returncode, stderr.decode(errors="replace")[-2000:]
            )
            limit = _limit(process.returncode)
            raise PdfFailed(_MESSAGES[limit]() if limit else FAILED, limit=limit)
        return pdf.read_bytes()


_MESSAGES = {
    "cpu": lambda: cpu_message(CPU_SECONDS),
    "memory": lambda: memory_message(MEMORY_MB),
    "size": lambda: size_message(FILE_MB),
}


def _limit(code: int) -> str:
    """The limit LibreOffice crossed, by the signal that ended it (itself, or through the shell)."""
    signum = -code if code < 0 else code - 128 if code > 128 else 0
    if signum in (signal.SIGXCPU, signal.SIGKILL):  # SIGKILL: the CPU limit's hard end
        return "cpu"
    # a failed allocation aborts (std::bad_alloc) or faults; a crash looks the same
    if signum in (signal.SIGABRT, signal.SIGSEGV, signal.SIGBUS):
        return "memory"
    if signum == signal.SIGXFSZ:
        return "size"
    return ""
