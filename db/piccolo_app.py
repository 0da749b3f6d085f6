from pathlib import Path

from piccolo.conf.apps import AppConfig, table_finder

CURRENT_DIRECTORY = Path(__file__).resolve().parent

APP_CONFIG = AppConfig(
    app_name="showtime",
    migrations_folder_path=str(CURRENT_DIRECTORY / "migrations"),
    table_classes=table_finder(modules=["db.tables"], exclude_imported=True),
    migration_dependencies=[],
    commands=[],
)
