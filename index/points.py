"""A document as the points a collection holds (layout.py says what each kind carries): built from the
document, its pages and their vectors alone, with no engine, so what is written can be checked before
anything is. The store writes them pending, then makes them live (store.py)."""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass, field

import numpy as np

from ..core.types import Document, Page, Region
from .encoders import SparseVector
from .images import PageImages
from .layout import IMAGE_VECTOR, PAGE_POOLED, PAGE_VECTOR, PENDING, SPARSE_VECTOR, TEXT_VECTOR

__all__ = ["DocumentVectors", "Point", "document_point", "document_points", "point_id"]

_ID_NAMESPACE = uuid.UUID("8a3b1d52-5f0e-4c55-9f7e-2f4d1c9b6a10")


def point_id(doc_id: str, kind: str, page: int, index: int = 0) -> str:
    """A point's id, derived from its place: the same document, kind, page and index, the same id."""
    return str(uuid.uuid5(_ID_NAMESPACE, f"{doc_id}/{kind}/{page}/{index}"))


@dataclass
class Point:
    id: str
    vectors: dict[str, np.ndarray | SparseVector]  # name -> (dim,); "page": (n_tokens, dim); "bm25": sparse
    payload: dict


@dataclass
class DocumentVectors:
    """Vectors for one document; any part may be missing when the profile lacks that encoder."""

    page_text: dict[int, np.ndarray] = field(default_factory=dict)  # page number -> (dim,)
    passages: dict[int, list[Region]] = field(default_factory=dict)  # page number -> its passages (passages.py)
    passage_text: dict[tuple[int, int], np.ndarray] = field(default_factory=dict)  # (page, passage index) -> (dim,)
    page_image: dict[int, np.ndarray] = field(default_factory=dict)  # page number -> (dim,)
    page_multi: dict[int, np.ndarray] = field(default_factory=dict)  # page number -> (n_tokens, dim)
    page_pooled: dict[int, np.ndarray] = field(default_factory=dict)  # page number -> (n_pooled, dim)
    figure_image: dict[tuple[int, int], np.ndarray] = field(default_factory=dict)  # (page, figure index) -> (dim,)
    page_sparse: dict[int, SparseVector] = field(default_factory=dict)  # page number -> BM25 (indices, values)
    passage_sparse: dict[tuple[int, int], SparseVector] = field(default_factory=dict)


def document_point(doc: Document, replaces: list[str], state: str, passages: list[int]) -> Point:
    """The document's own point: its metadata, the versions it replaces, and how many passages each of its
    pages has (page 1 first), so that the ids of a page's points are known without reading them."""
    return Point(point_id(doc.id, "document", 0), {}, {
        "kind": "document", "doc_id": doc.id, "state": state, "written_at": int(time.time()),
        "tags": doc.tags, "source": doc.source, "document": doc.model_dump(mode="json"), "replaces": replaces,
        "passages": passages,
    })


def document_points(doc: Document, pages: list[Page], vectors: DocumentVectors, replaces: list[str],
                    images: PageImages) -> list[Point]:
    """Every point of a document, pending, its own point first: a page's, each of its passages' (those
    with a vector) and each of its figures' (those with an image vector). `images` names the paths the
    payloads hold."""
    base = {"doc_id": doc.id, "state": PENDING, "written_at": int(time.time())}
    passages = [0] * max((p.number for p in pages), default=0)
    for number, found in vectors.passages.items():
        passages[number - 1] = len(found)
    points = [document_point(doc, replaces, PENDING, passages)]
    for page in pages:
        image = images.relative(doc.id, page.image)
        named = {name: found[page.number] for name, found in (
            (TEXT_VECTOR, vectors.page_text), (IMAGE_VECTOR, vectors.page_image), (PAGE_VECTOR, vectors.page_multi),
            (PAGE_POOLED, vectors.page_pooled), (SPARSE_VECTOR, vectors.page_sparse)) if page.number in found}
        points.append(Point(point_id(doc.id, "page", page.number), named, {
            **base, "kind": "page", "page": page.number, "text": page.text, "image": image,
            "thumbnail": images.relative(doc.id, page.thumbnail), "text_source": page.text_source,
            "page_data": page.model_dump(mode="json"),
        }))
        for i, block in enumerate(vectors.passages.get(page.number, [])):
            key = (page.number, i)
            named = {name: found[key] for name, found in ((TEXT_VECTOR, vectors.passage_text),
                                                           (SPARSE_VECTOR, vectors.passage_sparse)) if key in found}
            if named:
                points.append(Point(point_id(doc.id, "block", page.number, i), named, {
                    **base, "kind": "block", "page": page.number, "text": block.text, "image": image,
                    "region": block.model_dump(mode="json"),
                }))
        for i, figure in enumerate(page.figures):
            if (page.number, i) in vectors.figure_image:
                points.append(Point(point_id(doc.id, "figure", page.number, i),
                                    {IMAGE_VECTOR: vectors.figure_image[(page.number, i)]}, {
                    **base, "kind": "figure", "page": page.number, "image": image,
                    "crop": images.relative(doc.id, figure.image or ""),
                    "region": figure.model_dump(mode="json"),
                }))
    return points
