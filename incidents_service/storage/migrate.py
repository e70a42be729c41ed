"""Bring a database's schema to the newest Alembic revision."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine

from incidents_service.storage.unit_of_work import translate_storage_error

MIGRATIONS_DIR = Path(__file__).parent / "migrations"


def alembic_config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    return config


def migrate(engine: Engine) -> None:
    config = alembic_config()
    try:
        with engine.begin() as connection:
            config.attributes["connection"] = connection
            command.upgrade(config, "head")
    except Exception as exc:
        raise translate_storage_error(exc) from exc


def schema_is_current(engine: Engine) -> bool:
    """True when the database is at the newest revision (StorageUnavailable when unreachable)."""
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    try:
        with engine.connect() as connection:
            current = MigrationContext.configure(connection).get_current_revision()
    except Exception as exc:
        raise translate_storage_error(exc) from exc
    return current == head


def include_object_for(dialect_name: str) -> Callable[[Any, str | None, str, bool, Any], bool]:
    """Alembic comparison filter: skip indexes declared for another database (Index.ddl_if)."""

    def include_object(obj: Any, _name: str | None, type_: str, reflected: bool, _compare_to: Any) -> bool:
        ddl_if = getattr(obj, "_ddl_if", None)
        if type_ == "index" and not reflected and ddl_if is not None and ddl_if.dialect is not None:
            return bool(ddl_if.dialect == dialect_name)
        return True

    return include_object
