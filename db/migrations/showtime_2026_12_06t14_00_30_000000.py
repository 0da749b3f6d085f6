"""Organizers, part two (a raw migration runs before the column changes of its own manager, hence apart):

- a seat's plan guid is unique in its venue, and one organization's venue is found again by its name, city and
  layout hash (the same import twice makes one venue), each a unique index the database keeps however requests race;
- rows made before organizations existed get what the new code expects: venues belong to the demo organization,
  seats get a guid (`seat-<id>`), sections are their own category and zone.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

ID = "2026-12-06T14:00:30:000000"
VERSION = "1.38.0"
DESCRIPTION = "unique seat guid per venue, unique venue per organization and plan; backfill of older rows"

DEMO_ORGANIZATION = "Showtime Demo"

STATEMENTS = [
    'CREATE UNIQUE INDEX IF NOT EXISTS seat_venue_guid ON seat ("venue", "guid")',
    'CREATE UNIQUE INDEX IF NOT EXISTS venue_organization_plan ON venue ("organization", "name", "city", '
    '"layout_hash")',
    "UPDATE seat SET guid = 'seat-' || CAST(id AS TEXT) WHERE guid IS NULL",
    "UPDATE section SET category = name WHERE category IS NULL",
    "UPDATE section SET zone = name WHERE zone IS NULL",
    f"INSERT INTO organization (name, created_at) SELECT '{DEMO_ORGANIZATION}', CURRENT_TIMESTAMP "
    f"WHERE EXISTS (SELECT 1 FROM venue WHERE organization IS NULL) "
    f"AND NOT EXISTS (SELECT 1 FROM organization WHERE name = '{DEMO_ORGANIZATION}')",
    f"UPDATE venue SET organization = (SELECT id FROM organization WHERE name = '{DEMO_ORGANIZATION}') "
    "WHERE organization IS NULL",
]


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="showtime", description=DESCRIPTION)

    async def run():
        from piccolo.engine import engine_finder

        engine = engine_finder()
        for statement in STATEMENTS:
            await engine.run_ddl(statement)

    manager.add_raw(run)
    return manager
