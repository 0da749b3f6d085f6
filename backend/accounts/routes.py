from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get, post
from litestar.di import Provide
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED, HTTP_204_NO_CONTENT
from redis.asyncio import Redis

from backend.accounts import service
from backend.accounts.schemas import LoginBody, ProfileOut, RegisterBody
from backend.auth import provide_profile_id
from backend.errors import NotSignedIn


def client_address(request: Request[Any, Any, Any]) -> str:
    # uvicorn has already replaced the peer by X-Forwarded-For when it comes from a trusted proxy.
    return request.client.host if request.client else "unknown"


def _start_session(request: Request[Any, Any, Any], profile: ProfileOut) -> None:
    request.clear_session()
    request.set_session({"profile_id": int(profile.profile_id)})


class AuthController(Controller):
    path = "/api/v1/auth"
    tags = ["accounts"]

    @post("/register", status_code=HTTP_201_CREATED, operation_id="register")
    async def register(self, request: Request[Any, Any, Any], data: RegisterBody) -> ProfileOut:
        """Create a profile and sign it in."""
        profile = await service.register(data.email, data.password, data.name)
        _start_session(request, profile)
        return profile

    @post("/login", status_code=HTTP_200_OK, operation_id="login")
    async def login(self, request: Request[Any, Any, Any], data: LoginBody, redis: Redis) -> ProfileOut:
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
