"""The checks made on a file's bytes before any reader parses it.

A self-scoring workbook is tens of kilobytes. What is far larger, what unzips to far more than
it weighs, and what declares XML entities is refused here, with a finding, unparsed.
"""

from __future__ import annotations

import hashlib
import io
import re
import zipfile
import zlib
from pathlib import Path

from pipeline.core.findings import FILE_TYPES, Finding, finding
from pipeline.stages.discover import InputFile

MAX_FILE_BYTES = 50 * 1024**2
MAX_UNZIPPED_BYTES = 200 * 1024**2
MAX_PART_BYTES = 16 * 1024**2
# How much of an XML part's start is searched for a DOCTYPE: it can only stand before the root
# element, and a longer prolog (comments hiding one) is refused as well.
PROLOG_BYTES = 4096

ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
BIFF_MAGIC = (b"\x09\x00", b"\x09\x02", b"\x09\x04")  # Excel 2.x-4.x worksheets, no OLE container
OOXML_SUFFIXES = (".xlsx", ".xlsm", ".xltx", ".xltm")

_ROOT_ELEMENT = re.compile(rb"<[A-Za-z]")
_XML_PARTS = (".xml", ".rels", ".vml")


def megabytes(n: int) -> str:
    return f"{n / 1024**2:.0f} MB" if n >= 1024**2 else f"{n / 1024:.0f} KB"


def is_ooxml(path: Path) -> bool:
    return path.suffix.casefold() in OOXML_SUFFIXES


def file_sha256(path: Path) -> str:
    """A file's SHA-256, read in blocks: an input may be a 2 GB file that only looks like a workbook."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def checked_bytes(file: InputFile) -> tuple[bytes | None, Finding | None]:
    """A file's bytes, or the finding that refuses it before anything is parsed."""
    if file.size > MAX_FILE_BYTES:
        return None, finding("file-too-large", file.rel, found=megabytes(file.size), expected=megabytes(MAX_FILE_BYTES))
    try:
        data = file.path.read_bytes()
    except OSError as exc:  # no permission, held by another program, gone since it was listed
        return None, finding("file-inaccessible", file.rel, found=exc.strerror or type(exc).__name__)
    return data, precheck(file, data)


def _xml_text(start: bytes) -> bytes:
    """The start of an XML part as UTF-8 bytes, whichever of UTF-8 or UTF-16 it is written in."""
    for bom, codec in ((b"\xff\xfe", "utf-16-le"), (b"\xfe\xff", "utf-16-be")):
        if start.startswith(bom):
            return start[2:].decode(codec, errors="ignore").encode("utf-8")
    if start[:1] == b"\0":
        return start.decode("utf-16-be", errors="ignore").encode("utf-8")
    if start[1:2] == b"\0":
        return start.decode("utf-16-le", errors="ignore").encode("utf-8")
    return start


_PROLOG_ITEM = re.compile(rb"\s*(?:<\?.*?\?>|<!--.*?-->)", re.S)


def _entity_risk(start: bytes) -> bool:
    """A declaration (DOCTYPE, ENTITY) where the root element should stand, or no root in sight.

    The prolog's processing instructions and comments are passed over whole, so that a "<x"
    inside one is never taken for the root element. Text that is not XML at all (an encrypted
    part) is no risk here: no XML parser will read it.
    """
    text = _xml_text(start).removeprefix(b"\xef\xbb\xbf")
    if not text.lstrip().startswith(b"<"):
        return False
    at = 0
    while (item := _PROLOG_ITEM.match(text, at)) is not None:
        at = item.end()
    rest = text[at:].lstrip()
    return not _ROOT_ELEMENT.match(rest)


def _part_start(data: bytes, info: zipfile.ZipInfo, size: int) -> bytes:
    """The first ``size`` bytes of one member, inflated straight from the archive's bytes.

    zipfile lists the members; opening each through zipfile to read its first bytes cost a third
    of reading a workbook, so the member's data is found from its local header (ZIP format,
    4.3.7: 30 bytes, then the name and the extra field) and inflated here.
    """
    at = info.header_offset
    if data[at:at + 4] != b"PK\x03\x04":
        raise zipfile.BadZipFile(f"no local header for {info.filename}")
    start = at + 30 + int.from_bytes(data[at + 26:at + 28], "little") + int.from_bytes(data[at + 28:at + 30], "little")
    raw = data[start:start + min(info.compress_size, size * 4 + 64)]
    if info.compress_type == zipfile.ZIP_STORED:
        return raw[:size]
    if info.compress_type == zipfile.ZIP_DEFLATED:
        return zlib.decompressobj(-15).decompress(raw, size)
    raise NotImplementedError(f"compression {info.compress_type}")


def _xml_risk(data: bytes, info: zipfile.ZipInfo) -> bool:
    head = _part_start(data, info, 256)
    # Nearly every part: a UTF-8 declaration, then straight to the root element.
    if head.startswith(b"<?xml") and b"?>" in head:
        rest = head[head.index(b"?>") + 2:].lstrip()
        if _ROOT_ELEMENT.match(rest):
            return False
    return _entity_risk(_part_start(data, info, PROLOG_BYTES))


