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

from pagesight.api.server.app import create_app
from tests import docs
from tests.api.conftest import KEY, upload, uvicorn_serving
from tests.api.test_conversations import ELLIS, ELLIS_2, MARROW, MARROW_2
from tests.conftest import make_settings

pytestmark = pytest.mark.e2e  # Chromium and a uvicorn server

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
def served_app(tmp_path_factory, report):
    """The app with keys, the report ingested beforehand (the ports are uploaded through the page); (base
    URL, its folder, the app)."""
    import httpx

    folder = tmp_path_factory.mktemp("site")
    settings = make_settings(folder / "data", profile="lite", api_keys=KEY)
    app = create_app(settings)
    with uvicorn_serving(app) as base:
        with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {KEY}"}, timeout=120) as http:
            upload(http, ("report.pdf", report.read_bytes()))
        yield base, folder, app


@pytest.fixture(scope="module")
def site(served_app):
    base, folder, _ = served_app
    return base, folder


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
    page.fill("#question", "What does the report say on page 9?")  # it has 6 pages
    page.press("#question", "Enter")
    expect(page.locator("#search-results .absent")).to_have_text(
        "Not in these documents: page 9 (report.pdf has 6). The pages below are only the nearest to the words.",
        timeout=30_000)
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



# ---- the everyday loop, in the page -------------------------------------------------------------------

def api(base: str):
    import httpx

    return httpx.Client(base_url=base, headers={"Authorization": f"Bearer {KEY}"}, timeout=120)


def test_waiting_for_an_answer_shows_progress_and_stop_and_a_failed_first_question_leaves_nothing(browser, site):
    """While an answer is awaited the page says so and offers Stop; stopping (or a failure of) a new
    conversation's first question leaves no empty conversation behind, and the question is kept to send again."""
    from playwright.sync_api import expect

    base, _ = site
    page = open_page(browser, base)
    held = []
    page.route(re.compile(r".*/v1/conversations/[0-9a-f]{32}/messages$"), lambda route: held.append(route))
    before = len(api(base).get("/v1/conversations").json())
    page.fill("#question", "How many ships did the keeper count?")
    page.press("#question", "Enter")
    live = page.locator("#messages > li").last
    expect(live.locator(".progress")).to_contain_text("Searching the pages")
    expect(page.locator("#stop-button")).to_be_visible()
    expect(page.locator("#ask-button")).to_be_hidden()
    page.click("#stop-button")
    expect(page.locator("#messages > li")).to_have_count(0)
    expect(page.locator("#question")).to_have_value("How many ships did the keeper count?")
    expect(page.locator("#ask-button")).to_be_visible()
    assert len(api(base).get("/v1/conversations").json()) == before  # no empty "New conversation"
    page.unroute(re.compile(r".*/v1/conversations/[0-9a-f]{32}/messages$"))  # the held request went with the stop
    page.route(re.compile(r".*/v1/conversations/[0-9a-f]{32}/messages$"),
               lambda route: route.fulfill(status=503, json={"detail": "busy: ask again shortly"}))
    page.press("#question", "Enter")
    expect(page.locator("#status")).to_contain_text("busy: ask again shortly")
    expect(page.locator("#question")).to_have_value("How many ships did the keeper count?")
    assert len(api(base).get("/v1/conversations").json()) == before
    page.close()


