"""Checks of a proposal's attachment before it is stored (under PRIVATE_MEDIA_ROOT, see
ProposalAttachment): only PDF, ODT and DOCX, recognised by extension AND by content, and at
most settings.CHALLENGES_ATTACHMENT_MAX_BYTES. The content type we store comes from what we
recognised, never from the browser.

- PDF: starts with "%PDF-".
- ODT: a ZIP whose `mimetype` entry is "application/vnd.oasis.opendocument.text".
- DOCX: a ZIP with `[Content_Types].xml` and `word/document.xml`.

Only the ZIP's directory and the tiny `mimetype` entry are read: nothing is unpacked.
"""

import hashlib
import os
import zipfile
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

PDF = "application/pdf"
ODT = "application/vnd.oasis.opendocument.text"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"

CONTENT_TYPES = {".pdf": PDF, ".odt": ODT, ".docx": DOCX}
DEFAULT_MAX_BYTES = 10 * 1024 * 1024
NAME_MAX = 200


@dataclass(frozen=True)
class CheckedUpload:
    name: str  # the original file name, cleaned (for Content-Disposition and the list)
    content_type: str
    size: int
    sha256: str


def max_bytes() -> int:
    return int(getattr(settings, "CHALLENGES_ATTACHMENT_MAX_BYTES", DEFAULT_MAX_BYTES))


def _error(message, code: str) -> ValidationError:
    return ValidationError({"file": ValidationError(message, code=code)})


def clean_name(name: str) -> str:
    """The base name without directories or control characters, at most NAME_MAX long."""
    name = os.path.basename((name or "").replace("\\", "/"))
    name = "".join(ch for ch in name if ch.isprintable() and ch not in '"<>|:*?')
    stem, extension = os.path.splitext(name.strip())
    return (stem[: NAME_MAX - len(extension)] + extension.lower()) or "bijlage"


def _is_pdf(upload) -> bool:
    upload.seek(0)
    return upload.read(5) == b"%PDF-"


def _zip(upload):
    upload.seek(0)
    try:
        return zipfile.ZipFile(upload)
    except (zipfile.BadZipFile, OSError, ValueError):
        return None


def _is_odt(upload) -> bool:
    archive = _zip(upload)
    if archive is None:
        return False
    with archive:
        try:
            info = archive.getinfo("mimetype")
        except KeyError:
            return False
        if info.file_size > 100:
            return False
        try:
            return archive.read(info).strip() == ODT.encode()
        except (zipfile.BadZipFile, OSError, ValueError, NotImplementedError, RuntimeError):
            return False


def _is_docx(upload) -> bool:
    archive = _zip(upload)
    if archive is None:
        return False
    with archive:
        names = set(archive.namelist())
    return "[Content_Types].xml" in names and "word/document.xml" in names


CONTENT_CHECKS = {PDF: _is_pdf, ODT: _is_odt, DOCX: _is_docx}


def _sha256(upload) -> str:
    digest = hashlib.sha256()
    upload.seek(0)
    for chunk in upload.chunks() if hasattr(upload, "chunks") else iter(
        lambda: upload.read(64 * 1024), b""
    ):
        digest.update(chunk)
    upload.seek(0)
    return digest.hexdigest()


def check_upload(upload) -> CheckedUpload:
    """Check an uploaded file; raises ValidationError (on "file") with a clear message."""
    if upload is None:
        raise _error(_("Choose a file."), "required")
    size = upload.size
    limit = max_bytes()
    if size == 0:
        raise _error(_("The file is empty."), "empty")
    if size > limit:
        raise _error(
            _("The file is too large: at most %(mb)s MB.") % {"mb": f"{limit / 1024 / 1024:g}"},
            "too_large",
        )
    name = clean_name(upload.name)
    extension = os.path.splitext(name)[1].lower()
    content_type = CONTENT_TYPES.get(extension)
    if content_type is None:
        raise _error(_("Upload a PDF, ODT or DOCX file."), "invalid_type")
    if not CONTENT_CHECKS[content_type](upload):
        raise _error(
            _("This file is not a real %(type)s file. Upload a PDF, ODT or DOCX file.")
            % {"type": extension[1:].upper()},
            "invalid_content",
        )
    return CheckedUpload(name=name, content_type=content_type, size=size,
                         sha256=_sha256(upload))
