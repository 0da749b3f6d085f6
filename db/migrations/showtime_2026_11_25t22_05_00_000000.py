"""Full-text search on shows: FTS5 on SQLite, a generated tsvector with a GIN index on PostgreSQL.

Both index `show.search_text` (title, venue and city), so the catalog never scans with LIKE.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine.postgres import PostgresEngine

ID = "2026-11-25T22:05:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "full-text search index on show.search_text"

SQLITE = [
    "CREATE VIRTUAL TABLE IF NOT EXISTS show_fts USING fts5("
    "search_text, content='show', content_rowid='id', tokenize='unicode61 remove_diacritics 2')",
    "CREATE TRIGGER IF NOT EXISTS show_fts_insert AFTER INSERT ON show BEGIN "
    "INSERT INTO show_fts(rowid, search_text) VALUES (new.id, new.search_text); END",
    "CREATE TRIGGER IF NOT EXISTS show_fts_delete AFTER DELETE ON show BEGIN "
    "INSERT INTO show_fts(show_fts, rowid, search_text) VALUES ('delete', old.id, old.search_text); END",
    "CREATE TRIGGER IF NOT EXISTS show_fts_update AFTER UPDATE OF search_text ON show BEGIN "
    "INSERT INTO show_fts(show_fts, rowid, search_text) VALUES ('delete', old.id, old.search_text); "
    "INSERT INTO show_fts(rowid, search_text) VALUES (new.id, new.search_text); END",
    "INSERT INTO show_fts(show_fts) VALUES ('rebuild')",
    # Keyset pagination walks (starts_at, id); the near filter walks venue (lat, lng).
    "CREATE INDEX IF NOT EXISTS show_starts_at_id ON show (starts_at, id)",
    "CREATE INDEX IF NOT EXISTS venue_lat_lng ON venue (lat, lng)",
]

POSTGRES = [
    "ALTER TABLE show ADD COLUMN IF NOT EXISTS search_tsv tsvector "
    "GENERATED ALWAYS AS (to_tsvector('simple', coalesce(search_text, ''))) STORED",
    "CREATE INDEX IF NOT EXISTS show_search_tsv ON show USING GIN (search_tsv)",
    "CREATE INDEX IF NOT EXISTS show_starts_at_id ON show (starts_at, id)",
    "CREATE INDEX IF NOT EXISTS venue_lat_lng ON venue (lat, lng)",
]


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="showtime", description=DESCRIPTION)

    async def run():
        from piccolo.engine import engine_finder

        engine = engine_finder()
        statements = POSTGRES if isinstance(engine, PostgresEngine) else SQLITE
        for statement in statements:
            await engine.run_ddl(statement)

    manager.add_raw(run)
    return manager
