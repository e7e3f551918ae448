"""A list as a file to download (``?format=xlsx`` or ``csv``), audited: exports carry personal data."""

from collections.abc import Sequence

from flask import Response, abort, request
from flask_login import current_user

from app.extensions import db
from app.services import audit, clock, exports

TYPES = {
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "csv": "text/csv; charset=utf-8",
}


def requested_format() -> str:
    """``?format=``: xlsx (default) or csv; anything else is a 400."""
    fmt = request.args.get("format", "xlsx")
    if fmt not in TYPES:
        abort(400)
    return fmt


def download(name: str, title: str, header: Sequence[str], rows: list[Sequence], fmt: str) -> Response:
    """``rows`` under ``header`` as ``<name>-<today>.<fmt>``; the export is audited (who, what, how
    many rows, with which filters) and committed."""
    body = exports.to_csv(header, rows) if fmt == "csv" else exports.to_xlsx(title, header, rows)
    filters = {k: v for k, v in request.args.items() if k not in ("format", "page")}
    audit.record(
        "export",
        actor=current_user,
        ip=request.remote_addr,
        changes={"list": name, "format": fmt, "rows": len(rows), "filters": filters},
    )
    db.session.commit()
    filename = f"{name}-{clock.today().isoformat()}.{fmt}"
    return Response(
        body,
        mimetype=TYPES[fmt],
        headers={"Content-Disposition": f'attachment; filename="{filename}"', "Cache-Control": "no-store"},
    )
