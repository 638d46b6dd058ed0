"""The app's own SQL database (conversations, jobs): SQLAlchemy 2 on SQLite in the data folder by
default, or PostgreSQL by PAGESIGHT_DATABASE_URL. Its schema is Alembic's (migrations/), brought to the
newest revision when the database is opened."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import ArgumentError, SQLAlchemyError
from sqlalchemy.orm import DeclarativeBase, Session

from ...core.errors import DatabaseUnavailable, PageSightError

__all__ = ["Base", "Database", "upgrade", "utc"]

MIGRATIONS = Path(__file__).with_name("migrations")


class Base(DeclarativeBase):
    pass


def utc(moment: datetime) -> datetime:
    """SQLite hands back the naive time it was given in UTC; PostgreSQL an aware one."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


class Database:
    """One engine, migrated on open; sessions that commit on success. SQLite writes one at a time."""

    def __init__(self, url: str):
        self.url = url
        self.engine = _engine(url)
        try:
            upgrade(self.engine)
        except SQLAlchemyError as e:
            self.engine.dispose()
            raise DatabaseUnavailable(f"cannot open the database {shown(self.engine)}: {_first_line(e)}") from None
        self._lock = threading.Lock() if self.engine.dialect.name == "sqlite" else None

    @contextmanager
    def session(self, write: bool = True) -> Iterator[Session]:
        """A session that commits on success. SQLite writes one at a time, in this process too; reads
        (`write=False`) never wait for them (WAL: a reader sees the last commit), so one owner's long
        write does not hold up another's reads."""
        if self._lock is None or not write:
            with Session(self.engine, expire_on_commit=False) as session, session.begin():
                yield session
            return
        with self._lock, Session(self.engine, expire_on_commit=False) as session, session.begin():
            yield session

    def close(self) -> None:
        self.engine.dispose()


def shown(engine: Engine) -> str:
    """The database's URL as it may be shown: without its password."""
    return engine.url.render_as_string(hide_password=True)


def _first_line(error: SQLAlchemyError) -> str:
    """What the driver said, in one line (SQLAlchemy adds the statement and a link after it)."""
    reason = str(getattr(error, "orig", None) or error).strip().splitlines()
    return reason[0].strip() if reason else type(error).__name__


def _engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        path = url.split("///", 1)[1] if "///" in url else ""
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})

        @event.listens_for(engine, "connect")
        def _pragmas(connection, _record) -> None:
            cursor = connection.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")  # ON DELETE CASCADE
            cursor.execute("PRAGMA journal_mode=WAL")  # readers do not wait on the writer
            cursor.close()

        return engine
    try:
        return create_engine(url, pool_pre_ping=True)
    except ArgumentError as e:
        raise DatabaseUnavailable(f"PAGESIGHT_DATABASE_URL is not a database URL ({e})") from None
    except ModuleNotFoundError as e:
        raise PageSightError(f"the database URL needs a driver that is not installed ({e.name}): PostgreSQL "
                             "URLs use psycopg 3 (pip install 'psycopg[binary]')") from e


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Bring the database to `revision` with the project's Alembic migrations."""
    from alembic import command
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, revision)
