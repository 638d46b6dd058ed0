"""A document as points (index/points.py), built with no engine: what a store would write, checked
before anything is."""

from datetime import datetime, timezone
from pathlib import Path

import numpy as np

from pagesight.core.types import Document, Page, Region
from pagesight.index.catalog import Known
from pagesight.index.images import PageImages
from pagesight.index.layout import IMAGE_VECTOR, PENDING, SPARSE_VECTOR, TEXT_VECTOR
from pagesight.index.points import DocumentVectors, document_points, point_id


def page(number: int, figures: int = 0) -> Page:
    regions = [Region(kind="text", box=(0, 0, 10, 10), text=f"text of page {number}")]
    regions += [Region(kind="figure", box=(0, 20, 10, 30), image=f"fig-{number}-{i}.png") for i in range(figures)]
    return Page(number=number, width=100, height=100, image_width=10, image_height=10, image=f"page-{number}.jpg",
                thumbnail=f"thumb-{number}.jpg", text=f"text of page {number}", regions=regions)


def test_a_document_s_points_say_what_each_page_holds_and_where_its_points_are():
    doc = Document(id="d1", file_name="a.pdf", source="/a.pdf", media_type="application/pdf", pages=3,
                   tags=["t"], ingested_at=datetime(2026, 1, 1, tzinfo=timezone.utc))
    one = np.ones(4, dtype=np.float32)
    passage = Region(kind="text", box=(0, 0, 10, 10), text="a passage")
    vectors = DocumentVectors(page_text={1: one, 2: one, 3: one}, page_sparse={1: ([3], [1.0])},
                              passages={1: [passage, passage], 3: [passage]},
                              passage_text={(1, 0): one, (1, 1): one},  # page 3's passage has no vector
                              figure_image={(2, 0): one})  # page 2's second figure has none
    pages = [page(1), page(2, figures=2), page(3)]
    points = document_points(doc, pages, vectors, ["old"], PageImages(Path("/c/pages")))

    first = points[0]
    assert first.payload["kind"] == "document" and first.vectors == {}
    assert first.payload["passages"] == [2, 0, 1] and first.payload["replaces"] == ["old"]
    assert {p.payload["state"] for p in points} == {PENDING}  # nothing live until the store says so
    kinds = [(p.payload["kind"], p.payload.get("page")) for p in points[1:]]
    assert kinds == [("page", 1), ("block", 1), ("block", 1), ("page", 2), ("figure", 2), ("page", 3)]
    by_id = {p.id: p for p in points}
    assert set(by_id[point_id("d1", "page", 1)].vectors) == {TEXT_VECTOR, SPARSE_VECTOR}
    assert set(by_id[point_id("d1", "figure", 2, 0)].vectors) == {IMAGE_VECTOR}
    assert by_id[point_id("d1", "page", 2)].payload["image"] == "pages/d1/page-2.jpg"
    assert len(by_id) == len(points)  # every id its own

    # The document point's passage counts name a listed page's points without reading them (catalog.py)
    known = Known()
    known.remember(first.payload)
    places = known.places((("d1", 1), ("d1", 9)), find=lambda doc_id: None)
    assert places == {point_id("d1", "page", 1): ("d1", 1), point_id("d1", "block", 1, 0): ("d1", 1),
                      point_id("d1", "block", 1, 1): ("d1", 1)}
    assert known.places((("gone", 1),), find=lambda doc_id: None) == {}  # a document no longer there
