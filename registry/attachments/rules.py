"""What an attachment may be: pure checks on bytes, no Flask, no database.

A document is a PDF, a JPEG or a PNG judged by its first bytes (whatever the browser or the file's name claims), at
most 5 MiB; an owner takes at most 5. Sources and the reasons for the limits: docs/rules.md, "Objections (异议)".
"""
from __future__ import annotations

from dataclasses import dataclass

MAX_BYTES = 5 * 1024 * 1024
MAX_FILES = 5
MAGIC = {"application/pdf": b"%PDF-", "image/jpeg": b"\xff\xd8\xff", "image/png": b"\x89PNG\r\n\x1a\n"}


@dataclass(frozen=True)
class Problem:
    field: str
    code: str
    en: str
    zh: str


def body_limit() -> int:
    """The largest request body that carries MAX_FILES documents of MAX_BYTES, with its form and framing: the
    routes that take documents raise Flask's MAX_CONTENT_LENGTH (21 MiB) to it."""
    return MAX_FILES * (MAX_BYTES + 1) + 64 * 1024


def sniff(data: bytes) -> str | None:
    """The content type the file's first bytes prove (PDF, JPEG or PNG), or None."""
    return next((kind for kind, magic in MAGIC.items() if data.startswith(magic)), None)


def check_files(files: list[bytes], field: str = "documents") -> tuple[list[str], list[Problem]]:
    """(each file's content type, every problem): too many files, an empty or too large one, a wrong kind.

    A problem names the field and the file's position (`documents.2`), so the person knows which to replace.
    """
    problems: list[Problem] = []
    kinds: list[str] = []
    if len(files) > MAX_FILES:
        problems.append(Problem(field, "too_many_files", f"Attach at most {MAX_FILES} documents.",
                                f"最多附 {MAX_FILES} 份材料。"))
    for i, data in enumerate(files):
        where = f"{field}.{i}"
        if not data:
            problems.append(Problem(where, "file_empty", "This file is empty.", "该文件为空。"))
            continue
        if len(data) > MAX_BYTES:
            problems.append(Problem(where, "file_too_large", "A document may be at most 5 MiB.",
                                    "每份材料不得超过 5 MiB。"))
            continue
        kind = sniff(data)
        if kind is None:
            problems.append(Problem(where, "file_type", "Attach a PDF, JPEG or PNG file.",
                                    "请上传 PDF、JPEG 或 PNG 格式的文件。"))
            continue
        kinds.append(kind)
    return kinds, problems
