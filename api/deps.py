"""Typed dependencies of the routes: the service and a collection's PageSight. (The API key is checked
before any route runs, by gate.py.)"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Query, Request

from .pagesight import PageSight
from .schemas import COLLECTION
from .service import Service

__all__ = ["CollectionParam", "ServiceDep", "SightDep"]

CollectionParam = Annotated[str | None, Query(pattern=COLLECTION, description="collection (default: the server's)")]


def get_service(request: Request) -> Service:
    return request.app.state.service


ServiceDep = Annotated[Service, Depends(get_service)]


def get_sight(service: ServiceDep, collection: CollectionParam = None) -> PageSight:
    return service.sight(collection)


SightDep = Annotated[PageSight, Depends(get_sight)]
