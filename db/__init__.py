"""Database layer: Piccolo tables, migrations, engine setup and demo data."""
