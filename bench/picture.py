"""Pictures as questions (issue 36): does a screenshot or a phone photo of a page find that page, and is a
picture of nothing in the collection said to be so?

    python bench/picture.py --set financebench=DATA_DIR --set officeqa=DATA_DIR --set mmlongbench=DATA_DIR \
        [--per-kind 6] [--negatives 30] [--out bench/results/picture.json]

The set is made here, from each dev set's own collection (its stored page images and the boxes of their
text blocks and figures), with a fixed seed, and is the same on every run:
- kinds: a paragraph (a text block of 25 words or more), a table (a block of three rows or more, as
  extraction writes rows: " | "-joined), a chart or figure with its caption (the figure's box joined with
  the nearest text block above or below it), the same figure without its caption (reported, not a target),
  and the whole page (pages with 20 words or more);
- each as a clean screenshot (the crop at a screen's 96 dpi) and as a phone photo (at the stored 144 dpi:
  turned 2-4 degrees, a slight perspective, blurred, darker toward one side, JPEG at quality 50);
- 30 pictures of nothing in the collections: pages and crops of the shared corpus's PDFs (documents no dev
  set holds) rendered the same ways, and drawn pictures with no document in them (shapes, noise, bars
  without labels, a photo-like gradient) or with made-up sentences. Each is asked of one collection in turn.
Gold = the source page. Every picture is read as a user's is (`PageSight.read_picture`: OCR in a worker,
lite) and searched by `PageSight.search_picture` several ways (VARIANTS), with the abstention bar at 0, so
that the share of the picture's words on the best page (`held`) is recorded for each. The way and the bar
(PAGESIGHT_PICTURE_MIN_HELD) are chosen together on half of the pictures (a page's two renderings fall in
the same half; the negatives alternate), the pair maximising the mean of R@1-and-kept and abstention, and
reported on the other half.
"""

from __future__ import annotations

import argparse
import io
import os
import random
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from common import chosen_on_tune, write_results  # noqa: E402
from common import machine as machine_name  # noqa: E402  (bench/ is the script's folder)

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("HF_HUB_OFFLINE", "1")

import numpy as np  # noqa: E402
from PIL import Image, ImageDraw, ImageFilter, ImageFont  # noqa: E402

from pagesight.api.pagesight import PageSight  # noqa: E402
from pagesight.core.settings import Settings  # noqa: E402
from pagesight.retrieve.metrics import mean, percentile  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT.parent / "shared" / "corpus"
DEVSET = ROOT.parent / "shared" / "devset"
PHOTO_DPI = 300  # a phone's 12 megapixels over a letter page; closer for a part of one
KINDS = ("paragraph", "table", "figure+caption", "figure alone", "whole page")
RENDERINGS = ("clean", "photo")
SEED = 36
FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"


@dataclass
class Query:
    collection: str  # the dev set asked
    kind: str
    rendering: str
    image: bytes
    gold: tuple[str, int] | None  # (doc_id, page); None: a picture of nothing here
    source: int = 0  # the page or part it shows (its clean and photo renderings share it)


# ---- renderings ---------------------------------------------------------------------------------

def jpeg(img: Image.Image, quality: int = 90) -> bytes:
    buf = io.BytesIO()
    img.convert("RGB").save(buf, "JPEG", quality=quality)
    return buf.getvalue()


def png(img: Image.Image) -> bytes:
    buf = io.BytesIO()
    img.save(buf, "PNG")
    return buf.getvalue()


def photo(img: Image.Image, rng: random.Random) -> bytes:
    """A phone's picture of it (rendered at PHOTO_DPI): a slight perspective, turned 2-4 degrees, blurred
    (1-2 px), darker toward one side (by up to a third), JPEG at quality 50, on a grey table showing at its
    edges."""
    w, h = img.size
    pad = round(0.06 * max(w, h))
    canvas = Image.new("RGB", (w + 2 * pad, h + 2 * pad), (120, 115, 105))
    canvas.paste(img.convert("RGB"), (pad, pad))
    cw, ch = canvas.size
    d = 0.03 * min(cw, ch)
    quad = [rng.uniform(0, d), rng.uniform(0, d), rng.uniform(0, d), ch - rng.uniform(0, d),
            cw - rng.uniform(0, d), ch - rng.uniform(0, d), cw - rng.uniform(0, d), rng.uniform(0, d)]
    warped = canvas.transform(canvas.size, Image.Transform.QUAD, quad, Image.Resampling.BILINEAR)
    turned = warped.rotate(rng.choice((-1, 1)) * rng.uniform(2, 4), expand=True, fillcolor=(120, 115, 105),
                           resample=Image.Resampling.BILINEAR)
    blurred = turned.filter(ImageFilter.GaussianBlur(rng.uniform(1.0, 2.0)))
    light = np.linspace(1.0, rng.uniform(0.67, 0.8), blurred.width, dtype=np.float32)
    if rng.random() < 0.5:
        light = light[::-1]
    lit = np.asarray(blurred, dtype=np.float32) * light[None, :, None]
    return jpeg(Image.fromarray(np.clip(lit, 0, 255).astype(np.uint8)), quality=50)


