from flask import Blueprint

bp = Blueprint("admin", __name__)


@bp.route("/users")
def users():
    return "todo"