def _zip_finding(file: InputFile, data: bytes, zf: zipfile.ZipFile) -> Finding | None:
    infos = zf.infolist()
    total = sum(i.file_size for i in infos)
    if total > MAX_UNZIPPED_BYTES:
        return finding("zip-bomb", file.rel, found=megabytes(total), expected=megabytes(MAX_UNZIPPED_BYTES))
    for info in infos:
        if info.file_size > MAX_PART_BYTES:
            return finding("file-too-large", file.rel, found=f"{info.filename}: {megabytes(info.file_size)}",
                           expected=megabytes(MAX_PART_BYTES))
        if info.filename.endswith(_XML_PARTS) and info.file_size and _xml_risk(data, info):
            return finding("xml-entity", file.rel, found=info.filename)
    return None


# What a file under a spreadsheet's name really is, told by its first bytes.
_MAGIC = [
    (b"%PDF", "pdf"), (b"\x89PNG", "image"), (b"\xff\xd8\xff", "image"), (b"GIF8", "image"), (b"BM", "image"),
    (b"II*\x00", "image"), (b"MM\x00*", "image"), (b"{\\rtf", "word"), (b"Rar!", "archive"),
    (b"7z\xbc\xaf", "archive"), (b"\x1f\x8b", "archive"),
]
_OLE_NAMES = [("WordDocument", "word"), ("PowerPoint Document", "powerpoint")]
_ZIP_NAMES = [("word/", "word"), ("ppt/", "powerpoint")]


def file_type(data: bytes) -> str | None:
    """"pdf", "word", "powerpoint", "image", "html", "csv", "archive", "opendocument-text", or None
    for a spreadsheet or anything not recognised."""
    for magic, kind in _MAGIC:
        if data.startswith(magic):
            return kind
    if data.startswith(OLE_MAGIC):
        return next((kind for name, kind in _OLE_NAMES if name.encode("utf-16-le") in data[:1 << 20]), None)
    if data.startswith(ZIP_MAGIC):
        return None  # told by its members (see _zip_type)
    start = data[:2048].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if start.startswith((b"<!doctype html", b"<html", b"<head", b"<body", b"<meta")) or b"<html" in start[:512]:
        return "html"
    try:
        text = data[:4096].decode("utf-8")
    except UnicodeDecodeError:
        text = None
    if text is not None and text.count("\n") >= 1 and any(sep in text.split("\n")[0] for sep in (",", ";", "\t")):
        return "csv"
    return None


def _zip_type(zf: zipfile.ZipFile) -> str | None:
    """A zip that is plainly not a spreadsheet: a Word or PowerPoint package, an OpenDocument text,
    or an archive of other files. Anything that may be a workbook is left to the readers."""
    names = zf.namelist()
    if not names or "xl/workbook.xml" in names:  # nearly every file: a workbook, told at once
        return None
    names = [n.replace("\\", "/") for n in names]  # some writers separate folders with "\\"
    if "[Content_Types].xml" in names:
        types = _start(zf, "[Content_Types].xml")
        if b"spreadsheetml" in types or b"ms-excel" in types:
            return None
        return next((kind for mark, kind in ((b"wordprocessingml", "word"), (b"presentationml", "powerpoint"))
                     if mark in types), None)
    if "mimetype" in names:
        mimetype = _start(zf, "mimetype")
        return "opendocument-text" if b"opendocument.text" in mimetype else None
    if any(n.startswith("xl/") or n.endswith("workbook.xml") for n in names):
        return None
    return "archive"


def _start(zf: zipfile.ZipFile, name: str) -> bytes:
    """The first 64 KB of a member, however large it claims to be."""
    with zf.open(name) as member:
        return member.read(1 << 16)


def precheck(file: InputFile, data: bytes) -> Finding | None:
    """Refuse what must not be parsed: wrong type, too large, zip and XML-entity bombs."""
    head = data[:8]
    if not data:
        return finding("not-a-spreadsheet", file.rel, found="tệp rỗng, 0 byte")
    kind = file_type(data)
    if kind is not None:
        return finding("wrong-file-type", file.rel, found=FILE_TYPES[kind], expected=FILE_TYPES["spreadsheet"])
    if head.startswith(OLE_MAGIC) or head[:2] in BIFF_MAGIC:
        return None
    if not head.startswith(ZIP_MAGIC):
        return finding("not-a-spreadsheet", file.rel, found="không rõ định dạng")
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            kind = _zip_type(zf)
            if kind is not None:
                return finding("wrong-file-type", file.rel, found=FILE_TYPES[kind], expected=FILE_TYPES["spreadsheet"])
            return _zip_finding(file, data, zf)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, ValueError, NotImplementedError,
            zlib.error, RuntimeError) as exc:  # RuntimeError: an encrypted member
        # zipfile's own words stay out of the unit's letter: the cause, in a phrase, is enough.
        return finding("not-a-spreadsheet", file.rel, found="tệp nén bị hỏng hoặc tải về chưa hết") if exc else None
