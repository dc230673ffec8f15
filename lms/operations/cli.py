"""`flask --app app lms backup` and `flask --app app lms restore`."""

from __future__ import annotations

import click

from lms.operations import backup as backups


@click.command("backup")
@click.option("--output", type=click.Path(file_okay=False),
              help="Folder to create (default: BACKUP_DIR or instance/backups, "
                   "named lms-<UTC time>).")
@click.option("--keep", type=click.IntRange(min=1), default=None,
              help="Then delete all but the KEEP newest backups in the same folder.")
def backup_command(output, keep) -> None:
    """Back up the database and the instance folder (keys included: keep it private)."""
    try:
        outcome = backups.backup(output)
    except backups.BackupError as exc:
        raise click.ClickException(str(exc)) from None
    tables = outcome.manifest["fingerprint"]["tables"]
    click.echo(f"backup written to {outcome.path} in {outcome.seconds:.1f} s: "
               f"{sum(tables.values())} rows in {len(tables)} tables, "
               f"revision {outcome.manifest['revision']}")
    if keep:
        for old in backups.prune(outcome.path.parent, keep):
            click.echo(f"deleted old backup {old}")


@click.command("restore")
@click.argument("path", type=click.Path(exists=True, file_okay=False))
@click.option("--force", is_flag=True, help="Overwrite a database that is not empty.")
def restore_command(path, force: bool) -> None:
    """Restore a backup folder into the configured database and instance folder."""
    try:
        outcome = backups.restore(path, force=force)
    except backups.BackupError as exc:
        raise click.ClickException(str(exc)) from None
    tables = outcome.manifest["fingerprint"]["tables"]
    click.echo(f"restored {outcome.path} in {outcome.seconds:.1f} s: "
               f"{sum(tables.values())} rows verified against the manifest")