def test_the_page_stays_put_and_a_conversation_opens_at_its_latest_answer(browser, served_app):
    """The header and the sidebar stay while the conversation scrolls in its own pane; an opened conversation
    shows its latest answer, with earlier messages a click away; a search's results go when a question is asked."""
    from datetime import UTC, datetime

    from playwright.sync_api import expect

    from pagesight.api.server.conversations import Message

    base, _, app = served_app
    service = app.state.service
    with api(base) as http:
        made = http.post("/v1/conversations", json={"title": "A long talk"}).json()
    owner = __import__("pagesight.api.server.gate", fromlist=["api_keys"]).api_keys(KEY)[KEY].owner
    for n in range(60):  # more than a page of messages, kept without answering each
        service.conversations.add_message(owner, made["id"], Message(
            id=0, position=0, question=f"Question number {n}?", answer=f"Answer number {n}.", answerer="extractive",
            created_at=datetime.now(UTC)))
    page = open_page(browser, base)
    page.goto(f"{base}/#c={made['id']}")
    page.wait_for_selector("body[data-ready=true]")
    expect(page.locator("#messages > li")).to_have_count(50)
    last = page.locator("#messages > li").last
    expect(last).to_contain_text("Answer number 59.")
    expect(last).to_be_in_viewport()  # the latest answer, not the top
    assert page.evaluate("document.scrollingElement.scrollHeight <= document.scrollingElement.clientHeight")
    assert page.evaluate("document.getElementById('pane').scrollHeight > document.getElementById('pane').clientHeight")
    page.locator("#pane").evaluate("pane => pane.scrollTop = 0")
    assert page.locator("header.top").bounding_box()["y"] == 0  # the header did not scroll away
    expect(page.locator("#notice")).to_be_visible()  # "quoted, not generated": once, for the conversation
    page.click("#earlier")
    expect(page.locator("#messages > li")).to_have_count(60)
    expect(page.locator("#earlier")).to_be_hidden()
    page.check("#mode-search")
    page.fill("#question", "keeper counted ships")
    page.press("#question", "Enter")
    expect(page.locator("#search-results .hits li").first).to_be_visible(timeout=30_000)
    page.check("#mode-ask")
    page.fill("#question", "How many ships did the keeper count?")
    page.press("#question", "Enter")
    expect(page.locator("#messages > li").last.locator(".answer")).to_contain_text("4217", timeout=60_000)
    expect(page.locator("#search-results")).to_be_hidden()  # old results do not linger below answers
    page.close()


def test_back_the_skip_link_and_reload_keep_the_conversation(browser, site):
    from playwright.sync_api import expect

    base, _ = site
    with api(base) as http:
        first = http.post("/v1/conversations", json={"title": "First talk"}).json()["id"]
        second = http.post("/v1/conversations", json={"title": "Second talk"}).json()["id"]
    page = open_page(browser, base)
    page.locator("#conversation-list li", has_text="First talk").locator(".open").click()
    expect(page).to_have_url(re.compile(f"#c={first}$"))
    page.locator("#conversation-list li", has_text="Second talk").locator(".open").click()
    expect(page.locator("#conversation-title")).to_have_text("Second talk")
    page.go_back()  # the previous conversation, not the page before the app
    expect(page.locator("#conversation-title")).to_have_text("First talk")
    expect(page).to_have_url(re.compile(f"#c={first}$"))
    page.go_forward()
    expect(page.locator("#conversation-title")).to_have_text("Second talk")
    page.focus("#skip")
    page.keyboard.press("Enter")  # the skip link moves the focus, not the address
    assert page.evaluate("document.activeElement.id") == "question"
    expect(page).to_have_url(re.compile(f"#c={second}$"))
    page.reload()
    expect(page.locator("#conversation-title")).to_have_text("Second talk")
    page.close()


def test_a_working_key_folds_its_panel_and_key_changes_add_no_listeners(browser, site):
    from playwright.sync_api import expect

    base, _ = site
    with api(base) as http:
        target = http.post("/v1/conversations", json={"title": "Fetched once"}).json()["id"]
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.add_init_script("if (!localStorage.getItem('pagesight-key')) localStorage.setItem('pagesight-key', 'wrong')")
    page.goto(base)
    expect(page.locator("#key-panel")).to_have_attribute("open", "")
    for wrong in ("wrong-1", "wrong-2", "wrong-3"):  # each change used to add a hashchange listener
        page.fill("#api-key", wrong)
        page.press("#api-key", "Tab")
    page.fill("#api-key", KEY)  # last: once it works the panel folds, and the field is out of reach
    page.press("#api-key", "Tab")
    expect(page.locator("#documents")).to_contain_text("report.pdf", timeout=30_000)
    expect(page.locator("#key-panel")).not_to_have_attribute("open", "")  # the key works: the panel folds
    fetched = []
    page.on("request", lambda r: fetched.append(r.url) if r.url.endswith(f"/v1/conversations/{target}") else None)
    page.evaluate(f"location.hash = '#c={target}'")
    expect(page.locator("#conversation-title")).to_have_text("Fetched once")
    page.wait_for_timeout(500)  # any further fetch of it would have been sent by now
    assert len(fetched) == 1, fetched
    page.close()


