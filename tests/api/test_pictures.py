"""Pictures as questions (issue 36): a screenshot or a photo of a page finds that page through every face,
a picture of nothing in the collection is said to be so, and a bad picture is a 4xx naming why."""

import base64
import io
import json
import struct
import zlib

import pymupdf
import pytest
from PIL import Image, ImageFilter

from pagesight.api.pagesight import PICTURE_NOT_FOUND, PageSight
from pagesight.api.server.app import create_app
from pagesight.core.errors import BadPicture
from tests import docs
from tests.api.conftest import local_client, upload
from tests.conftest import make_settings

LOG = [["Port Marrow harbour log.", "The keeper counted 115 ships in the spring of 1819."],
       ["Harbour dues at Port Marrow rose to 9 shillings in 1820.", "The pier was rebuilt in 1822 with granite",
        "from the northern quarry, and the lamp was moved to its end."],
       ["The lighthouse lamp burned whale oil until 1845, then colza oil.", "Storms closed the harbour in 1831."]]


def png(img: Image.Image, **options) -> bytes:
    buf = io.BytesIO()
    img.save(buf, "PNG", **options)
    return buf.getvalue()


def shot(pdf, number: int, dpi: int = 96, box: tuple[float, float, float, float] | None = None) -> Image.Image:
    """Page `number` as a screenshot at `dpi`, or the part of it in `box` (fractions of the page)."""
    with pymupdf.open(pdf) as doc:
        pix = doc[number - 1].get_pixmap(dpi=dpi)
    img = Image.frombytes("RGB", (pix.width, pix.height), pix.samples)
    if box:
        img = img.crop(tuple(round(f * s) for f, s in zip(box, img.size * 2, strict=True)))
    return img


