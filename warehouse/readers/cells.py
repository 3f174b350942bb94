"""Cell values (Excel, Parquet) as text: a value as the text a person typed, and a row of
values as one CSV line, the raw text kept for a record set aside. Shared by `xlsx`,
`parquet` and `identifiers`.
"""

import csv
import datetime as dt
import io
from typing import Any


def _cell_text(value: Any) -> str | None:
    """Excel cells as the text a person typed: 12.0 → '12', dates → ISO."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat()
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    return str(value)


def _join_raw(values: list[str | None]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="").writerow(["" if v is None else v for v in values])
    return buffer.getvalue()