def test_on_the_phone_new_closes_the_sidebar_and_upload_tags_are_kept(browser, site, tmp_path):
    from playwright.sync_api import expect

    base, _ = site
    page = open_page(browser, base, "phone")
    page.click("#menu-button")
    expect(page.locator("#sidebar")).to_be_visible()
    page.click("#new-conversation")
    expect(page.locator("#sidebar")).to_be_hidden()
    page.click("#menu-button")
    ledger = docs.simple_pdf(tmp_path / "tagged_ledger.pdf", ["A ledger of the harbour's lamps."])
    page.set_input_files("#files", str(ledger))
    page.fill("#tags", "lamps, ledger")
    page.click("#upload-button")
    expect(page.locator("#uploads li", has_text="tagged_ledger.pdf")).to_contain_text("ingested", timeout=120_000)
    expect(page.locator("#documents li", has_text="tagged_ledger.pdf")).to_contain_text("lamps, ledger")
    no_sideways_scroll(page)
    page.close()


def test_an_upload_can_be_cancelled_from_its_row(browser, site, tmp_path):
    from playwright.sync_api import expect

    base, _ = site
    slow = docs.amplified_pdf(tmp_path / "slow_ledger.pdf", pages=60, content_mb=16)
    page = open_page(browser, base)
    page.set_input_files("#files", str(slow))
    page.click("#upload-button")
    row = page.locator("#uploads li", has_text="slow_ledger.pdf")
    expect(row).to_contain_text("page ", timeout=60_000)  # being read
    row.get_by_role("button", name=re.compile("Cancel")).click()
    expect(row).to_contain_text("cancelled", timeout=60_000)
    expect(page.locator("#documents")).not_to_contain_text("slow_ledger.pdf")
    page.close()


@pytest.mark.parametrize("size", ["phone", "desktop"])
def test_a_cited_crop_is_large_enough_to_read(browser, site, size):
    from playwright.sync_api import expect

    base, _ = site
    page = open_page(browser, base, size)
    page.fill("#question", "How many ships did the keeper count?")
    page.press("#question", "Enter")
    crop = page.locator("#messages > li").last.locator("[data-testid=crop]").first
    expect(crop).to_be_visible(timeout=60_000)
    page.wait_for_function("document.querySelector('#messages > li:last-child [data-testid=crop]').width >= 480")
    shown = crop.bounding_box()
    assert shown["width"] >= min(320, WIDTHS[size][0] - 60), shown  # about the pane's width, not a thumbnail
    no_sideways_scroll(page)
    page.screenshot(path=str(SCREENSHOTS / f"answer-{size}.png"), full_page=False)
    assert serious_violations(page) == []
    page.close()


def test_the_page_speaks_french_to_a_french_browser_and_answers_a_french_question_in_french(browser, tmp_path):
    """Chromium set to fr-FR, a server left to "auto": the page's words, the extractive notice and an
    abstention are French, and a French question is answered from a French report."""
    import httpx
    from playwright.sync_api import expect

    rapport = docs.simple_pdf(tmp_path / "rapport_annuel.pdf", [
        "Rapport annuel 2019.", "Le chiffre d'affaires a atteint 1 234,5 millions d'euros en 2019,",
        "en hausse de 8 % grâce à la croissance en Asie."])
    settings = make_settings(tmp_path / "data", profile="lite", api_keys=KEY)
    with uvicorn_serving(create_app(settings)) as base:
        with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {KEY}"}, timeout=120) as http:
            upload(http, (rapport.name, rapport.read_bytes()))
        context = browser.new_context(locale="fr-FR", viewport={"width": 1280, "height": 900})
        context.add_init_script(f"localStorage.setItem('pagesight-key', {KEY!r})")
        page = context.new_page()
        page.goto(base)
        page.wait_for_selector("body[data-ready=true]")
        assert page.evaluate("document.documentElement.lang") == "fr"
        expect(page.locator("#new-conversation")).to_have_text("Nouvelle")
        expect(page.locator("#ask-button")).to_have_text("Envoyer")
        page.fill("#question", "Quel a été le chiffre d'affaires en 2019 ?")
        page.press("#question", "Enter")
        turn = page.locator("#messages > li").first
        expect(turn.locator(".answer")).to_contain_text("1 234,5 millions d'euros", timeout=60_000)
        expect(page.locator("#notice")).to_have_text("Les réponses sont citées des pages, non générées.")
        page.fill("#question", "Qui a gagné la finale de la Coupe du monde 1998 ?")
        page.press("#question", "Enter")
        second = page.locator("#messages > li").nth(1)
        expect(second.locator(".answer")).to_contain_text("Absent de ces documents", timeout=60_000)
        page.check("#mode-search")  # a page the report does not have, said in French above what is nearest
        page.fill("#question", "Que dit le rapport annuel à la page 40 ?")
        page.press("#question", "Enter")
        expect(page.locator("#search-results .absent")).to_have_text(
            "Absent de ces documents : la page 40 (rapport_annuel.pdf en a 1). Les pages ci-dessous sont "
            "seulement les plus proches des mots.", timeout=30_000)
        context.close()


