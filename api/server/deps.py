"""Typed dependencies of the routes: the service and a collection's PageSight. (The API key is checked
before any route runs, by gate.py.)"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, HTTPException, Query, Request

from ...core.i18n import locale_of
from ..pagesight import PageSight
from .gate import CALLER
from .schemas import COLLECTION
from .service import Service

__all__ = ["AdminDep", "CollectionParam", "LocaleDep", "OwnerDep", "ServiceDep", "SightDep"]

CollectionParam = Annotated[str | None, Query(pattern=COLLECTION, description="collection (default: the server's)")]


def get_service(request: Request) -> Service:
    return request.app.state.service


ServiceDep = Annotated[Service, Depends(get_service)]


def get_sight(service: ServiceDep, collection: CollectionParam = None) -> PageSight:
    return service.sight(collection)


SightDep = Annotated[PageSight, Depends(get_sight)]


def get_locale(request: Request) -> str:
    """The language a response's words are in, errors' and routes' alike (core/i18n.py): PAGESIGHT_LOCALE,
    or the request's Accept-Language."""
    return locale_of(request.headers.get("accept-language"), get_service(request).settings.locale)


LocaleDep = Annotated[str, Depends(get_locale)]


def get_owner() -> str:
    """Whom the request acts for: the owner of the API key it carries (the gate found it), whose
    conversations and jobs it sees; with no keys configured, everyone is one user ("")."""
    return CALLER.get().owner


OwnerDep = Annotated[str, Depends(get_owner)]


def require_admin() -> None:
    """Uploads and deletes: a key with the read role may search, ask and keep conversations, no more."""
    if not CALLER.get().admin:
        raise HTTPException(403, "this API key may read (search, ask, conversations), not upload or delete: use a "
                                 "key with the admin role")


AdminDep = Depends(require_admin)
