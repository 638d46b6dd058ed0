"""Documents and upload jobs: upload (202 with a job), progress, list, show, delete, pages and their images."""

from __future__ import annotations

import os
from typing import Annotated

from fastapi import APIRouter, File, Form, HTTPException, Query, UploadFile
from fastapi import Path as PathParam
from fastapi.responses import StreamingResponse

from ....core.errors import NotFound
from ....core.text import display_name, strip_control
from ....core.types import validate_tags
from ....ingest.ocr import ocr_languages_of
from ..deps import AdminDep, CollectionParam, OwnerDep, ServiceDep, SightDep
from ..schemas import COLLECTION, DocumentOut, JobOut, PageOut, Problem, Tag

router = APIRouter(tags=["documents"])

CHUNK = 1 << 16
UPLOAD_PATH = "/v1/documents"
DocRef = Annotated[str, PathParam(min_length=1, max_length=200, description="id, unique id prefix or file name")]
PageNumber = Annotated[int, PathParam(ge=1, le=100_000)]


@router.post(UPLOAD_PATH, status_code=202, response_model=JobOut, dependencies=[AdminDep])
async def upload(
    service: ServiceDep, owner: OwnerDep, files: Annotated[list[UploadFile], File(description="PDFs and images")],
    tags: Annotated[list[str] | None, Form(description="tags for every file, comma-separated or repeated")] = None,
    collection: Annotated[str | None, Form(pattern=COLLECTION)] = None,
    sources: Annotated[list[str] | None, Form(description=(
        "one per file, in order: the key a later upload of a changed version of that file gives to replace "
        "it (a path, say). Without one, every upload is a document of its own, whatever its name"))] = None,
    lang: Annotated[str | None, Form(max_length=100, description=(
        "what OCR reads the scanned pages in: language codes joined by + (fra+eng), or auto (English, or the "
        "language the document's pages show); default: the server's PAGESIGHT_OCR_LANGUAGES"))] = None,
) -> JobOut:
    settings = service.settings
    service.allowed(collection)  # before a byte of the files is kept
    if not files:
        raise HTTPException(422, "no files in the upload")
    if len(files) > settings.max_upload_files:
        raise HTTPException(413, f"{len(files)} files; at most {settings.max_upload_files} per upload")
    try:
        tag_list = validate_tags(t for raw in (tags or []) for t in raw.split(","))
        keys = validate_sources(sources, len(files))
        languages = ocr_languages_of(lang) if lang else None
    except ValueError as e:
        raise HTTPException(422, str(e)) from e
    folder = service.new_upload_folder()
    saved = []
    for i, upload_file in enumerate(files):
        path = folder / f"{i:04d}"  # a generated name: the uploaded one is only displayed
        with path.open("wb") as out:
            while chunk := await upload_file.read(CHUNK):
                out.write(chunk)
        saved.append((display_name(upload_file.filename), path, keys[i]))
    return JobOut.of(service.submit(saved, tag_list, collection, owner, languages))


def validate_sources(sources: list[str] | None, n_files: int) -> list[str | None]:
    """The replacement key of each file: none unless given, one per file, 1-1000 printable characters."""
    if not sources:
        return [None] * n_files
    if len(sources) != n_files:
        raise ValueError(f"{len(sources)} sources for {n_files} files: give one per file, in order, or none")
    for source in sources:
        if not 0 < len(source) <= 1000 or strip_control(source) != source:
            raise ValueError("a source is 1-1000 characters without control characters")
    return [f"upload:{s}" for s in sources]


@router.get("/v1/jobs/{job_id}", response_model=JobOut)
def job(service: ServiceDep, owner: OwnerDep, job_id: Annotated[str, PathParam(max_length=64)]) -> JobOut:
    """An upload's progress and each file's outcome; kept after a restart, for PAGESIGHT_JOB_RETENTION_H."""
    return JobOut.of(service.job(owner, job_id))


@router.delete("/v1/jobs/{job_id}", status_code=202, response_model=JobOut, responses={409: {"model": Problem}},
               dependencies=[AdminDep])
def cancel_job(service: ServiceDep, owner: OwnerDep, job_id: Annotated[str, PathParam(max_length=64)]) -> JobOut:
    """Cancel an upload: queued, it never starts; running, the file being read stops and nothing more is
    written (files written before stay, each whole). The job as it stands: poll it until it is done.
    409 for a job that has finished."""
    return JobOut.of(service.cancel(owner, job_id))


@router.get("/v1/documents")
def documents(sight: SightDep, tag: Annotated[list[Tag] | None, Query(max_length=32)] = None) -> list[DocumentOut]:
    """The documents of the collection; with `tag`, those carrying any of these tags."""
    return [DocumentOut.of(d) for d in sight.documents(tag)]


@router.get("/v1/documents/{ref}")
def document(sight: SightDep, ref: DocRef) -> DocumentOut:
    return DocumentOut.of(sight.document(ref))


@router.get("/v1/documents/{ref}/pages/{n}")
def page(sight: SightDep, ref: DocRef, n: PageNumber, collection: CollectionParam = None) -> PageOut:
    """A page's text, regions and size, with the URLs of its images."""
    doc = sight.document(ref)
    return PageOut.of(doc, sight.page(doc.id, n), collection if collection != sight.settings.collection else None)


@router.delete("/v1/documents/{ref}", status_code=204, dependencies=[AdminDep])
def delete(sight: SightDep, ref: DocRef) -> None:
    sight.delete(ref)


def _page_file(sight, ref: str, n: int, kind: str) -> StreamingResponse:
    """The page's image from a file opened here: a document deleted while the image is sent (its files
    unlinked) still sends it whole, and one deleted before is a 404, never a half-sent file."""
    doc = sight.document(ref)
    page = sight.page(doc.id, n)
    store = sight.store
    path = store.image_path(store.images.relative(doc.id, page.image if kind == "image" else page.thumbnail)).resolve()
    if not path.is_relative_to(store.folder.resolve()):
        raise NotFound("no image for this page")
    try:
        handle = path.open("rb")
    except (FileNotFoundError, IsADirectoryError):
        raise NotFound("no image for this page (the document was deleted)") from None
    size = os.fstat(handle.fileno()).st_size

    def body():
        with handle:
            while chunk := handle.read(CHUNK):
                yield chunk

    media = "image/png" if path.suffix == ".png" else "image/jpeg"
    return StreamingResponse(body(), media_type=media, headers={"Content-Length": str(size),
                                                                "Cache-Control": "private, max-age=3600"})


IMAGE = {200: {"content": {"image/png": {}, "image/jpeg": {}}, "description": "the image"}}


@router.get("/v1/documents/{ref}/pages/{n}/image", response_class=StreamingResponse, responses=IMAGE)
def page_image(sight: SightDep, ref: DocRef, n: PageNumber) -> StreamingResponse:
    return _page_file(sight, ref, n, "image")


@router.get("/v1/documents/{ref}/pages/{n}/thumbnail", response_class=StreamingResponse, responses=IMAGE)
def page_thumbnail(sight: SightDep, ref: DocRef, n: PageNumber) -> StreamingResponse:
    return _page_file(sight, ref, n, "thumbnail")
