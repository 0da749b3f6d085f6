from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get, post
from litestar.di import Provide
from litestar.middleware.rate_limit import RateLimitConfig
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED, HTTP_202_ACCEPTED, HTTP_204_NO_CONTENT

from backend.accounts import service, verification
from backend.accounts.hourly_limit import hourly_place
from backend.accounts.schemas import LoginBody, MailSent, ProfileOut, RegisterBody, VerifyEmailBody
from backend.edge.auth import provide_profile_id
from backend.errors import NotSignedIn
from backend.infra.redis_client import RedisDependency
from backend.settings import Settings
from backend.timeutil import utcnow

VERIFICATION_MAILS_PER_HOUR = 5


def client_address(request: Request[Any, Any, Any]) -> str:
    # uvicorn has already replaced the peer by X-Forwarded-For when it comes from a trusted proxy.
    return request.client.host if request.client else "unknown"


def _start_session(request: Request[Any, Any, Any], profile: ProfileOut) -> None:
    request.clear_session()
    request.set_session({"profile_id": int(profile.profile_id)})


# Per client address, on sign-in only (every other route would pay for a Redis call it does not need), generous
# enough for a venue's shared NAT; service.login adds the per-email brake that actually stops password guessing.
LOGIN_RATE_LIMIT = RateLimitConfig(rate_limit=("minute", 300), store="rate_limit")


class AuthController(Controller):
    path = "/api/v1/auth"
    tags = ["accounts"]

    @post("/register", status_code=HTTP_201_CREATED, operation_id="register")
    async def register(self, request: Request[Any, Any, Any], data: RegisterBody, redis: RedisDependency,
                       settings: Settings) -> ProfileOut:
        """Create a profile, sign it in and mail it a verification token; 429 after too many from one address."""
        async with hourly_place(redis, f"register:addr:{client_address(request)}",
                                settings.registrations_per_address_per_hour,
                                "Too many new accounts from this address; try again later."):
            profile = await service.register(data.email, data.password, data.name)
        await verification.send_verification(settings, int(profile.profile_id), profile.email)
        _start_session(request, profile)
        return profile

    @post("/login", status_code=HTTP_200_OK, operation_id="login", middleware=[LOGIN_RATE_LIMIT.middleware])
    async def login(self, request: Request[Any, Any, Any], data: LoginBody, redis: RedisDependency) -> ProfileOut:
        """Sign in; unknown email and wrong password get the same 401."""
        profile = await service.login(redis, data.email, data.password, client_address(request))
        _start_session(request, profile)
        return profile

    @post("/logout", status_code=HTTP_204_NO_CONTENT, operation_id="logout")
    async def logout(self, request: Request[Any, Any, Any]) -> None:
        """Sign out and clear the session cookie."""
        request.clear_session()

    @get("/me", operation_id="me", dependencies={"profile_id": Provide(provide_profile_id)})
    async def me(self, profile_id: int) -> ProfileOut:
        """The signed-in profile."""
        profile = await service.get_profile(profile_id)
        if profile is None:
            raise NotSignedIn("This session's profile no longer exists; sign in again.")
        return profile

    @post("/verify-email", status_code=HTTP_200_OK, operation_id="verifyEmail")
    async def verify_email(self, data: VerifyEmailBody, settings: Settings) -> ProfileOut:
        """Confirm the e-mail address with the mailed token (no session needed: the token names the profile)."""
        return await service.verify_email(settings.secret_key, data.token, utcnow())

    @post("/verify-email/send", status_code=HTTP_202_ACCEPTED, operation_id="sendVerificationEmail",
          dependencies={"profile_id": Provide(provide_profile_id)})
    async def send_verification_email(self, profile_id: int, redis: RedisDependency, settings: Settings) -> MailSent:
        """Mail the signed-in profile a fresh verification token (a few per hour)."""
        profile = await service.get_profile(profile_id)
        if profile is None:
            raise NotSignedIn("This session's profile no longer exists; sign in again.")
        if profile.email_verified:
            return MailSent(sent=False)
        async with hourly_place(redis, f"verify-mail:profile:{profile_id}", VERIFICATION_MAILS_PER_HOUR,
                                "Verification mails are limited to a few per hour; try again later."):
            await verification.send_verification(settings, profile_id, profile.email)
        return MailSent(sent=True)
