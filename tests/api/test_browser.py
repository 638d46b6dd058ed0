"""The chat page in a real browser: Playwright driving Debian's Chromium, headless, against the app
served by uvicorn on 127.0.0.1 with API keys on. Uploads (file picker and drag and drop, with a file
that fails), a two-turn conversation whose second question only makes sense after the first, reload,
scope, the page viewer, search mode, visible errors, no sideways scrolling at 390 and 1280 px, and an
axe-core check. Screenshots are saved to .screenshots/ (PAGESIGHT_SCREENSHOTS)."""

import base64
import os
import re
import shutil
from pathlib import Path

import pytest

from pagesight.api.app import create_app
from tests import docs
from tests.api.conftest import KEY, upload, uvicorn_serving
from tests.api.test_conversations import ELLIS, ELLIS_2, MARROW, MARROW_2
from tests.conftest import make_settings

CHROMIUM = os.environ.get("PAGESIGHT_TEST_CHROMIUM", "/usr/bin/chromium")
SCREENSHOTS = Path(os.environ.get("PAGESIGHT_SCREENSHOTS", Path(__file__).resolve().parents[2] / ".screenshots"))
WIDTHS = {"desktop": (1280, 900), "phone": (390, 844)}


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


@pytest.fixture(scope="module")
def site(tmp_path_factory, report):
    """The app with keys, the report ingested beforehand (the ports are uploaded through the page)."""
    import httpx

    folder = tmp_path_factory.mktemp("site")
    settings = make_settings(folder / "data", profile="lite", api_keys=KEY)
    with uvicorn_serving(create_app(settings)) as base:
        with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {KEY}"}, timeout=120) as http:
            upload(http, ("report.pdf", report.read_bytes()))
        yield base, folder


def open_page(browser, base, size="desktop"):
    width, height = WIDTHS[size]
    page = browser.new_page(viewport={"width": width, "height": height})
    page.add_init_script(f"localStorage.setItem('pagesight-key', {KEY!r})")
    page.on("dialog", lambda dialog: dialog.accept())  # confirmations
    page.goto(base)
    page.wait_for_selector("body[data-ready=true]")
    return page


def no_sideways_scroll(page) -> None:
    width = page.evaluate("[document.documentElement.scrollWidth, document.documentElement.clientWidth]")
    assert width[0] <= width[1], f"the page is {width[0]} px wide in a {width[1]} px window"


def serious_violations(page) -> list[str]:
    from axe_playwright_python.sync_playwright import Axe

    found = Axe().run(page).response["violations"]
    return [f"{v['id']} ({v['impact']}): {[n['target'] for n in v['nodes']][:3]}" for v in found
            if v["impact"] in ("serious", "critical")]


def drop_files(page, selector: str, files: list[tuple[str, bytes]]) -> None:
    """Drag and drop, as the browser delivers it: a DataTransfer holding File objects."""
    handle = page.evaluate_handle("""(files) => {
        const transfer = new DataTransfer();
        for (const [name, data] of files) {
            const bytes = Uint8Array.from(atob(data), (c) => c.charCodeAt(0));
            transfer.items.add(new File([bytes], name, { type: "application/pdf" }));
        }
        return transfer;
    }""", [[name, base64.b64encode(data).decode()] for name, data in files])
    page.dispatch_event(selector, "drop", {"dataTransfer": handle})


def test_a_conversation_with_a_follow_up_survives_a_reload_and_pages_through(browser, site):
    from playwright.sync_api import expect

    base, folder = site
    marrow = docs.pages_pdf(folder / "port_marrow.pdf", [MARROW, MARROW_2])
    ellis = docs.pages_pdf(folder / "port_ellis.pdf", [ELLIS, ELLIS_2])
    page = open_page(browser, base)

    page.set_input_files("#files", str(marrow))  # the file picker, by keyboard
    page.focus("#upload-button")
    page.keyboard.press("Enter")
    drop_files(page, "#dropzone", [("port_ellis.pdf", ellis.read_bytes()), ("broken.pdf", b"%PDF-1.7 not really")])
    uploads = page.locator("#uploads li")
    expect(uploads.filter(has_text="port_marrow.pdf")).to_contain_text("ingested, 2 pages", timeout=120_000)
    expect(uploads.filter(has_text="port_ellis.pdf")).to_contain_text("ingested, 2 pages", timeout=120_000)
    expect(uploads.filter(has_text="broken.pdf")).to_contain_text("failed", timeout=120_000)  # its own error
    expect(page.locator("#documents")).to_contain_text("port_ellis.pdf")

    page.fill("#question", "What were the harbour dues at Port Marrow in 1820?")
    page.press("#question", "Enter")
    # the follow-up is sent at once, while the first answer is still coming: it waits its turn, not dropped
    page.fill("#question", "How many ships did the keeper count there?")  # meaningless on its own
    page.press("#question", "Enter")
    first = page.locator("#messages > li").nth(0)
    expect(first.locator(".answer")).to_contain_text("9 shillings", timeout=60_000)
    second = page.locator("#messages > li").nth(1)
    expect(second.locator(".answer")).to_contain_text("115 ships", timeout=120_000)
    expect(second.locator(".standalone")).to_contain_text("Port Marrow")
    expect(second.locator(".crops li").first).to_contain_text("port_marrow.pdf, page 2")
    crop = second.locator("[data-testid=crop]").first
    assert int(crop.get_attribute("data-boxes")) >= 1
    marker = second.locator(".answer .marker").first
    marker.focus()  # a marker lights its page's thumbnail
    expect(second.locator(".crops li.active")).to_have_count(1)
    expect(page.locator("#conversation-list")).to_contain_text("What were the harbour dues at Port Marrow")
    no_sideways_scroll(page)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "chat-desktop.png"), full_page=True)
    assert serious_violations(page) == []

    page.reload()  # the conversation is the server's: a reload shows it whole
    expect(page.locator("#messages > li")).to_have_count(2)
    expect(page.locator("#messages > li").nth(1).locator(".answer")).to_contain_text("115 ships")
    expect(page.locator("#conversation-title")).to_contain_text("harbour dues at Port Marrow")

    page.locator("#messages > li").nth(1).locator(".crops button").first.click()  # the viewer
    dialog = page.locator("#page-dialog")
    expect(dialog).to_be_visible()
    expect(page.locator("#page-dialog-title")).to_have_text("port_marrow.pdf, page 2 of 2")
    expect(dialog.locator("[data-testid=highlight]").first).to_be_visible()
    expect(page.locator("#page-next")).to_be_disabled()
    page.screenshot(path=str(SCREENSHOTS / "chat-viewer.png"))
    page.keyboard.press("ArrowLeft")
    expect(page.locator("#page-dialog-title")).to_have_text("port_marrow.pdf, page 1 of 2")
    expect(page.locator("#page-dialog img")).to_have_attribute("src", re.compile(r"^blob:"))
    assert serious_violations(page) == []
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    page.close()


