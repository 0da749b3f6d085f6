"""Gate staff accounts: `python -m backend.accounts.staff create-scanner EMAIL [--name N] [--password P]`.

Makes a new profile with the scanner role, or gives an existing profile that role (its password unchanged).
Only an operator with database access can do this: there is no HTTP path to become a scanner.
"""

from __future__ import annotations

import argparse
import asyncio
import secrets
import sys
from typing import Any

from backend.accounts.passwords import hash_password
from backend.accounts.service import check_password_strength, normalise_email
from db.tables import Profile

# The role of gate staff: the scanner page and the gate endpoints (backend/tickets/scanners.py) ask for it.
SCANNER_ROLE = "scanner"


async def staff_account(email: str, role: str, *, name: str, password: str | None = None,
                        **columns: object) -> tuple[int, str | None]:
    """A profile with a staff role (and its other `columns`, such as an organizer's organization): a new one, or an
    existing profile given the role (its password unchanged). Returns its id, and the password set for a new profile
    (shown once; None for an existing one)."""
    email = normalise_email(email)
    values: dict[Any, object] = {Profile.role: role,
                                 **{getattr(Profile, column): value for column, value in columns.items()}}
    existing = await Profile.select(Profile.id).where(Profile.email == email).first()
    if existing is not None:
        await Profile.update(values).where(Profile.id == existing["id"])
        return existing["id"], None
    password = password or secrets.token_urlsafe(12)
    check_password_strength(password, email)
    rows = await Profile.insert(Profile(_data={Profile.email: email, Profile.name: name,
                                               Profile.password_hash: await hash_password(password), **values})
                                ).returning(Profile.id)
    return rows[0]["id"], password


async def create_scanner(email: str, name: str = "Gate staff", password: str | None = None) -> str | None:
    """Returns the password it set for a new profile (None when an existing profile got the role)."""
    _, password = await staff_account(email, SCANNER_ROLE, name=name, password=password)
    return password


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m backend.accounts.staff")
    sub = parser.add_subparsers(dest="command", required=True)
    create = sub.add_parser("create-scanner", help="a profile that may use the gate scanner page")
    create.add_argument("email")
    create.add_argument("--name", default="Gate staff")
    create.add_argument("--password", help="default: a random one, printed once")
    args = parser.parse_args(argv)
    sys.path.insert(0, ".")
    password = asyncio.run(create_scanner(args.email, args.name, args.password))
    if password is None:
        print(f"{args.email} may now use the scanner page (/scan); its password is unchanged")
    else:
        print(f"scanner account {args.email} created; password: {password}")


if __name__ == "__main__":
    main()
