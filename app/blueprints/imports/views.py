"""The HTTP edge of XLSX imports (app/services/imports.py)."""

from flask import Blueprint

bp = Blueprint("imports", __name__)