def test_the_scope_limits_what_is_cited(browser, site):
    from playwright.sync_api import expect

    base, _ = site
    page = open_page(browser, base)
    expect(page.locator("#documents")).to_contain_text("port_ellis.pdf", timeout=30_000)  # the first test's upload
    page.click("#new-conversation")
    page.click("#scope-button")
    page.get_by_label(re.compile(r"^port_ellis\.pdf")).check()
    page.click("#scope-save")
    expect(page.locator("#scope-button")).to_have_text("Scope: port_ellis.pdf")
    page.fill("#question", "How many ships did the keeper count?")
    page.press("#question", "Enter")
    turn = page.locator("#messages > li").first
    expect(turn.locator(".answer")).to_contain_text("340 ships", timeout=60_000)
    expect(turn.locator(".crops li").first).to_be_visible()  # drawn when the stored message arrives
    captions = turn.locator(".crops .caption").all_inner_texts()
    assert captions and all(c.startswith("port_ellis.pdf") for c in captions), captions
    page.reload()  # the scope is the conversation's
    expect(page.locator("#scope-button")).to_have_text("Scope: port_ellis.pdf")
    page.close()


def test_search_mode_lists_the_passage_that_matched(browser, site):
    from playwright.sync_api import expect

    base, _ = site
    page = open_page(browser, base)
    page.check("#mode-search")
    page.fill("#question", "keeper counted ships")
    page.press("#question", "Enter")
    hits = page.locator("#search-results .hits li")
    expect(hits.first).to_be_visible(timeout=30_000)
    first = hits.first.locator(".snippet")
    expect(first).to_contain_text("keeper counted")  # the matching passage, not the page's first line
    expect(first.locator("mark").first).to_be_visible()
    expect(page.locator("#messages > li")).to_have_count(0)  # a search is not a message
    page.close()


@pytest.mark.parametrize("size", ["phone", "desktop"])
def test_the_layout_fits_the_screen_and_passes_axe(browser, site, size):
    from playwright.sync_api import expect

    base, _ = site
    page = open_page(browser, base, size)
    expect(page.locator("#conversation-list li").first).to_be_visible(timeout=30_000) if size == "desktop" else None
    if size == "phone":
        page.click("#menu-button")  # the sidebar opens from the header
        expect(page.locator("#conversation-list li").first).to_be_visible(timeout=30_000)
    page.locator("#conversation-list li .open").first.click()
    expect(page.locator("#messages > li").first.locator(".answer")).not_to_be_empty(timeout=30_000)
    no_sideways_scroll(page)
    header = page.locator("header.top").bounding_box()
    assert header["width"] <= WIDTHS[size][0]
    page.screenshot(path=str(SCREENSHOTS / f"chat-{size}.png"), full_page=True)
    assert serious_violations(page) == []
    page.close()


def test_failures_are_shown_not_swallowed(browser, site):
    from playwright.sync_api import expect

    base, _ = site
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.add_init_script("if (!localStorage.getItem('pagesight-key')) localStorage.setItem('pagesight-key', 'wrong')")
    page.goto(base)
    expect(page.locator("#status")).to_contain_text("API key", timeout=30_000)
    page.fill("#api-key", KEY)
    page.press("#api-key", "Tab")  # saved on change: the lists load
    expect(page.locator("#documents")).to_contain_text("report.pdf", timeout=30_000)
    page.goto(base + "#c=" + "0" * 32)  # a conversation that does not exist (or is another key's)
    expect(page.locator("#status")).to_contain_text("gone", timeout=30_000)
    page.close()