def test_a_server_set_to_french_serves_the_page_in_french_to_any_browser(browser, tmp_path):
    from playwright.sync_api import expect

    settings = make_settings(tmp_path / "data", profile="lite", locale="fr")
    with uvicorn_serving(create_app(settings)) as base:
        context = browser.new_context(locale="en-US")
        page = context.new_page()
        page.goto(base)
        page.wait_for_selector("body[data-ready=true]")
        assert page.evaluate("document.documentElement.lang") == "fr"
        expect(page.locator("#new-conversation")).to_have_text("Nouvelle")
        context.close()


def report_page_picture(report: Path, number: int = 2) -> bytes:
    """A screenshot of the report's page: its top half, at a screen's 96 dpi, as PNG."""
    import pymupdf

    with pymupdf.open(report) as doc:
        page = doc[number - 1]
        clip = pymupdf.Rect(0, 0, page.rect.width, page.rect.height / 2)
        return page.get_pixmap(dpi=96, clip=clip).tobytes("png")


@pytest.mark.parametrize("size", ["phone", "desktop"])
def test_a_picture_chosen_or_dropped_is_asked_and_shown_in_the_conversation(browser, site, report, size):
    from playwright.sync_api import expect

    base, _ = site
    page = open_page(browser, base, size)
    picture = report_page_picture(report)
    page.set_input_files("#picture-input", files=[{"name": "shot.png", "mimeType": "image/png", "buffer": picture}])
    expect(page.locator("#picture-chip")).to_be_visible()
    expect(page.locator("#picture-name")).to_have_text("shot.png")
    page.fill("#question", "What was the revenue in the north region?")
    page.press("#question", "Enter")
    turn = page.locator("#messages > li").last
    expect(turn.locator(".question img.asked")).to_be_visible(timeout=30_000)  # the picture asked, shown
    expect(turn.locator(".answer")).to_contain_text("North, Revenue: 1200", timeout=60_000)
    expect(turn.locator("[data-testid=crop]").first).to_be_visible()
    expect(page.locator("#picture-chip")).to_be_hidden()  # sent with that question only
    no_sideways_scroll(page)
    page.screenshot(path=str(SCREENSHOTS / f"chat-picture-{size}.png"), full_page=True)
    assert serious_violations(page) == []
    page.reload()  # the conversation opens again with the picture asked (its thumbnail, kept by the server)
    page.wait_for_selector("body[data-ready=true]")
    expect(page.locator("#messages > li").last.locator(".question img.asked")).to_be_visible(timeout=30_000)
    if size == "desktop":  # dropped on the question box, alone, in search mode: the page it shows
        page.check("#mode-search")
        handle = page.evaluate_handle("""(data) => {
            const transfer = new DataTransfer();
            const bytes = Uint8Array.from(atob(data), (c) => c.charCodeAt(0));
            transfer.items.add(new File([bytes], "dropped.png", { type: "image/png" }));
            return transfer;
        }""", base64.b64encode(picture).decode())
        page.dispatch_event("#ask-form", "drop", {"dataTransfer": handle})
        expect(page.locator("#picture-name")).to_have_text("dropped.png")
        page.click("#ask-button")
        first = page.locator("#search-results .hits li").first
        expect(first.locator(".where")).to_have_text("report.pdf, page 2", timeout=60_000)
        page.set_input_files("#picture-input", files=[{"name": "notes.txt", "mimeType": "text/plain",
                                                       "buffer": b"not a picture"}])
        expect(page.locator("#status")).to_contain_text("Not a picture")
    page.close()
