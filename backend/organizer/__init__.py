"""The organizer side (API.md, "Organizers"): organizations, their staff (the organizer role), and venues imported
from seating-plan files. Routes, service and schemas side by side; plans/ reads and writes the plan formats;
guard.py is the one check in front of every organizer route.

It may import seats, catalog, accounts and below (pyproject.toml's layers contract): seat state changes only
through backend/seats, money only through backend/payments."""
