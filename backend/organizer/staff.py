"""Organizer accounts: `python -m backend.organizer.staff create-organizer EMAIL ORG_NAME [--name N] [--password P]`
(`just create-organizer`).

Makes a new profile with the organizer role in that organization (the organization too, when no organization has
that name yet), or gives an existing profile the role there (its password unchanged; a profile works for one
organization, so an organizer of another one moves). Like `create-scanner`, only an operator with database access
can do this: there is no HTTP path to become an organizer.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from dataclasses import dataclass

from backend.accounts.staff import staff_account
from backend.errors import AppError
from db.tables import Organization

# The role of an organization's staff: every organizer route (backend/organizer/guard.py) asks for it.
ORGANIZER_ROLE = "organizer"
MAX_ORGANIZATION_NAME = 200


@dataclass(frozen=True)
class OrganizerAccount:
    profile_id: int
    organization_id: int
    # The password set for a new profile, shown once; None when an existing profile got the role.
    password: str | None


async def organization_named(name: str) -> int:
    """The organization with this name, made if there is none (a unique name: two calls racing make one)."""
    name = name.strip()
    if not 1 <= len(name) <= MAX_ORGANIZATION_NAME or "\x00" in name:
        raise ValueError(f"an organization's name has 1 to {MAX_ORGANIZATION_NAME} characters")
    found = await Organization.select(Organization.id).where(Organization.name == name).first()
    if found is None:
        try:
            await Organization.insert(Organization(name=name))
        except Exception:  # noqa: S110 - another call made it meanwhile; the select below finds it either way
            pass
        found = await Organization.select(Organization.id).where(Organization.name == name).first()
    if found is None:
        raise RuntimeError(f"organization {name!r} could not be made")
    return int(found["id"])


async def create_organizer(email: str, organization: str, name: str = "Organizer",
                           password: str | None = None) -> OrganizerAccount:
    organization_id = await organization_named(organization)
    profile_id, password = await staff_account(email, ORGANIZER_ROLE, name=name, password=password,
                                               organization=organization_id)
    return OrganizerAccount(profile_id, organization_id, password)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m backend.organizer.staff")
    sub = parser.add_subparsers(dest="command", required=True)
    create = sub.add_parser("create-organizer", help="a profile that runs an organization's venues and sales")
    create.add_argument("email")
    create.add_argument("organization", help="the organization's name (made when none has it yet)")
    create.add_argument("--name", default="Organizer")
    create.add_argument("--password", help="default: a random one, printed once")
    args = parser.parse_args(argv)
    sys.path.insert(0, ".")
    try:
        account = asyncio.run(create_organizer(args.email, args.organization, args.name, args.password))
    except AppError as exc:  # a weak password, a bad e-mail address
        raise SystemExit(f"create-organizer: {exc.detail}") from None
    except ValueError as exc:  # a bad organization name
        raise SystemExit(f"create-organizer: {exc}") from None
    if account.password is None:
        print(f"{args.email} is now an organizer of {args.organization!r}; its password is unchanged")
    elif args.password:
        print(f"organizer account {args.email} of {args.organization!r} created with the password given")
    else:
        print(f"organizer account {args.email} of {args.organization!r} created; password: {account.password}")


if __name__ == "__main__":
    main()
