"""Search and answers, as JSON or (answers) as server-sent events; and what a collection is."""

from __future__ import annotations

from itertools import chain
from typing import Annotated

from fastapi import APIRouter
from fastapi import Path as PathParam
from fastapi.responses import StreamingResponse

from ....core.i18n import say
from ..deps import LocaleDep, ServiceDep
from ..forms import form_body
from ..schemas import (
    COLLECTION,
    AnswerOut,
    AnswerRequest,
    AnswerResponse,
    CollectionOut,
    HitOut,
    PictureOut,
    SearchRequest,
    SearchResponse,
)
from ..sse import answer_events

router = APIRouter(tags=["search"])

STREAMS = {200: {"content": {"application/json": {}, "text/event-stream": {}},
                 "description": "JSON, or with \"stream\": true, server-sent events"}}


def _shown(service, collection: str | None) -> str | None:
    """The collection as page URLs name it: only when it is not the default."""
    return collection if collection and collection != service.settings.collection else None


@router.post("/v1/search", openapi_extra=form_body(SearchRequest))
def search(service: ServiceDep, locale: LocaleDep, body: SearchRequest) -> SearchResponse:
    result = service.sight(body.collection).search(body.query, body.k, body.filters(), body.channels,
                                                   image=body.picture())
    shown = _shown(service, body.collection)
    return SearchResponse(hits=[HitOut.of(h, shown) for h in result.hits], channels=result.channels,
                          skipped=result.skipped, picture=PictureOut.of(result.picture),
                          absent=result.absent and say(result.absent, locale))


@router.post("/v1/answer", responses=STREAMS, openapi_extra=form_body(AnswerRequest))
def answer(service: ServiceDep, locale: LocaleDep, body: AnswerRequest):
    events = service.sight(body.collection).ask_stream(body.question, body.k, body.filters(), history=body.turns(),
                                                       image=body.picture())
    found = next(events)  # the search runs now: its errors are this request's status, not a stream's event
    shown = _shown(service, body.collection)
    if body.stream:
        return StreamingResponse(answer_events(chain([found], events), shown, locale), media_type="text/event-stream",
                                 headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})
    *_, final = events
    return AnswerResponse(answer=AnswerOut.of(final, shown), pages=[HitOut.of(h, shown) for h in found.hits],
                          question=found.question, rewritten_by=found.rewritten_by,
                          picture=PictureOut.of(found.picture), absent=found.absent and say(found.absent, locale))


@router.get("/v1/collections", tags=["collections"])
def collections(service: ServiceDep) -> list[str]:
    """The collections that exist."""
    return service.collections()


@router.get("/v1/collections/{name}", tags=["collections"])
def collection(service: ServiceDep, name: Annotated[str, PathParam(pattern=COLLECTION)]) -> CollectionOut:
    """One collection: documents, pages, the channels a search runs, the encoders that built it, the answerer."""
    info = service.sight(name).info()
    return CollectionOut(**{k: v for k, v in info.__dict__.items() if k in CollectionOut.model_fields})
