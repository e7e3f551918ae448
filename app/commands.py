"""Command-line tools: ``flask --app wsgi seed demo``."""

import time

import click
from flask.cli import with_appcontext

from app.extensions import db
from app.services import demo, reference, report_definitions
from app.tasks.maintenance import analyze_database


@click.group()
def seed() -> None:
    """Load reference or demo data."""


@seed.command("reference")
@with_appcontext
def seed_reference() -> None:
    """Poverty standards, causes of poverty, support needs, report definitions and holidays (idempotent)."""
    added = (
        reference.seed_standards()
        + reference.seed_catalogues()
        + report_definitions.seed_definitions()
        + report_definitions.seed_holidays()
    )
    db.session.commit()
    click.echo(f"reference rows added: {added}")


@seed.command("demo")
@with_appcontext
def seed_demo() -> None:
    """Build huyện Bạch Thông as of March 2020 (idempotent: a second run changes nothing)."""
    started = time.monotonic()
    for line in demo.build_demo():
        click.echo(line)
    db.session.commit()
    analyze_database()  # the planner's statistics, as the nightly job keeps them
    click.echo(f"demo ready in {time.monotonic() - started:.1f} s")
    click.echo(f"demo logins (password: {demo.demo_password()}):")
    for username, full_name, role, _, _ in demo.DEMO_USERS:
        click.echo(f"  {username:<24} {role:<11} {full_name}")
