"""The French test documents: the two articles of `../shared/devset/french/` rendered into PDFs, born
digital and as scans, the same way on every run.

    python bench/render_fr.py OUT_DIR        # writes the four PDFs and prints their pages

The articles are text files (light Markdown: `#` headings, `**bold**` lines, `*`/`-` lists, `|` tables,
`[text](url)` links). Each becomes an A4 PDF set in 11-point type by MuPDF's Story; then each page of it
is rasterised at 150 dpi in grey, turned half a degree, given a fixed grain (seeded noise) and saved as
an image-only PDF, which is what a scanner hands over. Nothing random is left: the same MuPDF gives the
same pages, and the question set finds its gold pages by text anchors, not by page numbers, so a
different MuPDF that breaks lines elsewhere still finds them.

Never commit the PDFs: the articles belong to `../shared`, and they are built where they are used.
"""

from __future__ import annotations

import html
import io
import re
import sys
from pathlib import Path

import numpy as np
import pymupdf
from PIL import Image

ARTICLES = ("vlm-explainer.fr", "vlm-landscape.fr")
A4 = pymupdf.paper_rect("a4")
MARGIN = 56
SCAN_DPI = 150
CSS = """
body { font-family: serif; font-size: 11pt; line-height: 1.3; }
h1 { font-size: 17pt; margin: 0 0 8pt 0; }
h2 { font-size: 13.5pt; margin: 10pt 0 4pt 0; }
p { margin: 0 0 6pt 0; text-align: justify; }
li { margin: 0 0 2pt 0; }
table { border-collapse: collapse; margin: 4pt 0 8pt 0; }
td, th { border: 0.5pt solid #444; padding: 2pt 4pt; font-size: 10pt; }
"""
_LINK = re.compile(r"\[([^\]]*)\]\(([^)]*)\)")
_BOLD = re.compile(r"\*\*(.+?)\*\*")


def _inline(text: str) -> str:
    text = html.escape(text.strip(), quote=False)
    text = _LINK.sub(lambda m: m.group(1) if m.group(1) != m.group(2) else m.group(1), text)
    return _BOLD.sub(r"<b>\1</b>", text)


def _is_heading(line: str, following: str) -> bool:
    """A short line that ends no sentence, followed by prose: the explainer's section titles."""
    if len(line) > 70 or line.endswith((".", ":", ";", ",")) or line.startswith(("-", "*", "|")):
        return False
    return bool(following) and not following.startswith("|")


def article_html(text: str) -> str:
    """The article's light Markdown as the HTML a Story lays out."""
    lines = [line.rstrip() for line in text.splitlines()]
    out: list[str] = []
    items: list[str] = []
    rows: list[list[str]] = []

    def flush() -> None:
        if items:
            out.append("<ul>" + "".join(f"<li>{item}</li>" for item in items) + "</ul>")
            items.clear()
        if rows:
            head, *body = rows
            cells = "".join(f"<th>{cell}</th>" for cell in head)
            table = [f"<tr>{cells}</tr>"] + ["<tr>" + "".join(f"<td>{c}</td>" for c in row) + "</tr>" for row in body]
            out.append("<table>" + "".join(table) + "</table>")
            rows.clear()

    for i, line in enumerate(lines):
        stripped = line.strip()
        following = next((x.strip() for x in lines[i + 1:] if x.strip()), "")
        if not stripped:
            flush()
            continue
        if stripped.startswith("|"):
            if items:
                flush()
            cells = [cell.strip() for cell in stripped.strip("|").split("|")]
            if not all(set(cell) <= set("-: ") for cell in cells):
                rows.append([_inline(cell) for cell in cells])
            continue
        if rows:
            flush()
        if stripped.startswith(("* ", "- ")):
            items.append(_inline(stripped[2:]))
            continue
        flush()
        if stripped.startswith("# "):
            out.append(f"<h1>{_inline(stripped[2:])}</h1>")
        elif stripped.startswith("## "):
            out.append(f"<h2>{_inline(stripped[3:])}</h2>")
        elif i == 0:
            out.append(f"<h1>{_inline(stripped)}</h1>")
        elif _is_heading(stripped, following):
            out.append(f"<h2>{_inline(stripped)}</h2>")
        else:
            out.append(f"<p>{_inline(stripped)}</p>")
    flush()
    return "<body>" + "".join(out) + "</body>"


def born_digital(text: str, path: Path) -> int:
    """The article as a PDF with a text layer; its page count."""
    story = pymupdf.Story(html=article_html(text), user_css=CSS)
    writer = pymupdf.DocumentWriter(str(path))
    where = A4 + (MARGIN, MARGIN, -MARGIN, -MARGIN)
    more = True
    pages = 0
    while more:
        device = writer.begin_page(A4)
        more, _ = story.place(where)
        story.draw(device)
        writer.end_page()
        pages += 1
    writer.close()
    return pages


def scanned(source: Path, path: Path, seed: int = 7) -> int:
    """Every page of `source` as a grey image a little askew, with grain; no text layer."""
    rng = np.random.default_rng(seed)
    out = pymupdf.open()
    with pymupdf.open(source) as doc:
        for page in doc:
            pix = page.get_pixmap(dpi=SCAN_DPI, colorspace=pymupdf.csGRAY)
            image = Image.frombytes("L", (pix.width, pix.height), pix.samples)
            image = image.rotate(0.5, resample=Image.Resampling.BILINEAR, fillcolor=255)
            grain = rng.normal(0.0, 9.0, size=(image.height, image.width))
            pixels = np.clip(np.asarray(image, dtype=np.float32) + grain, 0, 255).astype(np.uint8)
            buffer = io.BytesIO()
            Image.fromarray(pixels).save(buffer, format="PNG", optimize=True)
            target = out.new_page(width=page.rect.width, height=page.rect.height)
            target.insert_image(target.rect, stream=buffer.getvalue())
    out.save(path, garbage=3, deflate=True)
    return len(out)


def render(source_dir: Path, out_dir: Path) -> dict[str, Path]:
    """Both articles, born digital (`NAME.pdf`) and scanned (`NAME.scan.pdf`); the paths by file name."""
    out_dir.mkdir(parents=True, exist_ok=True)
    made: dict[str, Path] = {}
    for name in ARTICLES:
        text = (source_dir / f"{name}.txt").read_text(encoding="utf-8")
        digital = out_dir / f"{name}.pdf"
        scan = out_dir / f"{name}.scan.pdf"
        born_digital(text, digital)
        scanned(digital, scan)
        made[digital.name] = digital
        made[scan.name] = scan
    return made


def page_texts(path: Path) -> list[str]:
    """The text of each page, whitespace folded (what anchors are found in)."""
    with pymupdf.open(path) as doc:
        return [" ".join(page.get_text().split()) for page in doc]


def main() -> int:
    out = Path(sys.argv[1] if len(sys.argv) > 1 else "/tmp/pagesight-french")
    source = Path(__file__).resolve().parents[2] / "shared" / "devset" / "french"
    for name, path in render(source, out).items():
        if name.endswith(".scan.pdf"):
            continue
        for number, text in enumerate(page_texts(path), 1):
            print(f"=== {name} p{number}: {text[:4000]}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
