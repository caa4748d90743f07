"""Names of the files the system writes and offers for download, made from titles that users
type (a report's title, a ledger's name). One rule for every place a file is written or sent:
`safe_filename` turns any text into a name that is one file, never a path, on any system, and
`content_disposition` offers it for download (RFC 6266, its UTF-8 form by RFC 5987).

A title may hold anything: `../`, `/`, `\\`, a NUL, a line break, 300 characters. As a file name
such a title made every PDF of it fail (Django refuses a name with `..` in its path), made
sub-folders under media/outputs (`/`) or was cut off by the browser at the `/` it was sent with.
"""

import re
import unicodedata
from urllib.parse import quote

# Bytes of UTF-8 a name may take, its extension included: 60 Chinese characters, well under
# the 255 bytes a file name may have on Linux, Windows and macOS, with room for the " (1)" a
# browser adds to a second download and for the folder Django stores it under.
MAX_BYTES = 180
FALLBACK = "文件"

# Characters that separate folders or are not allowed in a file name on Windows.
_FORBIDDEN = re.compile(r'[/\\:*?"<>|]')
_SPACES = re.compile(r"\s+")
_DOTS = re.compile(r"\.{2,}")
_EXTENSION = re.compile(r"\.[A-Za-z0-9]{1,8}\Z")
# Device names Windows will not open as files, whatever the extension (CON.docx is the console).
_RESERVED = re.compile(r"^(CON|PRN|AUX|NUL|COM[0-9]|LPT[0-9])$", re.IGNORECASE)


def _cleaned(text: str) -> str:
    text = unicodedata.normalize("NFC", str(text))
    # Control and format characters (NUL, line breaks, tabs, the right-to-left override that
    # makes "报告‮xcod.exe" read as a .docx) become spaces; so does a path separator.
    text = "".join(" " if unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp") else ch for ch in text)
    text = _FORBIDDEN.sub("_", text)
    text = _SPACES.sub(" ", text)
    text = _DOTS.sub(".", text)  # no ".." anywhere: never a parent folder, never refused as one
    return text.strip(" ._")


def _cut(text: str, max_bytes: int) -> str:
    """`text` cut to at most `max_bytes` of UTF-8, on a character boundary."""
    encoded = text.encode("utf-8")
    if len(encoded) <= max_bytes:
        return text
    return encoded[:max_bytes].decode("utf-8", errors="ignore").rstrip(" ._")


def safe_filename(name: str, *, max_bytes: int = MAX_BYTES) -> str:
    """`name` (a title, with or without an extension such as .docx) as a file name: no folder
    separators, no `..`, no control characters, no leading dot, at most `max_bytes` of UTF-8
    (the extension kept, the title cut), Chinese kept as it is."""
    name = str(name or "")
    match = _EXTENSION.search(name)
    extension = match.group(0) if match else ""
    stem = _cleaned(name[: match.start()] if match else name)
    stem = _cut(stem, max_bytes - len(extension.encode("utf-8"))) or FALLBACK
    if _RESERVED.match(stem):
        stem = f"_{stem}"
    return stem + extension


def content_disposition(name: str, *, attachment: bool = True) -> str:
    """The Content-Disposition header that offers `name` (made safe here) for download: the
    UTF-8 name as RFC 5987's filename*, every byte but letters, digits and -._~ encoded (a `/`
    too), after a plain filename for clients that know only that (ASCII names only)."""
    filename = safe_filename(name)
    kind = "attachment" if attachment else "inline"
    encoded = quote(filename, safe="")
    if filename.isascii():
        return f"{kind}; filename=\"{filename}\"; filename*=UTF-8''{encoded}"
    return f"{kind}; filename*=UTF-8''{encoded}"
