from piccolo.conf.apps import AppRegistry

from backend.settings import get_settings
from db.engine import build_engine

DB = build_engine(get_settings())

APP_REGISTRY = AppRegistry(apps=["db.piccolo_app"])
