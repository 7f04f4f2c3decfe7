"""The migrations build exactly the schema the models declare, on every backend."""

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine

from digigov.migrations.models import metadata
from digigov.migrations.runner import alembic_config, current

# Search-index objects that live outside the ORM (SQLite FTS5 tables and their shadow tables).
OUTSIDE_ORM_PREFIXES = ("catalog_resource_fts",)


def _outside_orm(diff: tuple) -> bool:  # type: ignore[type-arg]
    obj = diff[1] if len(diff) > 1 else None
    name = getattr(obj, "name", "") or ""
    table = getattr(getattr(obj, "table", None), "name", "") or ""
    return any(n.startswith(OUTSIDE_ORM_PREFIXES) for n in (name, table))


def test_store_is_at_head(engine: Engine) -> None:
    head = ScriptDirectory.from_config(alembic_config(str(engine.url))).get_current_head()
    assert current(engine) == head


def test_migrations_match_the_models(engine: Engine) -> None:
    with engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"compare_type": True})
        diffs = [d for d in compare_metadata(ctx, metadata) if not _outside_orm(d)]
    assert diffs == [], f"models and migrations differ; add a migration: {diffs}"
