"""Files the pages offer for download."""

from __future__ import annotations

from flask import Response


def csv_download(text: str, filename: str) -> Response:
    """`text` as a CSV attachment called `filename`."""
    # A byte-order mark makes Excel read UTF-8 (accents, K'iche'); the import accepts it.
    response = Response(text.encode("utf-8-sig"), mimetype="text/csv")
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def xlsx_download(data: bytes, filename: str) -> Response:
    """An Excel workbook's bytes as an attachment called `filename`."""
    response = Response(data, mimetype=XLSX_TYPE)
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
