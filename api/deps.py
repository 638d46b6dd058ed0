"""Typed dependencies of the routes: the service and a collection's PageSight. (The API key is checked
before any route runs, by gate.py.)"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Query, Request

from .conversations import owner_of
from .gate import api_keys
from .pagesight import PageSight
from .schemas import COLLECTION
from .service import Service

__all__ = ["CollectionParam", "OwnerDep", "ServiceDep", "SightDep"]

CollectionParam = Annotated[str | None, Query(pattern=COLLECTION, description="collection (default: the server's)")]


def get_service(request: Request) -> Service:
    return request.app.state.service


ServiceDep = Annotated[Service, Depends(get_service)]


def get_sight(service: ServiceDep, collection: CollectionParam = None) -> PageSight:
    return service.sight(collection)


SightDep = Annotated[PageSight, Depends(get_sight)]


def get_owner(request: Request, service: ServiceDep) -> str:
    """Whom the request acts for: the API key it carries (checked already by the gate), hashed; with no
    keys configured, everyone is one user ("")."""
    if not api_keys(service.settings.api_keys):
        return ""
    scheme, _, key = request.headers.get("authorization", "").partition(" ")
    return owner_of(key.strip()) if scheme.lower() == "bearer" and key.strip() else ""


OwnerDep = Annotated[str, Depends(get_owner)]
