"""The waiting room of a queue-enabled show, in one package: the line and its fair draw (line.py, draw.py), the
admission grants it makes (admission.py), its feed of the line's status to sockets (feed.py), its HTTP routes
(routes.py), the table of a fan's turn (turn_states.py) and the `just verify-draw` command (verify_draw.py).

Its Redis keys (_keys.py) and Lua scripts (_scripts.py) are private to this package (import-linter's protected
contract); everything else uses the names below.
"""

from realtime.waiting_room._keys import ADVANCE_JOB
from realtime.waiting_room.admission import Admissions
from realtime.waiting_room.feed import QueueFeed, queue_hub
from realtime.waiting_room.line import NotInQueue, Place, PublishedDraw, QueueNotEnabled, WaitingRoom
from realtime.waiting_room.routes import WaitingRoomController

__all__ = [
    "ADVANCE_JOB",
    "Admissions",
    "NotInQueue",
    "Place",
    "PublishedDraw",
    "QueueFeed",
    "QueueNotEnabled",
    "WaitingRoom",
    "WaitingRoomController",
    "queue_hub",
]
