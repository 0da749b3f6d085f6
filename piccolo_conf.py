from piccolo.conf.apps import AppRegistry

from backend.settings import database_url
from db.engine import build_engine

# Only the database URL: loading all the settings here could write var/secret_key as a side effect of an import.
DB = build_engine(database_url())

APP_REGISTRY = AppRegistry(apps=["db.piccolo_app"])
