"""Unbound extension objects; create_app() binds them."""

from flask_babel import Babel
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect
from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def include_object_for(dialect_name: str):
    """Alembic's ``include_object`` hook for one dialect: it leaves out model objects whose DDL
    is for other dialects only (``Index(...).ddl_if(dialect=...)``, e.g. the PostgreSQL trigram
    indexes), which Alembic's comparison does not honour by itself."""

    def include_object(obj, name, type_, reflected, compare_to) -> bool:
        rule = getattr(obj, "_ddl_if", None)  # SQLAlchemy's record of ddl_if()
        if reflected or rule is None or rule.dialect is None:
            return True
        dialects = (rule.dialect,) if isinstance(rule.dialect, str) else tuple(rule.dialect)
        return dialect_name in dialects

    return include_object


db = SQLAlchemy(model_class=Base)
migrate = Migrate()
login_manager = LoginManager()
csrf = CSRFProtect()
babel = Babel()