# ---- the set ------------------------------------------------------------------------------------

def _union(a, b):
    return min(a[0], b[0]), min(a[1], b[1]), max(a[2], b[2]), max(a[3], b[3])


def _caption(page, figure):
    """The text block nearest above or below a figure, overlapping it across, within 60 pt."""
    best, gap = None, 60.0
    for block in page.blocks:
        across = min(block.box[2], figure.box[2]) - max(block.box[0], figure.box[0])
        if across <= 0 or len(block.text.split()) < 3:
            continue
        distance = max(block.box[1] - figure.box[3], figure.box[1] - block.box[3])
        if 0 <= distance < gap:
            best, gap = block, distance
    return best


def candidates(sight: PageSight) -> dict[str, list[tuple]]:
    """Every (doc_id, page number, box or None) of each kind in the collection."""
    found = {kind: [] for kind in KINDS}
    for doc in sight.documents():
        for page in sight.store.pages(doc.id):
            if len(page.text.split()) >= 20:
                found["whole page"].append((doc.id, page.number, None))
            for block in page.blocks:
                rows = [ln for ln in block.text.splitlines() if " | " in ln]
                if len(rows) >= 3:
                    found["table"].append((doc.id, page.number, block.box))
                elif len(block.text.split()) >= 25:
                    found["paragraph"].append((doc.id, page.number, block.box))
            for figure in page.figures:
                width, height = figure.box[2] - figure.box[0], figure.box[3] - figure.box[1]
                if width * height < 0.04 * page.width * page.height:
                    continue  # a logo or an icon: not a chart one would photograph
                found["figure alone"].append((doc.id, page.number, figure.box))
                if (caption := _caption(page, figure)) is not None:
                    found["figure+caption"].append((doc.id, page.number, _union(figure.box, caption.box)))
    return found


def sources() -> dict[str, Path]:
    """The dev sets' PDFs by file name: pictures are rendered from them, as a screen or a camera sees them."""
    return {path.name: path for path in sorted(DEVSET.glob("*/*/**/*.pdf"))}


def shot(path: Path, number: int, box, dpi: float) -> Image.Image:
    """Page `number` of the PDF at `dpi`, or the part of it in `box` (page points, with a little margin)."""
    import pymupdf

    with pymupdf.open(path) as doc:
        page = doc[number - 1]
        clip = None
        if box is not None:
            clip = pymupdf.Rect(box[0] - 6, box[1] - 6, box[2] + 6, box[3] + 6) & page.rect
        pix = page.get_pixmap(dpi=dpi, clip=clip)
    return Image.frombytes("RGB", (pix.width, pix.height), pix.samples)


def positives(name: str, sight: PageSight, per_kind: int, rng: random.Random, pdfs: dict[str, Path]) -> list[Query]:
    queries = []
    names = {doc.id: doc.file_name for doc in sight.documents()}
    for kind, found in candidates(sight).items():
        found = [c for c in found if names[c[0]] in pdfs]
        for doc_id, number, box in rng.sample(found, min(per_kind, len(found))):
            path = pdfs[names[doc_id]]
            queries.append(Query(name, kind, "clean", png(shot(path, number, box, 96)), (doc_id, number)))
            queries.append(Query(name, kind, "photo", photo(shot(path, number, box, PHOTO_DPI), rng), (doc_id, number)))
    return queries


SENTENCES = ["The garden committee met on Tuesday to plan the spring planting of tulips along the river path.",
             "Our bakery opens at seven; sourdough loaves are baked twice a day and sold until they run out.",
             "Volunteers repaired twelve bicycles at the community workshop and donated them to the school.",
             "The choir will rehearse the winter programme in the chapel every Thursday evening this month.",
             "Hikers should carry water and a map: the northern trail climbs steeply after the wooden bridge."]


