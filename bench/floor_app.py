"""The app as wsgi.py builds it, plus one bench route: the floor.

``/_floor/<name>`` renders the template ``bench_floor/<name>.html`` from the
directory ``BENCH_FLOOR_DIR``: a pre-rendered copy of a household list page
(wrapped in ``{% raw %}``), served through Flask's ``render_template`` behind
``login_required``. It pays what every page pays (session cookie, the
server-side session and user lookup, Jinja, the after-request hooks, a body of
the same size) and nothing of the page's own queries and template logic.
Nothing in ``app/`` is changed: gunicorn serves ``bench.floor_app:app``.
"""

import os
import re
import tempfile

from flask import Blueprint, abort, render_template
from flask_login import login_required

from app import create_app

FLOOR_DIR = os.environ.get("BENCH_FLOOR_DIR") or tempfile.gettempdir()
NAME_RE = re.compile(r"[a-z0-9][a-z0-9_.-]{0,63}")

bp = Blueprint("bench_floor", __name__, template_folder=FLOOR_DIR)


@bp.route("/_floor/<name>")
@login_required
def floor(name: str):
    if not NAME_RE.fullmatch(name) or ".." in name:
        abort(404)
    return render_template(f"bench_floor/{name}.html")


app = create_app()
app.register_blueprint(bp)
