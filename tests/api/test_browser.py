"""The chat page in a real browser: Playwright driving Debian's Chromium, headless, against the
app served on 127.0.0.1. Upload a generated PDF, ask, watch the streamed answer and a cited
thumbnail with its highlight, open the page large, delete the document; a screenshot is saved."""

import os
import re
import shutil
from pathlib import Path

import pytest

from tests import docs
from tests.api.conftest import KEY

CHROMIUM = os.environ.get("PAGESIGHT_TEST_CHROMIUM", "/usr/bin/chromium")
SCREENSHOTS = Path(os.environ.get("PAGESIGHT_SCREENSHOTS", Path(__file__).resolve().parents[2] / ".screenshots"))


@pytest.fixture(scope="module")
def browser():
    if not Path(CHROMIUM).exists() and not shutil.which(CHROMIUM):
        pytest.skip(f"no Chromium at {CHROMIUM} (apt-get install chromium; `make test` does)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        # --no-sandbox: CI containers run as root, where Chromium's sandbox refuses to start
        launched = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=["--no-sandbox"])
        yield launched
        launched.close()


def test_upload_ask_see_the_cited_region_and_delete(browser, served, tmp_path):
    from playwright.sync_api import expect

    base, _ = served
    pdf = docs.simple_pdf(tmp_path / "harbour.pdf", ["Harbour log", "The harbour dues rose to 12 shillings in 1820."])
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.on("dialog", lambda dialog: dialog.accept())  # the delete confirmation
    page.goto(base)

    page.fill("#api-key", KEY)
    page.press("#api-key", "Tab")  # keyboard only: the key is saved on change
    page.set_input_files("#files", str(pdf))
    page.focus("#upload-button")
    page.keyboard.press("Enter")
    expect(page.locator("#jobs .job").first).to_contain_text("Done", timeout=120_000)
    expect(page.locator("#documents tbody")).to_contain_text("harbour.pdf")

    page.fill("#question", "What were the harbour dues in 1820?")
    page.press("#question", "Enter")
    expect(page.locator("#answer")).to_contain_text("12 shillings", timeout=60_000)
    citation = page.locator("#citations .citation").first
    expect(citation).to_contain_text("harbour.pdf, page 1")
    expect(citation.locator("img")).to_have_attribute("src", re.compile(r"^blob:"))  # fetched with the key
    highlight = citation.locator("[data-testid=highlight]")
    expect(highlight).to_be_visible()
    frame, mark = citation.locator(".page-frame").bounding_box(), highlight.bounding_box()
    assert frame["x"] <= mark["x"] and mark["x"] + mark["width"] <= frame["x"] + frame["width"] + 1
    assert mark["y"] - frame["y"] < frame["height"] * 0.3  # the cited line is near the top of the page

    citation.locator("button").focus()
    page.keyboard.press("Enter")
    expect(page.locator("#page-dialog")).to_be_visible()
    expect(page.locator("#page-dialog [data-testid=highlight]")).to_be_visible()
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "chat-page-open.png"))
    page.keyboard.press("Escape")
    expect(page.locator("#page-dialog")).to_be_hidden()
    page.screenshot(path=str(SCREENSHOTS / "chat.png"), full_page=True)

    row = page.locator("#documents tbody tr", has_text="harbour.pdf")
    row.get_by_role("button", name="Delete harbour.pdf").click()
    expect(page.locator("#documents tbody")).not_to_contain_text("harbour.pdf")
    expect(page.locator("#documents tbody")).to_contain_text("report.pdf")  # the other document stays
