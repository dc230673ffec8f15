"""`flask --app app lms tick [--today YYYY-MM-DD] [--json]` and the retraining policies."""

from __future__ import annotations

import json
from datetime import date

import click


@click.command("tick")
@click.option("--today", type=click.DateTime(formats=["%Y-%m-%d"]),
              help="The day to run (default: today in China).")
@click.option("--json", "as_json", is_flag=True, help="Print the counts as JSON.")
def tick_command(today, as_json: bool) -> None:
    """The daily retraining tick (idempotent: a second run on one day changes nothing)."""
    from lms.i18n import local_today
    from lms.retraining.tick import tick

    day: date = today.date() if today else local_today()
    report = tick(day).to_dict()
    if as_json:
        click.echo(json.dumps(report, ensure_ascii=False))
        return
    click.echo(f"{report['today']}: {report['examined']} certificates examined, "
               f"{report['renewals']} renewed, {report['suspended']} suspended, "
               f"{report['expired']} expired, {report['reminders']} reminders")
    for standing, count in report["transitions"].items():
        click.echo(f"  now {standing}: {count}")
