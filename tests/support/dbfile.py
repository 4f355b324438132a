"""Searching the SQLite database's own files (the main file, its write-ahead log, a rollback journal) for values that
must not be there — byte for byte, where deleted rows and old pages linger.

The files are read by another process: opening and closing a descriptor of the database file in this process
would drop every POSIX lock this process's SQLite connections hold on it (closing any descriptor of a file
releases the process's locks on that file), and later tests would then see locks vanish: stalls and
`disk I/O error`.
"""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

_SCRIPT = """
import json, pathlib, sys
path, needles = sys.argv[1], json.loads(sys.argv[2])
found = []
for suffix in ("", "-wal", "-journal"):
    p = pathlib.Path(path + suffix)
    data = p.read_bytes() if p.exists() else b""
    for n in needles:
        if n.encode() in data or n.encode("utf-16-le") in data:
            found.append([p.name, n])
print(json.dumps(found))
"""


def sqlite_path(url: str) -> Path | None:
    """The database file of a SQLite URL; None for any other engine."""
    return Path(url.removeprefix("sqlite:///")) if url.startswith("sqlite:///") else None


def file_hits(url: str, needles) -> list[tuple[str, str]]:
    """(file name, needle) for each needle found in the database's files (UTF-8 or UTF-16); [] on PostgreSQL."""
    path = sqlite_path(url)
    if path is None:
        return []
    out = subprocess.run([sys.executable, "-c", _SCRIPT, str(path), json.dumps(list(needles))],
                         capture_output=True, text=True, check=True).stdout
    return [tuple(hit) for hit in json.loads(out)]


def read_in_child(path: Path) -> bytes:
    """A database file's bytes, read by another process (see the module's docstring); b"" if it does not exist."""
    if not path.exists():
        return b""
    return subprocess.run([sys.executable, "-c", "import sys; sys.stdout.buffer.write(open(sys.argv[1], 'rb').read())",
                           str(path)], capture_output=True, check=True).stdout
