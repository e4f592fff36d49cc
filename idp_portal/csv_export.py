"""CSV downloads, written one way: every text cell escaped so a spreadsheet never runs it as a
formula (OWASP's CSV injection advice), numbers kept as numbers, large exports streamed."""

import csv
from collections.abc import Iterable

from django.http import HttpResponse, StreamingHttpResponse

# A cell starting with one of these is read as a formula by Excel, LibreOffice and Sheets.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def escape_cell(value) -> str | int | float:
    """Text with a leading apostrophe where a spreadsheet would see a formula; numbers as they
    are (a negative number is not a formula); None as an empty cell."""
    if value is None:
        return ""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return value
    text = str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


class _Echo:
    """A file-like object whose write() hands the CSV line back instead of storing it."""

    def write(self, value: str) -> str:
        return value


def csv_download(
    rows: Iterable[Iterable], filename: str, stream: bool = False
) -> HttpResponse | StreamingHttpResponse:
    """`rows` (the header first) as a CSV attachment named `filename`, every cell escaped.
    With `stream`, lines are written as they are read, so a year of rows never sits in memory."""
    writer = csv.writer(_Echo())
    lines = (writer.writerow([escape_cell(cell) for cell in row]) for row in rows)
    headers = {"Content-Disposition": f'attachment; filename="{filename}"'}
    content_type = "text/csv; charset=utf-8"
    if stream:
        return StreamingHttpResponse(lines, content_type=content_type, headers=headers)
    return HttpResponse("".join(lines), content_type=content_type, headers=headers)
