"""A child process that turns HTML documents into PDFs with WeasyPrint, one after another (see render.py).

Run by its path (`python -I …/pdfworker.py`), not as part of the `registry` package: it imports WeasyPrint and
nothing of ours, so it starts in half a second and ~50 MB, and it is a fresh interpreter — neither a fork of a
threaded web or jobs process nor a re-import of its `__main__` (what multiprocessing's spawn would do).

The protocol, on stdin and stdout, one frame at a time: the parent sends an 8-byte big-endian length and that many
bytes of UTF-8 HTML; the worker answers b"K" (or b"E"), an 8-byte length, and the PDF (or the error's text). At the
end of stdin it exits.

Each document may load nothing but its own data URIs (the charts, the QR code): no file, no network, whatever the
records contain — the same rule as the printed cards (registry/cards/render.py).
"""
from __future__ import annotations

import struct
import sys
import traceback
import warnings

HEADER = struct.Struct(">Q")


def _read_exactly(stream, size: int) -> bytes | None:
    data = stream.read(size)
    if len(data) < size:
        return None
    return data


def main() -> int:
    # Where the system's HarfBuzz comes without its subset library WeasyPrint warns at import and subsets with
    # fontTools meanwhile (see registry/cards/render.py): nothing to act on here.
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="HarfBuzz-Subset will be required", category=DeprecationWarning)
        from weasyprint import HTML
        from weasyprint.urls import URLFetcher
    fetcher = URLFetcher(allowed_protocols=["data"])
    stdin, stdout = sys.stdin.buffer, sys.stdout.buffer
    while True:
        header = _read_exactly(stdin, HEADER.size)
        if header is None:
            return 0
        html = _read_exactly(stdin, HEADER.unpack(header)[0])
        if html is None:
            return 1
        try:
            status, answer = b"K", HTML(string=html.decode("utf-8"), url_fetcher=fetcher).write_pdf()
        except Exception:  # noqa: BLE001 — any failure goes back to the parent, which raises it
            status, answer = b"E", traceback.format_exc().encode("utf-8")
        stdout.write(status + HEADER.pack(len(answer)) + answer)
        stdout.flush()


if __name__ == "__main__":
    sys.exit(main())
