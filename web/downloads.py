"""Files the pages offer for download."""

from __future__ import annotations

from flask import Response


def csv_download(text: str, filename: str) -> Response:
    """`text` as a CSV attachment called `filename`."""
    # A byte-order mark makes Excel read UTF-8 (accents, K'iche'); the import accepts it.
    response = Response(text.encode("utf-8-sig"), mimetype="text/csv")
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