def photo_of(img: Image.Image) -> Image.Image:
    """A phone's picture of it: turned a little, blurred, darker on one side, JPEG at quality 50."""
    turned = img.rotate(3, expand=True, fillcolor="white").filter(ImageFilter.GaussianBlur(0.8))
    shade = Image.linear_gradient("L").resize(turned.size).point(lambda v: 255 - v // 4)
    lit = Image.composite(turned, Image.new("RGB", turned.size, (90, 90, 90)), shade)
    buf = io.BytesIO()
    lit.save(buf, "JPEG", quality=50)
    return Image.open(io.BytesIO(buf.getvalue()))


@pytest.fixture(scope="module")
def harbour(tmp_path_factory):
    folder = tmp_path_factory.mktemp("pictures")
    pdf = docs.pages_pdf(folder / "port_marrow.pdf", LOG)
    settings = make_settings(folder / "data", profile="lite")
    with PageSight(settings=settings) as sight:
        sight.ingest([pdf])
    return pdf, settings


@pytest.fixture(scope="module")
def sight(harbour):
    with PageSight(settings=harbour[1]) as sight:
        yield sight


def test_a_crop_and_a_photo_of_a_page_find_that_page(harbour, sight):
    pdf, _ = harbour
    crop = png(shot(pdf, 2, box=(0, 0, 1, 0.25)))  # the top of page 2: its three lines
    found = sight.search(image=crop, k=3)
    assert (found.hits[0].file_name, found.hits[0].page) == ("port_marrow.pdf", 2)
    assert found.picture.matched and found.picture.held >= 0.5 and "shillings" in found.picture.text
    photo = io.BytesIO()
    photo_of(shot(pdf, 3, dpi=120)).save(photo, "JPEG")
    assert sight.search(image=photo.getvalue(), k=3).hits[0].page == 3
    # Words typed with it are searched with the picture's own.
    assert sight.search("when was the pier rebuilt", image=crop).hits[0].page == 2


def test_a_picture_of_nothing_here_is_said_so_and_typed_words_still_search(harbour, sight, tmp_path):
    blank = png(docs.photo())  # shapes, no words
    found = sight.search(image=blank)
    assert found.hits == [] and not found.picture.matched and "no words" in found.skipped["picture"]
    other = docs.pages_pdf(tmp_path / "other.pdf", [["Quarterly sales of garden furniture rose in Denmark.",
                                                       "Chairs and parasols sold best in the warm months."]])
    elsewhere = sight.search(image=png(shot(other, 1, box=(0, 0, 1, 0.2))))
    assert elsewhere.hits == [] and elsewhere.picture.words >= 3 and elsewhere.picture.held < 0.5
    answer = sight.ask(image=blank)
    assert answer.abstained and answer.text == PICTURE_NOT_FOUND and answer.citations == []
    typed = sight.search("harbour dues", image=blank)  # the picture matched nothing: the words alone, as asked
    assert typed.hits[0].page == 2 and not typed.picture.matched and typed.channels == ["text", "bm25"]
    assert sight.search(image=png(shot(harbour[0], 2, box=(0, 0, 1, 0.25)))).channels == ["bm25"]  # its words


def test_a_picture_of_a_french_page_not_here_is_answered_in_french(sight, tmp_path):
    page = docs.pages_pdf(tmp_path / "rapport.pdf", [[
        "Le conseil municipal a voté le budget de la commune pour l'année prochaine.",
        "Les travaux de la nouvelle école commenceront au printemps, après les vacances."]])
    answer = sight.ask(image=png(shot(page, 1, box=(0, 0, 1, 0.25))))  # no words typed: the picture's speak
    assert answer.abstained and answer.text.startswith("Absent de ces documents : l'image ne correspond")


def test_an_answer_about_the_page_a_picture_shows(harbour, sight):
    answer = sight.ask("When was the pier rebuilt?", image=png(shot(harbour[0], 2, box=(0, 0, 1, 0.25))))
    assert not answer.abstained and "1822" in answer.text
    assert answer.citations and answer.citations[0].page == 2


def _bomb() -> bytes:
    """A PNG that says it is 40,000 x 40,000 pixels in a few KB: a decompression bomb."""
    side = 40_000
    raw = zlib.compress(b"\x00" * (side // 8 + 1) * 64, 9)

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", side, side, 1, 0, 0, 0, 0))
            + chunk(b"IDAT", raw) + chunk(b"IEND", b""))


def _animated() -> bytes:
    frames = [Image.new("RGB", (64, 64), colour) for colour in ("red", "blue")]
    buf = io.BytesIO()
    frames[0].save(buf, "PNG", save_all=True, append_images=frames[1:])
    return buf.getvalue()


BAD = {
    "not a picture": (b"%PDF-1.7 this is a document, not a picture", "not a picture"),
    "text": (b"hello, I am plain text", "not a picture"),
    "a GIF": (b"GIF89a" + b"\x00" * 40, "GIF"),
    "a bomb": (_bomb(), "Mpixels"),
    "a 30,000 px side": (png(Image.new("L", (30_000, 8), 255)), "no side may be longer"),
    "animated": (_animated(), "2 frames"),
    "truncated": (png(Image.new("RGB", (300, 300), "white"))[:60], "cannot be read"),
}


@pytest.mark.parametrize("kind", BAD)
def test_a_bad_picture_is_refused_naming_why(sight, kind):
    data, reason = BAD[kind]
    with pytest.raises(BadPicture, match=reason):
        sight.search(image=data)


@pytest.fixture(scope="module")
def client(harbour, tmp_path_factory):
    """A server of its own data folder (the `sight` above holds the other), the log uploaded to it."""
    settings = make_settings(tmp_path_factory.mktemp("served") / "data", profile="lite", max_picture_mb=1.0)
    with local_client(create_app(settings)) as c:
        upload(c, ("port_marrow.pdf", harbour[0].read_bytes()))
        yield c


def data_url(data: bytes, kind: str = "image/png") -> str:
    return f"data:{kind};base64,{base64.b64encode(data).decode()}"


def test_every_face_of_the_server_takes_a_picture(harbour, client):
    crop = png(shot(harbour[0], 2, box=(0, 0, 1, 0.25)))
    found = client.post("/v1/search", json={"image": base64.b64encode(crop).decode(), "k": 2}).json()
    assert found["hits"][0]["page"] == 2 and found["picture"]["matched"]
    answered = client.post("/v1/answer", json={"question": "When was the pier rebuilt?", "image": data_url(crop)})
    assert answered.status_code == 200 and "1822" in answered.json()["answer"]["text"]
    conversation = client.post("/v1/conversations", json={}).json()["id"]
    said = client.post(f"/v1/conversations/{conversation}/messages", json={"image": data_url(crop)}).json()
    assert said["message"]["question"] == "[picture]" and said["message"]["pages"][0]["page"] == 2
    kept = client.get(f"/v1/conversations/{conversation}").json()["messages"][0]  # as it opens again
    assert kept["picture"].startswith("data:image/jpeg;base64,") and len(kept["picture"]) < 60_000
    assert Image.open(io.BytesIO(base64.b64decode(kept["picture"].split(",", 1)[1]))).size[0] <= 256
    streamed = client.post("/v1/answer", json={"image": data_url(crop), "stream": True}).text
    pages = json.loads(streamed.split("event: pages\ndata: ", 1)[1].split("\n", 1)[0])
    assert pages["picture"]["matched"] and pages["pages"][0]["page"] == 2
    chat = client.post("/v1/chat/completions", json={"messages": [{"role": "user", "content": [
        {"type": "text", "text": "When was the pier rebuilt?"},
        {"type": "image_url", "image_url": {"url": data_url(crop)}}]}]}).json()
    assert "1822" in chat["choices"][0]["message"]["content"] and chat["citations"][0]["page"] == 2


def test_a_form_with_the_picture_as_a_file_part(harbour, client):
    """As `curl -F image=@shot.png -F question=...` sends it."""
    crop = png(shot(harbour[0], 2, box=(0, 0, 1, 0.25)))
    found = client.post("/v1/search", files={"image": ("shot.png", crop, "image/png")}, data={"k": "2"})
    assert found.status_code == 200 and found.json()["hits"][0]["page"] == 2, found.text
    answered = client.post("/v1/answer", files={"image": ("shot.png", crop, "image/png")},
                           data={"question": "When was the pier rebuilt?", "documents": ["port_marrow.pdf"]})
    assert answered.status_code == 200 and "1822" in answered.json()["answer"]["text"], answered.text
    streamed = client.post("/v1/answer", files={"image": ("shot.png", crop, "image/png")}, data={"stream": "true"})
    assert "event: citations" in streamed.text and "event: done" in streamed.text
    other = client.post("/v1/search", files={"scan": ("x.png", crop, "image/png")})
    assert other.status_code == 400 and "image" in other.json()["detail"]
    assert client.post("/v1/search", files={"image": ("x.txt", b"plain text", "text/plain")}).status_code == 400


def test_the_server_refuses_bad_pictures_and_never_fetches_one(client):
    remote = client.post("/v1/chat/completions", json={"messages": [{"role": "user", "content": [
        {"type": "image_url", "image_url": {"url": "https://example.com/page.png"}}]}]})
    assert remote.status_code == 400 and "never fetches" in remote.json()["detail"]
    assert client.post("/v1/search", json={"image": "http://169.254.169.254/latest"}).status_code == 400
    for data, reason in BAD.values():
        refused = client.post("/v1/search", json={"image": base64.b64encode(data).decode()})
        assert refused.status_code == 400 and reason in refused.json()["detail"], refused.text
    assert client.post("/v1/search", json={"image": "not base64 at all!"}).json()["detail"].endswith("base64")
    french = {"Accept-Language": "fr-FR,fr;q=0.9"}  # said in the request's language, as every error is
    said = client.post("/v1/search", json={"image": base64.b64encode(b"hello").decode()}, headers=french)
    assert said.status_code == 400 and said.json()["detail"].startswith("ce n'est pas une image : envoyez")
    said = client.post("/v1/search", json={"image": base64.b64encode(_animated()).decode()}, headers=french)
    assert said.json()["detail"] == ("l'image ne peut pas être lue : l'image a 2 trames (une animation ou une image "
                                     "de plusieurs pages) ; envoyez une seule image fixe")
    assert client.post("/v1/search", json={}).status_code == 422  # neither words nor a picture
    big = base64.b64encode(b"\x89PNG\r\n\x1a\n" + b"\x00" * (3 * 2**20)).decode()  # over 1 MB, its limit here
    over = client.post("/v1/search", json={"image": big})
    assert over.status_code == 413
    after = client.get("/v1/documents").json()
    assert [d["file_name"] for d in after] == ["port_marrow.pdf"]  # nothing indexed was touched
