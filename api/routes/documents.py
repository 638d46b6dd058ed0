"""Documents and upload jobs: upload (202 with a job), progress, list, show, delete, page images."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, Form, HTTPException, Query, UploadFile
from fastapi import Path as PathParam
from fastapi.responses import FileResponse

from ...core.errors import NotFound
from ...core.text import display_name
from ...core.types import validate_tags
from ..deps import ServiceDep, SightDep
from ..schemas import COLLECTION, DocumentOut, JobOut, Tag

router = APIRouter(tags=["documents"])

CHUNK = 1 << 16
UPLOAD_PATH = "/v1/documents"
DocRef = Annotated[str, PathParam(min_length=1, max_length=200, description="id, unique id prefix or file name")]
PageNumber = Annotated[int, PathParam(ge=1, le=100_000)]


@router.post(UPLOAD_PATH, status_code=202, response_model=JobOut)
async def upload(service: ServiceDep, files: Annotated[list[UploadFile], File(description="PDFs and images")],
                 tags: Annotated[list[str] | None, Form()] = None,
                 collection: Annotated[str | None, Form(pattern=COLLECTION)] = None) -> JobOut:
    settings = service.settings
    if not files:
        raise HTTPException(422, "no files in the upload")
    if len(files) > settings.max_upload_files:
        raise HTTPException(413, f"{len(files)} files; at most {settings.max_upload_files} per upload")
    try:
        tag_list = validate_tags(t for raw in (tags or []) for t in raw.split(","))
    except ValueError as e:
        raise HTTPException(422, str(e)) from e
    folder = service.new_upload_folder()
    saved = []
    for i, upload_file in enumerate(files):
        path = folder / f"{i:04d}"  # a generated name: the uploaded one is only displayed
        with path.open("wb") as out:
            while chunk := await upload_file.read(CHUNK):
                out.write(chunk)
        saved.append((display_name(upload_file.filename), path))
    return JobOut.of(service.submit(saved, tag_list, collection))


@router.get("/v1/jobs/{job_id}", response_model=JobOut)
def job(service: ServiceDep, job_id: Annotated[str, PathParam(max_length=64)]) -> JobOut:
    found = service.jobs.get(job_id)
    if found is None:
        raise HTTPException(404, "no such job")
    return JobOut.of(found)


@router.get("/v1/documents")
def documents(sight: SightDep, tag: Annotated[list[Tag] | None, Query(max_length=32)] = None) -> list[DocumentOut]:
    """The documents of the collection; with `tag`, those carrying any of these tags."""
    return [DocumentOut.of(d) for d in sight.documents(tag)]


@router.get("/v1/documents/{ref}")
def document(sight: SightDep, ref: DocRef) -> DocumentOut:
    return DocumentOut.of(sight.document(ref))


@router.delete("/v1/documents/{ref}", status_code=204)
def delete(sight: SightDep, ref: DocRef) -> None:
    sight.delete(ref)


def _page_file(sight, ref: str, n: int, kind: str) -> FileResponse:
    doc = sight.document(ref)
    page = sight.page(doc.id, n)
    store = sight.store
    path = store.image_path(store.images.relative(doc.id, page.image if kind == "image" else page.thumbnail)).resolve()
    if not path.is_relative_to(store.folder.resolve()) or not path.is_file():
        raise NotFound("no image for this page")
    media = "image/png" if path.suffix == ".png" else "image/jpeg"
    return FileResponse(path, media_type=media, headers={"Cache-Control": "private, max-age=3600"})


@router.get("/v1/documents/{ref}/pages/{n}/image", response_class=FileResponse)
def page_image(sight: SightDep, ref: DocRef, n: PageNumber) -> FileResponse:
    return _page_file(sight, ref, n, "image")


@router.get("/v1/documents/{ref}/pages/{n}/thumbnail", response_class=FileResponse)
def page_thumbnail(sight: SightDep, ref: DocRef, n: PageNumber) -> FileResponse:
    return _page_file(sight, ref, n, "thumbnail")
