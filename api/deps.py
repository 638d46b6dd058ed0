"""Typed dependencies of the routes: the service, a collection's PageSight, and the API-key check."""

from __future__ import annotations

import hmac
from typing import Annotated

from fastapi import Depends, HTTPException, Query, Request

from .pagesight import PageSight
from .schemas import COLLECTION
from .service import Service

__all__ = ["CollectionParam", "ServiceDep", "SightDep", "require_key"]

CollectionParam = Annotated[str | None, Query(pattern=COLLECTION, description="collection (default: the server's)")]


def get_service(request: Request) -> Service:
    return request.app.state.service


ServiceDep = Annotated[Service, Depends(get_service)]


def get_sight(service: ServiceDep, collection: CollectionParam = None) -> PageSight:
    return service.sight(collection)


SightDep = Annotated[PageSight, Depends(get_sight)]


def keys_match(given: str, keys: list[str]) -> bool:
    """Whether an Authorization header carries one of the keys (compared in constant time)."""
    scheme, _, token = given.partition(" ")
    return scheme.lower() == "bearer" and any(hmac.compare_digest(token.encode(), k.encode()) for k in keys)


def require_key(request: Request) -> None:
    keys = request.app.state.api_keys
    if keys and not keys_match(request.headers.get("authorization", ""), keys):
        raise HTTPException(401, "missing or wrong API key: send Authorization: Bearer <key>",
                            headers={"WWW-Authenticate": "Bearer"})