def negatives(count: int, names: list[str], rng: random.Random) -> list[Query]:
    """Pictures of nothing in the collections: half from the corpus's PDFs, half drawn."""
    import pymupdf

    queries: list[Query] = []
    pdfs = sorted(p for p in CORPUS.glob("*.pdf") if p.stat().st_size < 20 * 2**20)
    pages = []
    for path in pdfs:
        try:
            with pymupdf.open(path) as doc:
                if doc.needs_pass or doc.page_count == 0:
                    continue
                page = doc[rng.randrange(doc.page_count)]
                if len(page.get_text().split()) < 30:
                    continue
                pages.append((path, page.number + 1))
        except Exception:  # a hostile file of the corpus: not a page to photograph
            continue
    rng.shuffle(pages)
    for i, (path, number) in enumerate(pages[:count // 2]):
        rendering = "photo" if i % 2 else "clean"
        img = shot(path, number, None, PHOTO_DPI if rendering == "photo" else 96)
        if i % 3 == 1:  # a paragraph's worth: the top third
            img = img.crop((0, 0, img.width, img.height // 3))
        data = photo(img, rng) if rendering == "photo" else png(img)
        queries.append(Query(names[i % len(names)], "corpus page", rendering, data, None))
    drawn = []
    for i in range(count - len(queries)):
        img = Image.new("RGB", (800, 600), tuple(rng.randrange(256) for _ in range(3)))
        draw = ImageDraw.Draw(img)
        kind = i % 4
        if kind == 0:  # shapes: a "photo"
            for _ in range(8):
                x, y = rng.randrange(700), rng.randrange(500)
                draw.ellipse((x, y, x + rng.randrange(40, 200), y + rng.randrange(40, 200)),
                             fill=tuple(rng.randrange(256) for _ in range(3)))
        elif kind == 1:  # noise
            img = Image.fromarray(np.random.default_rng(rng.randrange(2**31)).integers(0, 256, (600, 800, 3),
                                                                                        dtype=np.uint8))
        elif kind == 2:  # bars without labels
            img = Image.new("RGB", (800, 600), "white")
            draw = ImageDraw.Draw(img)
            for b in range(6):
                top = rng.randrange(100, 500)
                draw.rectangle((80 + b * 110, top, 160 + b * 110, 540), fill=(40, 90, 170))
            draw.line((60, 540, 760, 540), fill="black", width=3)
        else:  # made-up sentences, as a page of a document not here
            img = Image.new("RGB", (900, 400), "white")
            draw = ImageDraw.Draw(img)
            font = ImageFont.truetype(FONT, 20) if Path(FONT).exists() else ImageFont.load_default()
            for n, sentence in enumerate(rng.sample(SENTENCES, 3)):
                draw.text((30, 40 + 110 * n), sentence[:70], fill="black", font=font)
                draw.text((30, 70 + 110 * n), sentence[70:], fill="black", font=font)
        rendering = "photo" if i % 2 else "clean"
        data = photo(img, rng) if rendering == "photo" else png(img)
        drawn.append(Query(names[i % len(names)], "drawn", rendering, data, None))
    return queries + drawn


# ---- the run ------------------------------------------------------------------------------------

# How a picture's words are searched: the default fusion (BM25 ranking the dense channels' candidates), the
# fusion with BM25 over the whole collection, and BM25 alone; each with the pages found in that order, or
# the first 20 ranked by the share of the picture's words each holds. Each picture is read once and
# searched each way.
LITE = ["text", "bm25"]
VARIANTS = {"fused": ({"picture_rerank_depth": 1}, LITE),
            "fused, bm25 over all": ({"bm25_scope": "collection", "picture_rerank_depth": 1}, LITE),
            "bm25 alone": ({"picture_rerank_depth": 1}, ["bm25"]),
            "fused, by words held": ({}, LITE),
            "fused, bm25 over all, by words held": ({"bm25_scope": "collection"}, LITE),
            "bm25 alone, by words held": ({}, ["bm25"])}  # the default (PAGESIGHT_PICTURE_WORD_CHANNELS=bm25)


def ask(sights: dict[str, PageSight], queries: list[Query]) -> list[dict]:
    rows = []
    for n, q in enumerate(queries, 1):
        sight = sights[q.collection]
        read = sight.read_picture(q.image)
        row = {"source": q.source, "set": q.collection, "kind": q.kind, "rendering": q.rendering,
               "gold": q.gold is not None, "read_s": round(read.seconds, 3)}
        base = sight.settings
        for variant, (changes, channels) in VARIANTS.items():
            sight.settings = base.model_copy(update=changes)
            started = time.perf_counter()
            result = sight.search_picture(read, k=5, channels=channels)
            pages = [(h.doc_id, h.page) for h in result.hits]
            row[variant] = {"rank": pages.index(q.gold) + 1 if q.gold in pages else None,
                            "held": round(result.picture.held, 3), "search_s": round(time.perf_counter() - started, 3)}
        sight.settings = base
        row["words"] = result.picture.words
        rows.append(row)
        if n % 20 == 0:
            print(f"  {n}/{len(queries)}", file=sys.stderr)
    return rows


def scores(rows: list[dict], bar: float, variant: str) -> dict:
    """R@1 and R@5 of the pictures of pages (a page counts when it is found and the picture kept: held >=
    bar), and the share of the pictures of nothing abstained (held < bar, or no words)."""
    pos = [r for r in rows if r["gold"]]
    neg = [r for r in rows if not r["gold"]]
    kept = [r[variant]["held"] >= bar and r["words"] >= 3 for r in pos]
    return {"queries": len(pos), "r1": mean([k and r[variant]["rank"] == 1 for k, r in zip(kept, pos, strict=True)]),
            "r5": mean([k and r[variant]["rank"] is not None for k, r in zip(kept, pos, strict=True)]),
            "negatives": len(neg),
            "abstained": mean([r[variant]["held"] < bar or r["words"] < 3 for r in neg])}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--set", action="append", required=True, help="NAME=DATA_DIR (a lite collection)")
    parser.add_argument("--per-kind", type=int, default=6, help="sources of each kind, each set")
    parser.add_argument("--negatives", type=int, default=30)
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "picture.json")
    args = parser.parse_args()
    rng = random.Random(SEED)
    pdfs = sources()
    sights, queries = {}, []
    for spec in args.set:
        name, data = spec.split("=", 1)
        sights[name] = PageSight(settings=Settings(_env_file=None, data_dir=Path(data), profile="lite",
                                                   picture_min_held=0.0))
        queries += positives(name, sights[name], args.per_kind, rng, pdfs)
    queries += negatives(args.negatives, list(sights), rng)
    for n, q in enumerate(queries):
        q.source = n // 2 if q.gold is not None else n  # a page's two renderings fall in the same half
    print(f"{sum(q.gold is not None for q in queries)} pictures of pages, {sum(q.gold is None for q in queries)} "
          "of nothing here", file=sys.stderr)
    try:
        rows = ask(sights, queries)
    finally:
        for sight in sights.values():
            sight.close()

    split = {"tune": [r for r in rows if r["source"] % 2 == 0], "test": [r for r in rows if r["source"] % 2 == 1],
             "all": rows}
    bars = [round(0.05 * i, 2) for i in range(0, 17)]

    def balanced(choice: tuple[str, float]) -> float:  # pages found and kept, and pictures of nothing refused
        s = scores(split["tune"], choice[1], choice[0])
        return round((s["r1"] + s["abstained"]) / 2, 4)

    (variant, bar), tied = chosen_on_tune([(v, b) for v in VARIANTS for b in bars], balanced)
    by = {}
    for kind in KINDS:
        for rendering in RENDERINGS:
            chosen = [r for r in split["test"] if r["kind"] == kind and r["rendering"] == rendering]
            if chosen:
                by[f"{kind}, {rendering}"] = scores(chosen, bar, variant)
    test_negatives = [r for r in split["test"] if not r["gold"]]
    figures = {
        "variant": variant, "bar": bar, "tied": [list(t) for t in tied],
        "variants_on_test": {v: scores(split["test"], max((b for b in bars), key=lambda b, v=v: balanced((v, b))), v)
                             for v in VARIANTS},
        "tune": scores(split["tune"], bar, variant), "test": scores(split["test"], bar, variant),
        "all": scores(split["all"], bar, variant), "test_by_kind": by,
        "test_negatives": {kind: mean([r[variant]["held"] < bar or r["words"] < 3 for r in test_negatives
                                       if r["kind"] == kind]) for kind in ("corpus page", "drawn")},
        "read_s": {"p50": percentile([r["read_s"] for r in rows], 50),
                   "p95": percentile([r["read_s"] for r in rows], 95)},
        "search_s": {"p50": percentile([r[variant]["search_s"] for r in rows], 50),
                     "p95": percentile([r[variant]["search_s"] for r in rows], 95)},
        "rows": rows,
    }
    machine = machine_name("lite")
    print(f"\nPictures as questions ({machine}): searched by '{variant}', the bar {bar} (both chosen on tune); "
          "reported on test")
    print(f"{'kind, rendering':<28} {'queries':>7} {'R@1':>6} {'R@5':>6}")
    for label, s in by.items():
        print(f"{label:<28} {s['queries']:>7} {s['r1']:>6.3f} {s['r5']:>6.3f}")
    t = figures["test"]
    print(f"{'all pictures of pages':<28} {t['queries']:>7} {t['r1']:>6.3f} {t['r5']:>6.3f}")
    print(f"pictures of nothing here: {t['negatives']}, abstained {t['abstained']:.3f} (corpus pages "
          f"{figures['test_negatives']['corpus page']:.3f}, drawn {figures['test_negatives']['drawn']:.3f})")
    for v, s in figures["variants_on_test"].items():
        print(f"  searched by {v!r}: R@1 {s['r1']:.3f}, R@5 {s['r5']:.3f}, abstained {s['abstained']:.3f}")
    print(f"reading a picture p50 {figures['read_s']['p50']:.2f} s, p95 {figures['read_s']['p95']:.2f} s; "
          f"searching its words p50 {figures['search_s']['p50']:.2f} s")
    write_results(args.out, machine, figures)


if __name__ == "__main__":
    main()
