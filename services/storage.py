"""Attachment files: the rules they must pass and their bytes on disk, stored once by content hash.

The original file name is data only; the path on disk is built from the SHA-256 of the
content (aa/bb/<hash>), so no name a user chose ever reaches the file system.
"""

from __future__ import annotations

import codecs
import hashlib
import os
import tempfile
import unicodedata
from dataclasses import dataclass
from pathlib import Path

import filetype

from services import text
from services.errors import ValidationFailed
from services.private_files import make_private_dir

MAX_FILES_PER_CASE = 10
MAX_NAME_LEN = 255
MAX_DESCRIPTION_LEN = 500

# Allowed extension → kinds `filetype` may detect in the content (None: plain text, nothing detected).
OLE = {"doc", "xls", "ppt"}
OOXML_ODF = {"docx", "xlsx", "pptx", "odt", "ods", "odp", "zip"}
ALLOWED = {
    "pdf": {"pdf"},
    "doc": OLE,
    "xls": OLE,
    "ppt": OLE,
    "docx": OOXML_ODF,
    "xlsx": OOXML_ODF,
    "pptx": OOXML_ODF,
    "odt": OOXML_ODF,
    "ods": OOXML_ODF,
    "odp": OOXML_ODF,
    "rtf": {"rtf"},
    "png": {"png", "apng"},
    "jpg": {"jpg"},
    "jpeg": {"jpg"},
    "gif": {"gif"},
    "bmp": {"bmp"},
    "webp": {"webp"},
    "tif": {"tif"},
    "tiff": {"tif"},
    "heic": {"heic"},
    "txt": {None},
    "csv": {None},
    "log": {None},
    "zip": OOXML_ODF,
}
EXECUTABLE_KINDS = {"exe", "elf", "crx", "wasm", "deb", "rpm", "swf", "cab", "dmg", "msi"}
TEXT_EXTENSIONS = {"txt", "csv", "log"}


@dataclass(frozen=True)
class CheckedFile:
    """A file that passed every rule: safe display name, extension, type and hash."""

    name: str
    extension: str
    content_type: str
    size_bytes: int
    content_hash: str
    data: bytes
    description: str


def allowed_extensions() -> list[str]:
    return sorted(ALLOWED)


def _unsafe_char(ch: str) -> bool:
    """Control and format characters (NUL, bidi overrides…), unassigned or private ones, and line breaks."""
    category = unicodedata.category(ch)
    return category.startswith("C") or category in ("Zl", "Zp")


def _spelled_out(name: str) -> str:
    """The name as a message can show it: each hidden character written as its code ("[U+202E]"), so a
    right-to-left override cannot turn the message around and the user sees what to remove."""
    return "".join(f"[U+{ord(ch):04X}]" if _unsafe_char(ch) else ch for ch in name[:80])


def _clean_name(raw: str) -> str:
    """The name to keep, or the refusal that says what is wrong with it: nothing visible, hidden characters
    or a path, in that order."""
    name = unicodedata.normalize("NFC", raw or "").strip()
    if not text.shows_something(name):
        raise ValidationFailed("attachment.name_blank", field="attachments")
    if any(_unsafe_char(ch) for ch in name):
        raise ValidationFailed("attachment.name_hidden_chars", field="attachments", name=_spelled_out(name))
    if "/" in name or "\\" in name or name.startswith(".."):
        raise ValidationFailed("attachment.name_invalid", field="attachments", name=raw[:80])
    if len(name) > MAX_NAME_LEN:
        stem, dot, ext = name.rpartition(".")
        name = (stem[: MAX_NAME_LEN - len(ext) - 1] + dot + ext) if dot else name[:MAX_NAME_LEN]
    return name


def _looks_like_text(data: bytes) -> bool:
    """Text as people save it: UTF-8 or Windows-1252, no NUL bytes (checked on the first 64 KiB)."""
    head = data[:65536]
    if b"\x00" in head:
        return False
    try:
        # final=False: a character cut at the 64 KiB boundary is not an error.
        codecs.getincrementaldecoder("utf-8")().decode(head, final=False)
        return True
    except UnicodeDecodeError:
        pass
    try:
        head.decode("cp1252")
        return True
    except UnicodeDecodeError:
        return False


def check_file(*, name: str, data: bytes, description: str = "", max_mb: int) -> CheckedFile:
    """Apply the attachment rules to one file; refuse with the reason (in Spanish through the catalogue)."""
    shown = _clean_name(name)
    description = " ".join((description or "").replace("\x00", "").split())  # no NUL: PostgreSQL refuses it
    if len(description) > MAX_DESCRIPTION_LEN:
        raise ValidationFailed(
            "attachment.description_too_long", field="attachments", name=shown, max=MAX_DESCRIPTION_LEN
        )
    if not data:
        raise ValidationFailed("attachment.empty", field="attachments", name=shown)
    if len(data) > max_mb * 1024 * 1024:
        raise ValidationFailed(
            "attachment.too_large", field="attachments", name=shown, size=f"{len(data) / 1048576:.1f}", max=max_mb
        )
    _, dot, extension = shown.rpartition(".")
    extension = extension.lower() if dot else ""
    kind = filetype.guess(data)
    detected = kind.extension if kind else None
    if detected in EXECUTABLE_KINDS or data[:2] == b"MZ" or data[:4] == b"\x7fELF":
        raise ValidationFailed("attachment.executable", field="attachments", name=shown)
    if extension not in ALLOWED:
        raise ValidationFailed(
            "attachment.forbidden_type",
            field="attachments",
            name=shown,
            ext=f".{extension}" if extension else "sin extensión",
            allowed=", ".join(allowed_extensions()),
        )
    if detected not in ALLOWED[extension] or (extension in TEXT_EXTENSIONS and not _looks_like_text(data)):
        raise ValidationFailed("attachment.content_mismatch", field="attachments", name=shown, ext=extension)
    content_type = kind.mime if kind else ("text/csv" if extension == "csv" else "text/plain")
    return CheckedFile(
        name=shown,
        extension=extension,
        content_type=content_type,
        size_bytes=len(data),
        content_hash=hashlib.sha256(data).hexdigest(),
        data=data,
        description=description,
    )


class Storage:
    """Files by content hash under one directory that every app process shares."""

    def __init__(self, root: Path):
        self.root = Path(root)

    def path_for(self, content_hash: str) -> Path:
        if len(content_hash) != 64 or not all(c in "0123456789abcdef" for c in content_hash):
            raise ValueError("not a SHA-256 hex digest")
        return self.root / content_hash[:2] / content_hash[2:4] / content_hash

    def save(self, checked: CheckedFile) -> bool:
        """Write the bytes unless the same content is stored already; True when a new file was written."""
        target = self.path_for(checked.content_hash)
        if target.exists():
            return False
        make_private_dir(target.parent)
        fd, temp = tempfile.mkstemp(dir=target.parent, prefix=".upload-")
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(checked.data)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(temp, target)
        except BaseException:
            Path(temp).unlink(missing_ok=True)
            raise
        return True

    def read(self, content_hash: str) -> bytes:
        return self.path_for(content_hash).read_bytes()

    def discard(self, content_hash: str) -> None:
        self.path_for(content_hash).unlink(missing_ok=True)
