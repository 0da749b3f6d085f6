"""`just create-organizer EMAIL ORG_NAME [--password P]`: a new account (its password printed once when one was
made), or an existing profile given the role in that organization; one organization per name."""

from __future__ import annotations

import secrets
import subprocess
import sys

import httpx

from backend.organizer.staff import ORGANIZER_ROLE, create_organizer, organization_named
from backend.settings import PROJECT_ROOT
from db.tables import Organization, Profile
from tests.conftest import STRONG_PASSWORD, unique_email
from tests.organizer.conftest import signed_in


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "backend.organizer.staff", "create-organizer", *args],
                          cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=120, check=False)


async def test_a_new_organizer_signs_in_as_one(server) -> None:
    email, name = unique_email("org"), f"Org {secrets.token_hex(4)}"
    account = await create_organizer(email, name, password=STRONG_PASSWORD)
    assert account.password == STRONG_PASSWORD
    row = await Profile.select(Profile.role, Profile.organization).where(Profile.email == email).first()
    assert row == {"role": ORGANIZER_ROLE, "organization": account.organization_id}
    assert await Organization.select(Organization.name).where(
        Organization.id == account.organization_id).first() == {"name": name}
    client = await signed_in(server, email, "organizer")
    try:
        assert (await client.get("/api/v1/auth/me")).json()["role"] == "organizer"
    finally:
        await client.aclose()


async def test_an_existing_profile_gets_the_role_and_keeps_its_password(server, make_fan) -> None:
    fan: httpx.AsyncClient = await make_fan()
    email = fan.profile["email"]  # type: ignore[attr-defined]
    first = await create_organizer(email, f"Org {secrets.token_hex(4)}")
    assert first.password is None
    client = await signed_in(server, email, "organizer")  # the fan's password still signs in
    await client.aclose()
    # One organization per profile: another organization's name moves it there.
    moved = await create_organizer(email, f"Org {secrets.token_hex(4)}")
    assert moved.password is None and moved.profile_id == first.profile_id
    assert moved.organization_id != first.organization_id
    assert (await Profile.select(Profile.organization).where(Profile.email == email).first())["organization"] == \
        moved.organization_id


async def test_one_organization_per_name() -> None:
    name = f"Org {secrets.token_hex(4)}"
    assert await organization_named(name) == await organization_named(f"  {name} ")
    assert await Organization.count().where(Organization.name == name) == 1


def test_the_command_prints_a_password_only_when_it_made_one() -> None:
    email, name = unique_email("cli"), f"Org {secrets.token_hex(4)}"
    made = cli(email, name)
    assert made.returncode == 0, made.stderr
    assert made.stdout.count("password: ") == 1
    password = made.stdout.rsplit("password: ", 1)[1].strip()
    assert len(password) >= 12
    again = cli(email, name)
    assert again.returncode == 0 and "unchanged" in again.stdout and password not in again.stdout
    given = cli(unique_email("cli"), name, "--password", STRONG_PASSWORD)
    assert given.returncode == 0 and STRONG_PASSWORD not in given.stdout
    for bad in ((unique_email("cli"), " "), ("not an address", name), (unique_email("cli"), name, "--password", "x")):
        refused = cli(*bad)
        assert refused.returncode != 0 and "create-organizer:" in refused.stderr and "Traceback" not in refused.stderr
