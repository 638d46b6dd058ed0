"""The chat page, cold: how long it takes to be usable and how many bytes it moves, in Chromium.

    python bench/page.py [--data DATA_DIR] [--runs 5] [--out bench/results/page.json]

A server runs over DATA_DIR (lite; a fresh folder with one sample document by default) with one
conversation of two exchanges. Each run is a new browser context (empty cache, as a first visit) that
opens the page at that conversation and waits until the page says it is ready (documents, the
conversation list and the conversation loaded: body[data-ready]). Reported: the time from navigation
to ready (median of the runs), DOMContentLoaded, and the bytes transferred (the page, its script and
style, the API calls; the cited page images the conversation shows are counted apart).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).parent))
from common import machine as machine_name  # noqa: E402
from common import serve, write_results

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = os.environ.get("PAGESIGHT_TEST_CHROMIUM", "/usr/bin/chromium")


def prepare(base: str) -> str:
    """One conversation with two exchanges (a sample document ingested when the collection is empty)."""
    with httpx.Client(base_url=base, timeout=300) as http:
        if not http.get("/v1/documents").json():
            from pagesight.api.cli.sample import write_sample_pdf

            sample = Path(tempfile.mkdtemp()) / "sample.pdf"
            write_sample_pdf(sample)
            job = http.post("/v1/documents", files=[("files", ("sample.pdf", sample.read_bytes()))]).json()
            while http.get(f"/v1/jobs/{job['id']}").json()["status"] != "done":
                time.sleep(0.5)
        conversation = http.post("/v1/conversations", json={}).json()
        for question in ("When was the telegraph cable laid across the Atlantic?", "And who financed it?"):
            http.post(f"/v1/conversations/{conversation['id']}/messages", json={"question": question})
        return conversation["id"]


def measure(browser, url: str) -> dict:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    images = {"n": 0, "bytes": 0}

    def count(response) -> None:
        if "/pages/" in response.url:
            images["n"] += 1
            # The body of an image the page fetched as a blob is not always kept by the browser: the
            # length it was sent with, then.
            images["bytes"] += int(response.headers.get("content-length") or 0) or len(response.body())

    page.on("response", count)
    started = time.perf_counter()
    page.goto(url)
    page.wait_for_selector("body[data-ready=true]", timeout=120_000)
    ready_ms = 1000 * (time.perf_counter() - started)
    timing = page.evaluate("""() => {
        const nav = performance.getEntriesByType("navigation")[0];
        const resources = performance.getEntriesByType("resource");
        const all = [nav, ...resources];
        return {dom_ms: nav.domContentLoadedEventEnd,
                bytes: all.filter((e) => !e.name.includes("/pages/")).reduce((n, e) => n + e.transferSize, 0),
                requests: all.filter((e) => !e.name.includes("/pages/")).length};
    }""")
    page.wait_for_load_state("networkidle")
    context.close()
    return {"ready_ms": ready_ms, **timing, "image_requests": images["n"], "image_bytes": images["bytes"]}


def main() -> None:
    from playwright.sync_api import sync_playwright

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=None)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "page.json")
    args = parser.parse_args()
    data = args.data or Path(tempfile.mkdtemp(prefix="pagesight-page-"))
    process, base = serve(data)
    try:
        conversation = prepare(base)
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=["--no-sandbox"])
            runs = [measure(browser, f"{base}/#c={conversation}") for _ in range(args.runs)]
            browser.close()
    finally:
        process.terminate()
        process.wait(timeout=30)
    machine = machine_name("headless Chromium")
    summary = {key: statistics.median(r[key] for r in runs)
               for key in ("ready_ms", "dom_ms", "bytes", "requests", "image_requests", "image_bytes")}
    print(f"\nThe chat page, cold, median of {len(runs)} runs ({machine})")
    print(f"{'ready':>8} {'DOMContentLoaded':>17} {'KB moved':>9} {'requests':>9} {'page images':>12} {'image KB':>9}")
    print(f"{summary['ready_ms']:>6.0f}ms {summary['dom_ms']:>15.0f}ms {summary['bytes'] / 1024:>9.1f} "
          f"{summary['requests']:>9.0f} {summary['image_requests']:>12.0f} {summary['image_bytes'] / 1024:>9.1f}")
    write_results(args.out, machine, {"summary": summary, "runs": runs})


if __name__ == "__main__":
    main()
