// PageSight's chat page: plain JavaScript against the REST API, no build step.
// Conversations live on the server (/v1/conversations); the page keeps only the API key and which
// conversation is open (in the address, #c=<id>: Back and Forward move between conversations, a link opens
// one). Document text and file names are inserted as text (textContent), never as HTML. Every string a
// reader sees comes from strings.js, in the browser's language (English or French).
"use strict";

const $ = (id) => document.getElementById(id);
const t = window.pagesightStrings.t;
const state = {
  conversation: null,      // the open conversation (with the messages shown), or null before the first question
  pendingScope: { documents: null, tags: null },  // the scope chosen before the first question
  documents: [],           // the collection's documents
  busy: false,
  waiting: false,          // a question was sent while an answer was still coming: it goes next
  stop: null,              // aborts the answer being fetched
  picture: null,           // the picture attached to the next question: { url (data: URL), name }
};

// ---- the API ------------------------------------------------------------------------------------

const keyInput = $("api-key");
keyInput.value = localStorage.getItem("pagesight-key") || "";
keyInput.addEventListener("change", async () => {
  localStorage.setItem("pagesight-key", keyInput.value.trim());
  if (await start()) $("key-panel").open = false;  // the key works: its panel folds away
});

function headers(extra = {}) {
  const key = keyInput.value.trim();
  return key ? { ...extra, Authorization: `Bearer ${key}` } : extra;
}

class ApiError extends Error {
  constructor(status, detail) { super(detail); this.status = status; }
}

async function api(path, options = {}) {
  let response;
  try {
    response = await fetch(path, { ...options, headers: headers(options.headers) });
  } catch (err) {
    if (err.name === "AbortError") throw err;
    throw new ApiError(0, t("unreachable"));
  }
  if (!response.ok) {
    let detail = response.statusText;
    try {
      const body = await response.json();
      detail = typeof body.detail === "string" ? body.detail
        : (body.detail || []).map((d) => `${(d.loc || []).slice(1).join(".")}: ${d.msg}`).join("; ") || detail;
    } catch (e) { /* not JSON */ }
    if (response.status === 401) {
      showStatus(t("needKey"));
      $("key-panel").open = true;
    }
    throw new ApiError(response.status, detail);
  }
  return response;
}

const json = (body) => ({ method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) });

function showStatus(text) {
  const status = $("status");
  status.textContent = text;
  status.hidden = !text;
}

// Images need the API key too, so they are fetched and shown from blob URLs.
const images = new Map();
function imageUrl(path) {
  if (!images.has(path)) {
    images.set(path, api(path).then((r) => r.blob()).then((b) => URL.createObjectURL(b)));
  }
  return images.get(path);
}

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (name === "text") node.textContent = value;
    else if (name.startsWith("on")) node.addEventListener(name.slice(2), value);
    else node.setAttribute(name, value);
  }
  for (const child of children) if (child !== null && child !== undefined) node.append(child);
  return node;
}

// Server-sent events from a POST: read the stream, split on blank lines.
async function* events(response) {
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  let buffer = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    buffer += decoder.decode(value, { stream: true });
    let cut;
    while ((cut = buffer.indexOf("\n\n")) >= 0) {
      const block = buffer.slice(0, cut);
      buffer = buffer.slice(cut + 2);
      let event = "message", data = "";
      for (const line of block.split("\n")) {
        if (line.startsWith("event:")) event = line.slice(6).trim();
        else if (line.startsWith("data:")) data += line.slice(5).trim();
      }
      yield { event, data: data ? JSON.parse(data) : {} };
    }
  }
}

// ---- the address: which conversation is open ----------------------------------------------------

