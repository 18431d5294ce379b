"""Schema migrations with Alembic (scripts in engine/migrations)."""
from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy.engine import Engine as SAEngine

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"


def alembic_config(url: str | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    if url:
        config.set_main_option("sqlalchemy.url", url)
    return config


def upgrade(db: SAEngine, revision: str = "head") -> None:
    """Upgrade the database behind `db` to `revision`."""
    config = alembic_config()
    with db.begin() as conn:
        config.attributes["connection"] = conn
        command.upgrade(config, revision)
