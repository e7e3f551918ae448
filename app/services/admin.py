"""Administration: users, organisations, administrative units and the task catalogue."""

import secrets
from datetime import date

from sqlalchemy import func, select

from app.extensions import db
from app.models import (
    AdminUnit,
    Indicator,
    Organisation,
    PovertyCause,
    PovertyStandard,
    SupportTask,
    TaskType,
    User,
)
from app.services import audit, auth, notifications, scope
from app.services.households import Page, RegistryError
from app.services.reference import set_paths
from app.services.text import fold

USER_FIELDS = (
    "username",
    "full_name",
    "email",
    "role",
    "organisation_id",
    "scope_unit_id",
    "locale",
    "active",
)
ORGANISATION_FIELDS = ("name", "kind", "unit_id", "active")
TASK_TYPE_FIELDS = (
    "code",
    "name_vi",
    "name_en",
    "indicator_codes",
    "causes",
    "programme_project",
    "default_duration_days",
    "outcome_kind",
    "sort_order",
    "active",
)
UNIT_FIELDS = ("code", "name", "kind", "parent_id", "valid_from", "valid_to", "successor_id", "note")


def _snapshot(obj, fields) -> dict:
    return {f: getattr(obj, f) for f in fields}


def list_users(admin: User, q: str = "", role: str | None = None, page: int = 1, per_page: int = 25) -> Page:
    stmt = scope.scoped(User, admin)
    if role:
        stmt = stmt.where(User.role == role)
    terms = fold(q)
    rows = db.session.scalars(stmt.order_by(User.username)).all()
    if terms:
        rows = [u for u in rows if terms in fold(f"{u.username} {u.full_name}")]
    total = len(rows)
    page = max(1, min(page, max(1, -(-total // per_page))))
    return Page(
        items=rows[(page - 1) * per_page : page * per_page], total=total, page=page, per_page=per_page
    )


def _check_user_refs(admin: User, data: dict) -> None:
    allowed = scope.scope_unit_ids(admin)
    if data["scope_unit_id"] not in allowed:
        raise RegistryError("scope_unit_id", "unit_out_of_scope")
    org_id = data.get("organisation_id")
    if org_id:
        org = db.session.get(Organisation, org_id)
        if org is None or org.unit_id not in allowed:
            raise RegistryError("organisation_id", "organisation_out_of_scope")


def _email(data: dict) -> str | None:
    return (data.get("email") or "").strip().lower() or None


def create_user(admin: User, data: dict, *, ip: str | None) -> User:
    """Create a user; ``data['password']`` is hashed. Raises RegistryError."""
    username = data["username"].strip().lower()
    if db.session.scalar(select(func.count(User.id)).where(User.username == username)):
        raise RegistryError("username", "username_taken")
    _check_user_refs(admin, data)
    user = User(
        username=username,
        full_name=data["full_name"].strip(),
        email=_email(data),
        role=data["role"],
        organisation_id=data.get("organisation_id") or None,
        scope_unit_id=data["scope_unit_id"],
        locale=data.get("locale") or "vi",
        active=True,
        created_at=audit.utcnow(),
    )
    user.set_password(data["password"])
    db.session.add(user)
    db.session.flush()
    audit.record("create", actor=admin, ip=ip, obj=user, changes=_snapshot(user, USER_FIELDS))
    return user


def update_user(admin: User, user: User, data: dict, *, ip: str | None) -> User:
    """Change name, e-mail, role, organisation, scope or language of a user in scope."""
    _check_user_refs(admin, data)
    if user.id == admin.id and data["role"] != "admin":
        raise RegistryError("role", "own_admin_role")
    before = _snapshot(user, USER_FIELDS)
    user.full_name = data["full_name"].strip()
    user.email = _email(data)
    user.role = data["role"]
    user.organisation_id = data.get("organisation_id") or None
    user.scope_unit_id = data["scope_unit_id"]
    user.locale = data.get("locale") or user.locale
    changes = audit.diff(before, _snapshot(user, USER_FIELDS))
    if "scope_unit_id" in changes or "role" in changes:
        auth.revoke_user_sessions(user)  # new rights take effect at the next login
    if changes:
        audit.record("update", actor=admin, ip=ip, obj=user, changes=changes)
    return user


def set_user_active(admin: User, user: User, active: bool, *, ip: str | None) -> User:
    """Deactivate (revoking every session) or reactivate a user; an admin cannot deactivate themself."""
    if user.id == admin.id and not active:
        raise RegistryError("active", "own_account")
    if user.active != active:
        user.active = active
        if not active:
            auth.revoke_user_sessions(user)
            notifications.user_deactivated(admin, user)  # their households are orphaned now
        audit.record("deactivate" if not active else "reactivate", actor=admin, ip=ip, obj=user)
    return user


def reset_password(admin: User, user: User, *, ip: str | None) -> str:
    """Give the user a new random password (returned once) and end their sessions."""
    password = secrets.token_urlsafe(9)
    user.set_password(password)
    auth.revoke_user_sessions(user)
    audit.record("reset_password", actor=admin, ip=ip, obj=user)
    return password


def save_organisation(admin: User, org: Organisation | None, data: dict, *, ip: str | None) -> Organisation:
    if data["unit_id"] not in scope.scope_unit_ids(admin):
        raise RegistryError("unit_id", "unit_out_of_scope")
    before = _snapshot(org, ORGANISATION_FIELDS) if org else {}
    if org is None:
        org = Organisation()
        db.session.add(org)
    org.name = data["name"].strip()
    org.kind = data["kind"]
    org.unit_id = data["unit_id"]
    org.active = bool(data.get("active", True))
    db.session.flush()
    changes = audit.diff(before, _snapshot(org, ORGANISATION_FIELDS))
    if changes:
        audit.record("create" if not before else "update", actor=admin, ip=ip, obj=org, changes=changes)
    return org


def _check_unit(admin: User, unit: AdminUnit | None, data: dict) -> None:
    allowed = scope.scope_unit_ids(admin)
    if data.get("parent_id") not in allowed:
        raise RegistryError("parent_id", "unit_out_of_scope")
    if unit is not None and data.get("parent_id") in scope.unit_index().subtree(unit.id):
        raise RegistryError("parent_id", "parent_cycle")
    if data.get("successor_id") and (unit is not None and data["successor_id"] == unit.id):
        raise RegistryError("successor_id", "successor_self")
    if data.get("successor_id") and data["successor_id"] not in allowed:
        raise RegistryError("successor_id", "unit_out_of_scope")
    valid_from: date | None = data.get("valid_from")
    valid_to: date | None = data.get("valid_to")
    if valid_from and valid_to and valid_to < valid_from:
        raise RegistryError("valid_to", "dates_reversed")
    clash = db.session.scalars(
        select(AdminUnit.id).where(AdminUnit.code == data["code"], AdminUnit.valid_from.is_(valid_from))
        if valid_from is None
        else select(AdminUnit.id).where(AdminUnit.code == data["code"], AdminUnit.valid_from == valid_from)
    ).first()
    if clash is not None and (unit is None or clash != unit.id):
        raise RegistryError("code", "unit_code_taken")


def save_unit(admin: User, unit: AdminUnit | None, data: dict, *, ip: str | None) -> AdminUnit:
    """Create or change a unit below the admin's scope unit; keeps materialised paths true."""
    _check_unit(admin, unit, data)
    before = _snapshot(unit, UNIT_FIELDS) if unit else {}
    if unit is None:
        unit = AdminUnit()
        db.session.add(unit)
    for f in UNIT_FIELDS:
        setattr(unit, f, data.get(f) or None)
    db.session.flush()
    set_paths(list(db.session.scalars(select(AdminUnit))))
    scope.forget_units()
    changes = audit.diff(before, _snapshot(unit, UNIT_FIELDS))
    audit.record("create" if not before else "update", actor=admin, ip=ip, obj=unit, changes=changes or None)
    return unit


# -- the task catalogue --------------------------------------------------------------------------


def indicator_choices() -> list[tuple[str, str]]:
    """Every deprivation indicator code of the standards, named as in the latest standard that
    has it (the codes are shared across standards: HEALTH_INSURANCE is one of both)."""
    rows = db.session.execute(
        select(Indicator.code, Indicator.name)
        .join(PovertyStandard, PovertyStandard.id == Indicator.standard_id)
        .order_by(PovertyStandard.year_from, Indicator.sort_order)
    )
    names: dict[str, str] = {}
    for code, name in rows:
        names[code] = name
    return list(names.items())


def _task_type_snapshot(task_type: TaskType) -> dict:
    """The audited fields; the causes by their codes."""
    snapshot = _snapshot(task_type, [f for f in TASK_TYPE_FIELDS if f != "causes"])
    snapshot["causes"] = " ".join(c.code for c in task_type.causes)
    return snapshot


def save_task_type(admin: User, task_type: TaskType | None, data: dict, *, ip: str | None) -> TaskType:
    """Create a task type, or change one (its code stays). Raises RegistryError.

    Tasks already created keep their type; a type made inactive is no longer offered.
    """
    known = [code for code, _ in indicator_choices()]
    if set(data["indicator_codes"]) - set(known):
        raise RegistryError("indicator_codes", "unknown_indicator")
    causes = db.session.scalars(
        select(PovertyCause).where(PovertyCause.id.in_(data["cause_ids"])).order_by(PovertyCause.sort_order)
    ).all()
    if len(causes) != len(set(data["cause_ids"])):
        raise RegistryError("cause_ids", "unknown_cause")
    before = _task_type_snapshot(task_type) if task_type else {}
    if task_type is None:
        code = data["code"].strip().upper()
        if db.session.scalar(select(func.count(TaskType.id)).where(TaskType.code == code)):
            raise RegistryError("code", "task_type_code_taken")
        task_type = TaskType(code=code)
        db.session.add(task_type)
    task_type.name_vi = data["name_vi"].strip()
    task_type.name_en = data["name_en"].strip()
    task_type.indicator_codes = " ".join(c for c in known if c in data["indicator_codes"])
    task_type.causes = list(causes)
    task_type.programme_project = data["programme_project"].strip()
    task_type.default_duration_days = data["default_duration_days"]
    task_type.outcome_kind = data["outcome_kind"]
    task_type.sort_order = data.get("sort_order") or 0
    task_type.active = bool(data.get("active"))
    db.session.flush()
    changes = audit.diff(before, _task_type_snapshot(task_type))
    if changes:
        action = "update" if before else "create"
        audit.record(action, actor=admin, ip=ip, obj=task_type, changes=changes)
    return task_type


def task_types_in_use() -> dict[int, int]:
    """How many tasks each task type has (types without tasks are absent)."""
    rows = db.session.execute(
        select(SupportTask.task_type_id, func.count()).group_by(SupportTask.task_type_id)
    )
    return {type_id: n for type_id, n in rows}