function currentId() {
  const match = location.hash.match(/^#c=([0-9a-f]{32})$/);
  return match ? match[1] : null;
}

// Opening a conversation adds a step to the browser's history, so Back returns to the one before.
function go(id) {
  const target = id ? `#c=${id}` : location.pathname + location.search;
  if ((id || null) !== currentId()) history.pushState(null, "", target);
}

window.addEventListener("popstate", () => {  // Back and Forward; registered once
  const id = currentId();
  if (id && (!state.conversation || state.conversation.id !== id)) openConversation(id, { push: false });
  else if (!id && state.conversation) newConversation({ push: false });
});

// The skip link moves the focus, never the address (which names the open conversation).
$("skip").addEventListener("click", (e) => { e.preventDefault(); $("question").focus(); });

// ---- conversations ------------------------------------------------------------------------------

async function loadConversations() {
  const list = $("conversation-list");
  try {
    const conversations = await (await api("/v1/conversations")).json();
    list.replaceChildren(...conversations.map(conversationItem));
    if (!conversations.length) list.append(el("li", { class: "empty", text: t("noConversations") }));
  } catch (err) {
    list.replaceChildren(el("li", { class: "error", text: t("cannotList", err.message) }));
    throw err;
  }
}

function conversationItem(c) {
  const current = state.conversation && state.conversation.id === c.id;
  const item = el("li", { "data-id": c.id, class: current ? "current" : "" });
  const open = el("button", { type: "button", class: "open", text: c.title, onclick: () => openConversation(c.id) });
  if (current) open.setAttribute("aria-current", "true");
  const rename = el("button", { type: "button", class: "small", text: t("rename"), "aria-label": t("renameOf", c.title),
    onclick: async () => {
      const title = prompt(t("newName"), c.title);
      if (!title || !title.trim()) return;
      await guarded(async () => {
        await api(`/v1/conversations/${c.id}`, { ...json({ title: title.trim() }), method: "PATCH" });
        if (state.conversation && state.conversation.id === c.id) {
          state.conversation.title = title.trim();
          $("conversation-title").textContent = title.trim();
        }
        await loadConversations();
      });
    } });
  const remove = el("button", { type: "button", class: "small", text: t("delete"), "aria-label": t("deleteOf", c.title),
    onclick: async () => {
      if (!confirm(t("confirmDelete", c.title))) return;
      await guarded(async () => {
        await api(`/v1/conversations/${c.id}`, { method: "DELETE" });
        if (state.conversation && state.conversation.id === c.id) newConversation();
        await loadConversations();
      });
    } });
  item.append(open, rename, remove);
  return item;
}

async function guarded(work) {
  try { await work(); showStatus(""); } catch (err) { showStatus(err.message); }
}

function markCurrent(id) {
  for (const item of $("conversation-list").children) {
    const current = item.dataset.id === id;
    item.classList.toggle("current", current);
    const open = item.querySelector(".open");
    if (open) { if (current) open.setAttribute("aria-current", "true"); else open.removeAttribute("aria-current"); }
  }
}

function newConversation({ push = true, quiet = false } = {}) {
  state.conversation = null;
  state.pendingScope = { documents: null, tags: null };
  if (push) go(null);
  $("conversation-title").textContent = t("newConversation");
  $("messages").replaceChildren();
  $("empty").hidden = false;
  $("notice").hidden = true;
  $("earlier").hidden = true;
  clearSearch();
  showScope();
  markCurrent(null);
  closeMenu();
  if (!quiet) $("question").focus();
}

async function openConversation(id, { push = true } = {}) {
  try {
    const conversation = await (await api(`/v1/conversations/${id}`)).json();
    state.conversation = conversation;
    if (push) go(id);
    $("conversation-title").textContent = conversation.title;
    $("messages").replaceChildren(...conversation.messages.map((m) => renderMessage(m)));
    $("empty").hidden = conversation.messages.length > 0;
    $("earlier").hidden = !conversation.earlier;
    showNotice();
    clearSearch();
    showScope();
    markCurrent(id);
    closeMenu();
    scrollToLatest();
  } catch (err) {
    if (err.status === 404) { newConversation({ push: false, quiet: true }); showStatus(t("gone")); }
    else showStatus(t("cannotOpen", err.message));
  }
}

// The latest answer in view: where a reader picks up a conversation.
function scrollToLatest() {
  const last = $("messages").lastElementChild;
  if (last) last.scrollIntoView({ block: "start" });
  else $("pane").scrollTop = 0;
}

// Long conversations come a page at a time, the latest first: earlier pages on demand.
$("earlier").addEventListener("click", () => guarded(async () => {
  const conversation = state.conversation;
  const first = conversation.messages[0];
  const page = await (await api(`/v1/conversations/${conversation.id}?before=${first.position}`)).json();
  const anchor = $("messages").firstElementChild;
  const offset = anchor ? anchor.getBoundingClientRect().top : 0;
  conversation.messages = [...page.messages, ...conversation.messages];
  $("messages").prepend(...page.messages.map((m) => renderMessage(m)));
  $("earlier").hidden = !page.earlier;
  if (anchor) $("pane").scrollTop += anchor.getBoundingClientRect().top - offset;  // the reader stays put
}));

function showNotice() {  // said once a conversation, quietly: extractive answers are quotations
  const messages = state.conversation ? state.conversation.messages : [];
  $("notice").hidden = !messages.some((m) => m.answerer === "extractive" && !m.abstained);
}

function scopeOf() {
  return state.conversation ? { documents: state.conversation.documents, tags: state.conversation.tags }
    : state.pendingScope;
}

function showScope() {
  const { documents, tags } = scopeOf();
  const parts = [];
  if (documents && documents.length) {
    const names = documents.map((ref) => (state.documents.find((d) => d.id === ref) || { file_name: ref }).file_name);
    parts.push(names.length <= 2 ? names.join(", ") : t("nDocuments", names.length));
  }
  if (tags && tags.length) parts.push(t("tagsScope", tags.join(", ")));
  $("scope-button").textContent = t("scope", parts.length ? parts.join("; ") : t("allDocuments"));
}

$("new-conversation").addEventListener("click", () => newConversation());

// ---- the scope picker ---------------------------------------------------------------------------

$("scope-button").addEventListener("click", () => {
  const { documents, tags } = scopeOf();
  const chosen = new Set(documents || []);
  $("scope-documents").replaceChildren(...state.documents.map((d, i) => el("li", {},
    el("input", { type: "checkbox", id: `scope-doc-${i}`, value: d.id, ...(chosen.has(d.id) ? { checked: "" } : {}) }),
    el("label", { for: `scope-doc-${i}`, text: t("docPages", d.file_name, d.pages) }))));
  if (!state.documents.length) $("scope-documents").append(el("li", { text: t("noDocuments") }));
  $("scope-tags").value = (tags || []).join(", ");
  $("scope-dialog").showModal();
});

$("scope-dialog").addEventListener("close", async () => {
  if ($("scope-dialog").returnValue !== "save") return;
  const documents = [...$("scope-documents").querySelectorAll("input:checked")].map((i) => i.value);
  const tags = $("scope-tags").value.split(",").map((s) => s.trim()).filter(Boolean);
  const scope = { documents: documents.length ? documents : null, tags: tags.length ? tags : null };
  if (!state.conversation) { state.pendingScope = scope; showScope(); return; }
  await guarded(async () => {
    const updated = await (await api(`/v1/conversations/${state.conversation.id}`, { ...json(scope), method: "PATCH" })).json();
    Object.assign(state.conversation, updated);
    showScope();
  });
});

// ---- messages -----------------------------------------------------------------------------------

// The answer's text with each [n] marker as a button that shows its page.
function answerText(node, text, citations, crops) {
  node.replaceChildren();
  const byMarker = new Map(citations.map((c) => [c.marker, c]));
  let last = 0;
  for (const match of text.matchAll(/\[(\d+(?:\s*,\s*\d+)*)\]/g)) {
    node.append(text.slice(last, match.index));
    const markers = match[1].split(",").map((n) => Number(n.trim()));
    for (const n of markers) {
      const citation = byMarker.get(n);
      if (!citation) { node.append(`[${n}]`); continue; }
      const key = `${citation.doc_id}/${citation.page}`;
      const button = el("button", { type: "button", class: "marker", text: `[${n}]`,
        "aria-label": t("source", n, citation.file_name, citation.page),
        onclick: () => openViewer(citation.doc_id, citation.file_name, citation.page, crops) });
      const light = (on) => { const item = crops.items.get(key); if (item) item.classList.toggle("active", on); };
      button.addEventListener("mouseenter", () => light(true));
      button.addEventListener("mouseleave", () => light(false));
      button.addEventListener("focus", () => light(true));
      button.addEventListener("blur", () => light(false));
      node.append(button);
    }
    last = match.index + match[0].length;
  }
  node.append(text.slice(last));
}

// One picture per cited page, cropped close to the region its boxes cover, at a size the quoted figures can
// be read at; a click opens the page whole, where it can be zoomed.
function cropsOf(citations) {
  const pages = new Map();
  for (const c of citations) {
    const key = `${c.doc_id}/${c.page}`;
    if (!pages.has(key)) pages.set(key, { ...c, boxes: [] });
    if (c.box) pages.get(key).boxes.push(c.box);
  }
  const list = el("ul", { class: "crops", "aria-label": t("citedPages") });
  const crops = { list, pages, items: new Map() };
  for (const [key, page] of pages) {
    const canvas = el("canvas", { width: "640", height: "200", role: "img", "data-testid": "crop",
      "data-boxes": String(page.boxes.length), "aria-label": t("cropLabel", page.file_name, page.page, page.boxes.length) });
    const button = el("button", { type: "button", "aria-label": t("openPage", page.file_name, page.page),
      onclick: () => openViewer(page.doc_id, page.file_name, page.page, crops) },
      canvas, el("span", { class: "caption", text: t("pageOf", page.file_name, page.page) }));
    const item = el("li", { "data-page": key }, button);
    crops.items.set(key, item);
    list.append(item);
    drawCrop(canvas, page);
  }
  return crops;
}

async function drawCrop(canvas, page) {
  let url;
  try { url = await imageUrl(`/v1/documents/${page.doc_id}/pages/${page.page}/image`); } catch (err) { return; }
  const img = new Image();
  img.src = url;
  try { await img.decode(); } catch (err) { return; }
  const sx = img.naturalWidth / (page.page_width || img.naturalWidth);
  const sy = img.naturalHeight / (page.page_height || img.naturalHeight);
  let [x0, y0, x1, y1] = [0, 0, img.naturalWidth, img.naturalHeight];
  if (page.boxes.length && page.page_width && page.page_height) {
    x0 = Math.min(...page.boxes.map((b) => b[0])) * sx; y0 = Math.min(...page.boxes.map((b) => b[1])) * sy;
    x1 = Math.max(...page.boxes.map((b) => b[2])) * sx; y1 = Math.max(...page.boxes.map((b) => b[3])) * sy;
    const pad = 0.02 * img.naturalWidth;  // close to the text: the crop is there to be read
    x0 = Math.max(0, x0 - pad); y0 = Math.max(0, y0 - pad);
    x1 = Math.min(img.naturalWidth, x1 + pad); y1 = Math.min(img.naturalHeight, y1 + pad);
  }
  // Drawn at the page image's own resolution (up to 1,200 px wide), shown at up to the pane's width.
  const width = Math.round(Math.min(1200, Math.max(320, x1 - x0)));
  const height = Math.max(60, Math.min(1400, Math.round(width * (y1 - y0) / Math.max(1, x1 - x0))));
  canvas.width = width; canvas.height = height;
  const scale = Math.min(width / (x1 - x0), height / (y1 - y0));
  const context = canvas.getContext("2d");
  context.fillStyle = "#fff";
  context.fillRect(0, 0, width, height);
  context.drawImage(img, x0, y0, x1 - x0, y1 - y0, 0, 0, (x1 - x0) * scale, (y1 - y0) * scale);
  context.strokeStyle = "#d9480f";
  context.lineWidth = 3;
  const around = 5;  // the outline stands clear of the text it marks, never over it
  for (const b of page.boxes) {
    context.strokeRect((b[0] * sx - x0) * scale - around, (b[1] * sy - y0) * scale - around,
      (b[2] - b[0]) * sx * scale + 2 * around, (b[3] - b[1]) * sy * scale + 2 * around);
  }
}

function notices(message) {
  const out = [];
  if (message.abstained) out.push(el("p", { class: "notice", text: t("abstained") }));
  const unsupported = (message.claims || []).filter((c) => c.supported === false);
  for (const claim of unsupported) out.push(el("p", { class: "notice", text: t("unsupported", claim.text) }));
  return out;
}

// A stored message, or (with `live`) one being asked: returns the nodes to fill as it streams.
function renderMessage(message, live = false) {
  const item = el("li", { class: "turn" });
  const asked = message.question === "[picture]" ? (message.picture ? "" : t("pictureAsked")) : message.question;
  const question = el("div", { class: "question" }, el("span", { class: "visually-hidden", text: t("youAsked") }),
    asked);
  if (message.picture) question.append(el("img", { class: "asked", src: message.picture, alt: t("pictureAttached") }));
  item.append(question);
  const standalone = el("p", { class: "standalone" });
  const setStandalone = (text) => { standalone.textContent = text ? t("searchedAs", text) : ""; standalone.hidden = !text; };
  setStandalone(message.standalone);
  const progress = el("p", { class: "progress", role: "status", hidden: "" });
  const answer = el("div", { class: "answer", ...(live ? { "aria-live": "polite", "aria-busy": "true" } : {}) });
  const extra = el("div", {});
  item.append(standalone, progress, answer, extra);
  const working = (text) => { progress.textContent = text || ""; progress.hidden = !text; };
  const finish = (m) => {
    working("");
    const crops = cropsOf(m.citations || []);
    if (m.error) {
      answer.textContent = m.answer ? m.answer : "";
      answer.append(el("p", { class: "error", text: m.stopped ? t("stopped") : t("failed", m.error) }));
    } else {
      answerText(answer, m.answer, m.citations || [], crops);
    }
    extra.replaceChildren(...notices(m), crops.list);
    answer.setAttribute("aria-busy", "false");
  };
  if (!live) finish(message);
  return live ? { item, answer, setStandalone, working, finish } : item;
}

async function ask(question, picture = null) {
  let created = null;
  if (!state.conversation) {
    created = await (await api("/v1/conversations", json(state.pendingScope))).json();
    state.conversation = { ...created, messages: [] };
    $("conversation-title").textContent = created.title;
  }
  $("empty").hidden = true;
  clearSearch();
  const live = renderMessage({ question: question || "[picture]", picture: picture && picture.url }, true);
  $("messages").append(live.item);
  live.working(picture ? t("readingPicture") : t("searching"));
  live.item.scrollIntoView({ block: "end" });
  const controller = new AbortController();
  state.stop = () => controller.abort();
  let streamed = "", stored = null;
  try {
    const response = await api(`/v1/conversations/${state.conversation.id}/messages`,
      { ...json({ question, stream: true, ...(picture ? { image: picture.url } : {}) }), signal: controller.signal });
    for await (const { event, data } of events(response)) {
      if (event === "pages") {
        live.setStandalone(data.rewritten_by && !data.picture ? data.question : "");
        live.working(t("answering"));
      }
      else if (event === "delta") { streamed += data.text; live.working(""); live.answer.textContent = streamed; }
      else if (event === "message") {
        stored = { ...data, picture: picture && picture.url };  // shown while the page is open; not kept
        live.finish(stored); state.conversation.messages.push(stored);
      }
      else if (event === "error") throw new ApiError(500, data.detail);
    }
  } catch (err) {
    const stopped = err.name === "AbortError";
    if (created && !stored) {  // the conversation's first question failed: no empty conversation is left
      try { await api(`/v1/conversations/${created.id}`, { method: "DELETE" }); } catch (e) { /* gone already */ }
      live.item.remove();
      newConversation({ quiet: true });
      $("question").value = question;  // to send again
      if (picture) attachPicture(picture);
      if (!stopped) throw err;
      return;
    }
    live.finish({ answer: streamed, error: err.message, stopped, citations: [] });
  } finally {
    state.stop = null;
  }
  if (created) go(created.id);
  showNotice();
  await loadConversations();
  markCurrent(state.conversation.id);
  const title = ($("conversation-list").querySelector(`[data-id="${state.conversation.id}"] .open`) || {}).textContent;
  if (title) $("conversation-title").textContent = title;
}

$("stop-button").addEventListener("click", () => { if (state.stop) state.stop(); });

// ---- search -------------------------------------------------------------------------------------

function clearSearch() {
  $("search-results").hidden = true;
  $("search-results").replaceChildren();
}

function marked(text, query) {
  const words = [...new Set(query.toLowerCase().match(/[\p{L}\p{N}]{3,}/gu) || [])];
  const out = el("p", { class: "snippet" });
  if (!words.length) { out.textContent = text; return out; }
  const pattern = new RegExp(`(${words.map((w) => w.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")).join("|")})`, "giu");
  let last = 0;
  for (const match of text.matchAll(pattern)) {
    out.append(text.slice(last, match.index), el("mark", { text: match[0] }));
    last = match.index + match[0].length;
  }
  out.append(text.slice(last));
  return out;
}

async function search(query, picture = null) {
  const box = $("search-results");
  box.hidden = false;
  box.replaceChildren(el("h3", { text: picture ? t("pictureFor") : t("pagesFor", query) }));
  if (picture) box.append(el("img", { class: "asked", src: picture.url, alt: t("pictureAttached") }));
  const { documents, tags } = scopeOf();
  try {
    const body = { query, k: 10, documents, tags, ...(picture ? { image: picture.url } : {}) };
    const result = await (await api("/v1/search", json(body))).json();
    if (result.picture && !result.picture.matched && !query) { box.append(el("p", { text: t("pictureNothing") })); return; }
    // Pages the document does not have (in the page's language, as the server says them): said first, and
    // what follows is only the nearest to the words.
    if (result.absent) box.append(el("p", { class: "absent", text: t("absentPages", result.absent) }));
    if (!result.hits.length) { box.append(el("p", { text: t("noPage") })); return; }
    if (result.picture) query = `${query} ${result.picture.text}`;  // its words are marked in the passages
    box.append(el("ol", { class: "hits" }, ...result.hits.map((hit) => el("li", {},
      el("div", { class: "where", text: t("pageOf", hit.file_name, hit.page) }),
      marked(hit.text || "", query),
      el("div", { class: "found", text: t("foundBy", hit.channels.join(", "), hit.score.toFixed(3)) }),
      el("button", { type: "button", class: "small", text: t("openPageShort"),
        "aria-label": t("openPage", hit.file_name, hit.page),
        onclick: () => openViewer(hit.doc_id, hit.file_name, hit.page, null) })))));
  } catch (err) {
    box.append(el("p", { class: "error", text: t("searchFailed", err.message) }));
  }
  box.scrollIntoView({ block: "nearest" });
}

function setBusy(busy) {
  state.busy = busy;
  $("ask-button").hidden = busy && !$("mode-search").checked;
  $("ask-button").disabled = busy;
  $("stop-button").hidden = !busy || $("mode-search").checked;
}

$("ask-form").addEventListener("submit", async (e) => {
  e.preventDefault();
  const text = $("question").value.trim();
  const picture = state.picture;
  if (!text && !picture) return;
  if (state.busy) {  // sent as soon as the answer before it has finished, never dropped
    state.waiting = true;
    showStatus(t("queued"));
    return;
  }
  setBusy(true);
  try {
    detachPicture();
    if ($("mode-search").checked) await search(text, picture);
    else { $("question").value = ""; await ask(text, picture); }
    showStatus("");
  } catch (err) {
    showStatus(err.message);
  } finally {
    setBusy(false);
    $("question").focus();
    if (state.waiting) {
      state.waiting = false;
      $("ask-form").requestSubmit();
    }
  }
});

// ---- a picture as the question: chosen, pasted or dropped; sent with the next question --------------

const PICTURE_TYPES = ["image/png", "image/jpeg", "image/webp", "image/tiff"];
const MAX_PICTURE_MB = 20;  // the server's default (PAGESIGHT_MAX_PICTURE_MB); it says so itself beyond its own

function attachPicture(picture) {
  state.picture = picture;
  $("picture-preview").src = picture.url;
  $("picture-name").textContent = picture.name;
  $("picture-chip").hidden = false;
}

function detachPicture() {
  state.picture = null;
  $("picture-chip").hidden = true;
  $("picture-preview").removeAttribute("src");
  $("picture-input").value = "";
}

function takePicture(file) {
  if (!file) return;
  if (!PICTURE_TYPES.includes(file.type)) { showStatus(t("notAPicture")); return; }
  if (file.size > MAX_PICTURE_MB * 2 ** 20) {
    showStatus(t("pictureTooLarge", (file.size / 2 ** 20).toFixed(1), MAX_PICTURE_MB));
    return;
  }
  const reader = new FileReader();
  reader.onload = () => { attachPicture({ url: reader.result, name: file.name || "" }); showStatus(""); $("question").focus(); };
  reader.readAsDataURL(file);
}

$("picture-button").addEventListener("click", () => $("picture-input").click());
$("picture-input").addEventListener("change", () => takePicture($("picture-input").files[0]));
$("picture-remove").addEventListener("click", () => { detachPicture(); $("question").focus(); });
$("question").addEventListener("paste", (e) => {
  const item = [...(e.clipboardData ? e.clipboardData.items : [])].find((i) => i.kind === "file" && i.type.startsWith("image/"));
  if (item) { e.preventDefault(); takePicture(item.getAsFile()); }
});
const composer = $("ask-form");
composer.addEventListener("dragover", (e) => {
  if ([...e.dataTransfer.types].includes("Files")) { e.preventDefault(); composer.classList.add("dropping"); }
});
composer.addEventListener("dragleave", () => composer.classList.remove("dropping"));
composer.addEventListener("drop", (e) => {
  composer.classList.remove("dropping");
  const file = [...e.dataTransfer.files].find((f) => f.type.startsWith("image/"));
  if (file) { e.preventDefault(); takePicture(file); }
});

$("question").addEventListener("keydown", (e) => {
  if (e.key === "Enter" && !e.shiftKey) { e.preventDefault(); $("ask-form").requestSubmit(); }
});

function showMode() {
  const searching = $("mode-search").checked;
  $("ask-button").textContent = searching ? t("search") : t("send");
  $("question").placeholder = searching ? t("searchPlaceholder") : t("askPlaceholder");
}
for (const radio of document.querySelectorAll("input[name=mode]")) radio.addEventListener("change", showMode);

// ---- the page viewer ----------------------------------------------------------------------------

const viewer = { doc: null, name: "", page: 1, pages: 1, crops: null, zoom: 1 };

async function openViewer(docId, fileName, page, crops) {
  const doc = state.documents.find((d) => d.id === docId);
  Object.assign(viewer, { doc: docId, name: fileName, page, pages: doc ? doc.pages : page, crops });
  applyZoom();  // before it opens: a button disabled after taking the focus would drop it
  if (!$("page-dialog").open) $("page-dialog").showModal();
  await showViewerPage();
}

function applyZoom() {
  $("page-dialog-frame").style.width = `${Math.round(100 * viewer.zoom)}%`;
  $("zoom-out").disabled = viewer.zoom <= 1;
  $("zoom-in").disabled = viewer.zoom >= 4;
}

async function showViewerPage() {
  const { doc, name, page, pages, crops } = viewer;
  $("page-dialog-title").textContent = t("pageOfPages", name, page, pages);
  $("page-prev").disabled = page <= 1;
  $("page-next").disabled = page >= pages;
  const frame = $("page-dialog-frame");
  const img = el("img", { alt: t("pageOf", name, page) });
  frame.replaceChildren(img);
  applyZoom();
  const cited = crops && crops.pages.get(`${doc}/${page}`);
  let first = null;
  if (cited && cited.page_width && cited.page_height) {
    for (const [x0, y0, x1, y1] of cited.boxes) {
      // An outline around the region, clear of its text: the row it marks stays readable, on a phone too.
      const box = el("div", { class: "highlight", "data-testid": "highlight" });
      box.style.left = `${(100 * x0) / cited.page_width}%`;
      box.style.top = `${(100 * y0) / cited.page_height}%`;
      box.style.width = `${(100 * (x1 - x0)) / cited.page_width}%`;
      box.style.height = `${(100 * (y1 - y0)) / cited.page_height}%`;
      frame.append(box);
      first = first || box;
    }
  }
  try { img.src = await imageUrl(`/v1/documents/${doc}/pages/${page}/image`); }
  catch (err) { frame.replaceChildren(el("p", { class: "error", text: t("cannotShow", err.message) })); return; }
  if (first) { await img.decode().catch(() => {}); first.scrollIntoView({ block: "center", inline: "center" }); }
}

$("page-prev").addEventListener("click", () => { if (viewer.page > 1) { viewer.page--; showViewerPage(); } });
$("page-next").addEventListener("click", () => { if (viewer.page < viewer.pages) { viewer.page++; showViewerPage(); } });
$("zoom-in").addEventListener("click", () => { viewer.zoom = Math.min(4, viewer.zoom * 1.5); applyZoom(); });
$("zoom-out").addEventListener("click", () => { viewer.zoom = Math.max(1, viewer.zoom / 1.5); applyZoom(); });
document.addEventListener("keydown", (e) => {  // wherever the focus is while the viewer is open
  if (!$("page-dialog").open) return;
  if (e.key === "ArrowLeft") $("page-prev").click();
  else if (e.key === "ArrowRight") $("page-next").click();
  else if (e.key === "+" || e.key === "=") $("zoom-in").click();
  else if (e.key === "-") $("zoom-out").click();
});
$("page-dialog").addEventListener("close", () => { viewer.zoom = 1; });

// ---- documents and uploads ----------------------------------------------------------------------

async function loadDocuments() {
  const list = $("documents");
  try {
    state.documents = await (await api("/v1/documents")).json();
    list.replaceChildren(...state.documents.map((d) => el("li", {},
      el("span", { class: "name", text: d.file_name }),
      el("span", { class: "meta", text: t("docMeta", d.pages, d.tags.join(", ")) }),
      el("button", { type: "button", class: "small", text: t("view"), "aria-label": t("viewOf", d.file_name),
        onclick: () => openViewer(d.id, d.file_name, 1, null) }),
      el("button", { type: "button", class: "small", text: t("delete"), "aria-label": t("deleteOf", d.file_name),
        onclick: async () => {
          if (!confirm(t("confirmDeleteDoc", d.file_name))) return;
          await guarded(async () => { await api(`/v1/documents/${d.id}`, { method: "DELETE" }); await loadDocuments(); });
        } }))));
    if (!state.documents.length) list.append(el("li", { class: "empty", text: t("noDocumentsYet") }));
    showScope();
  } catch (err) {
    list.replaceChildren(el("li", { class: "error", text: t("cannotListDocs", err.message) }));
    throw err;
  }
}

// Each file is its own upload, so its progress, its error and its Cancel button are its own.
function uploadOne(file, tags) {
  const status = el("span", { text: t("uploading") });
  const bar = el("progress", { max: "100", value: "0", "aria-label": t("progressOf", file.name) });
  const cancel = el("button", { type: "button", class: "small", text: t("cancel"), "aria-label": t("cancelOf", file.name) });
  const item = el("li", { class: "upload-item" }, el("div", { text: file.name }), bar, status, cancel);
  $("uploads").prepend(item);
  const fail = (why) => { item.classList.add("failed"); status.textContent = t("uploadFailed", why); bar.remove(); cancel.remove(); };
  return new Promise((resolve) => {
    const form = new FormData();
    form.append("files", file);
    if (tags) form.append("tags", tags);
    const xhr = new XMLHttpRequest();
    cancel.addEventListener("click", () => xhr.abort(), { once: true });  // while its bytes are sent
    xhr.open("POST", "/v1/documents");
    for (const [name, value] of Object.entries(headers())) xhr.setRequestHeader(name, value);
    xhr.upload.addEventListener("progress", (e) => {
      if (e.lengthComputable) bar.value = Math.round((50 * e.loaded) / e.total);
    });
    xhr.addEventListener("abort", () => { fail(t("cancelled")); resolve(); });
    xhr.addEventListener("error", () => { fail(t("unreachable")); resolve(); });
    xhr.addEventListener("load", async () => {
      let body = {};
      try { body = JSON.parse(xhr.responseText); } catch (e) { /* not JSON */ }
      if (xhr.status !== 202) { fail(typeof body.detail === "string" ? body.detail : `${xhr.status}`); resolve(); return; }
      status.textContent = t("reading");
      cancel.addEventListener("click", () => guarded(async () => {  // the server stops reading it
        cancel.disabled = true;
        await api(`/v1/jobs/${body.id}`, { method: "DELETE" });
      }), { once: true });
      try {
        for (;;) {
          const job = await (await api(`/v1/jobs/${body.id}`)).json();
          const entry = job.files[0] || {};
          if (entry.pages_total) bar.value = 50 + Math.round((50 * entry.pages_done) / entry.pages_total);
          if (job.status === "done") {
            if (entry.status === "failed") fail(entry.error || t("unreadable"));
            else if (entry.status === "cancelled") fail(t("cancelled"));
            else { item.classList.add("done"); bar.value = 100; status.textContent = t("doneStatus", t(`st_${entry.status}`), entry.pages_total); cancel.remove(); }
            break;
          }
          status.textContent = entry.pages_total ? t("pageProgress", entry.pages_done, entry.pages_total) : t("reading");
          await new Promise((r) => setTimeout(r, 600));
        }
      } catch (err) { fail(err.message); }
      resolve();
    });
    xhr.send(form);
  });
}

async function uploadFiles(files, tags) {
  if (!files.length) return;
  await Promise.all([...files].map((f) => uploadOne(f, tags)));
  await loadDocuments().catch(() => {});
}

$("upload-form").addEventListener("submit", async (e) => {
  e.preventDefault();
  const files = [...$("files").files];
  if (!files.length) { showStatus(t("chooseFirst")); return; }
  const tags = $("tags").value.trim();  // read before the form is cleared
  $("upload-form").reset();
  $("upload-button").textContent = t("upload");
  await uploadFiles(files, tags);
});
$("files").addEventListener("change", () => {
  const n = $("files").files.length;
  $("upload-button").textContent = n ? t("uploadN", n) : t("upload");
});
const dropzone = $("dropzone");
dropzone.addEventListener("dragover", (e) => { e.preventDefault(); dropzone.classList.add("over"); });
dropzone.addEventListener("dragleave", () => dropzone.classList.remove("over"));
dropzone.addEventListener("drop", (e) => {
  e.preventDefault();
  dropzone.classList.remove("over");
  uploadFiles(e.dataTransfer.files, $("tags").value.trim());
});

// ---- narrow screens: the sidebar opens from the header ----------------------------------------------

function closeMenu() {
  $("sidebar").classList.remove("open");
  $("menu-button").setAttribute("aria-expanded", "false");
}
$("menu-button").addEventListener("click", () => {
  const open = $("sidebar").classList.toggle("open");
  $("menu-button").setAttribute("aria-expanded", String(open));
});

// The lists and the open conversation; true when the server answered (the key, if any, works).
async function start() {
  showStatus("");  // a stale complaint (a wrong key since corrected) goes; a new one shows again
  let ok = true;
  try { await loadDocuments(); } catch (err) { ok = false; }
  try { await loadConversations(); } catch (err) { ok = false; }
  const id = currentId();
  if (id) await openConversation(id, { push: false });
  else newConversation({ push: false, quiet: true });
  document.body.dataset.ready = "true";
  return ok;
}

window.pagesightStrings.translate(document);
showMode();
start();
