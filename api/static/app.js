// PageSight's chat page: plain JavaScript against the REST API, no build step.
// Conversations live on the server (/v1/conversations); the page keeps only the API key and which
// conversation is open (in the address, #c=<id>). Document text and file names are inserted as text
// (textContent), never as HTML.
"use strict";

const $ = (id) => document.getElementById(id);
const state = {
  conversation: null,      // the open conversation (with its messages), or null before the first question
  pendingScope: { documents: null, tags: null },  // the scope chosen before the first question
  documents: [],           // the collection's documents
  busy: false,
  waiting: false,  // a question was sent while an answer was still coming: it goes next
};

// ---- the API ------------------------------------------------------------------------------------

const keyInput = $("api-key");
keyInput.value = localStorage.getItem("pagesight-key") || "";
keyInput.addEventListener("change", () => {
  localStorage.setItem("pagesight-key", keyInput.value.trim());
  // The address names the open conversation: back, forward and a pasted link open it.
window.addEventListener("hashchange", () => {
  const id = currentId();
  if (id && (!state.conversation || state.conversation.id !== id)) openConversation(id);
});

start();
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
    throw new ApiError(0, "cannot reach the PageSight server");
  }
  if (!response.ok) {
    let detail = response.statusText;
    try {
      const body = await response.json();
      detail = typeof body.detail === "string" ? body.detail
        : (body.detail || []).map((d) => `${(d.loc || []).slice(1).join(".")}: ${d.msg}`).join("; ") || detail;
    } catch (e) { /* not JSON */ }
    if (response.status === 401) {
      showStatus("The server asks for an API key: enter it under \"API key\".");
      document.querySelector(".settings").open = true;
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

// ---- conversations ------------------------------------------------------------------------------

function currentId() {
  const match = location.hash.match(/^#c=([0-9a-f]{32})$/);
  return match ? match[1] : null;
}

async function loadConversations() {
  const list = $("conversation-list");
  try {
    const conversations = await (await api("/v1/conversations")).json();
    list.replaceChildren(...conversations.map(conversationItem));
    if (!conversations.length) list.append(el("li", { class: "empty", text: "None yet: ask a question." }));
  } catch (err) {
    list.replaceChildren(el("li", { class: "error", text: `Cannot list conversations: ${err.message}` }));
  }
}

function conversationItem(c) {
  const item = el("li", { "data-id": c.id, class: state.conversation && state.conversation.id === c.id ? "current" : "" });
  const open = el("button", { type: "button", class: "open", text: c.title, onclick: () => openConversation(c.id) });
  if (item.className) open.setAttribute("aria-current", "true");
  const rename = el("button", { type: "button", class: "small", text: "Rename", "aria-label": `Rename ${c.title}`,
    onclick: async () => {
      const title = prompt("New name", c.title);
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
  const remove = el("button", { type: "button", class: "small", text: "Delete", "aria-label": `Delete ${c.title}`,
    onclick: async () => {
      if (!confirm(`Delete the conversation "${c.title}"?`)) return;
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

function newConversation(initial = false) {
  state.conversation = null;
  state.pendingScope = { documents: null, tags: null };
  history.replaceState(null, "", location.pathname);
  $("conversation-title").textContent = "New conversation";
  $("messages").replaceChildren();
  $("empty").hidden = false;
  showScope();
  for (const item of $("conversation-list").children) item.classList.remove("current");
  if (initial) return;  // the page opening: nothing to clear, and the focus stays where the reader is
  $("search-results").hidden = true;
  $("question").focus();
}

async function openConversation(id) {
  try {
    const conversation = await (await api(`/v1/conversations/${id}`)).json();
    state.conversation = conversation;
    history.replaceState(null, "", `#c=${id}`);
    $("conversation-title").textContent = conversation.title;
    $("messages").replaceChildren(...conversation.messages.map((m) => renderMessage(m)));
    $("empty").hidden = conversation.messages.length > 0;
    $("search-results").hidden = true;
    showScope();
    for (const item of $("conversation-list").children) {
      item.classList.toggle("current", item.dataset.id === id);
    }
    closeMenu();
  } catch (err) {
    if (err.status === 404) { newConversation(true); showStatus("That conversation is gone."); }
    else showStatus(`Cannot open the conversation: ${err.message}`);
  }
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
    parts.push(names.length <= 2 ? names.join(", ") : `${names.length} documents`);
  }
  if (tags && tags.length) parts.push(`tags ${tags.join(", ")}`);
  $("scope-button").textContent = `Scope: ${parts.length ? parts.join("; ") : "all documents"}`;
}

$("new-conversation").addEventListener("click", () => newConversation());

// ---- the scope picker ---------------------------------------------------------------------------

$("scope-button").addEventListener("click", () => {
  const { documents, tags } = scopeOf();
  const chosen = new Set(documents || []);
  $("scope-documents").replaceChildren(...state.documents.map((d, i) => el("li", {},
    el("input", { type: "checkbox", id: `scope-doc-${i}`, value: d.id, ...(chosen.has(d.id) ? { checked: "" } : {}) }),
    el("label", { for: `scope-doc-${i}`, text: `${d.file_name} (${d.pages} pages)` }))));
  if (!state.documents.length) $("scope-documents").append(el("li", { text: "No documents yet." }));
  $("scope-tags").value = (tags || []).join(", ");
  $("scope-dialog").showModal();
});

$("scope-dialog").addEventListener("close", async () => {
  if ($("scope-dialog").returnValue !== "save") return;
  const documents = [...$("scope-documents").querySelectorAll("input:checked")].map((i) => i.value);
  const tags = $("scope-tags").value.split(",").map((t) => t.trim()).filter(Boolean);
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
        "aria-label": `Source ${n}: ${citation.file_name}, page ${citation.page}`,
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

// One thumbnail per cited page, cropped to the region its boxes cover, every box drawn.
function cropsOf(citations) {
  const pages = new Map();
  for (const c of citations) {
    const key = `${c.doc_id}/${c.page}`;
    if (!pages.has(key)) pages.set(key, { ...c, boxes: [] });
    if (c.box) pages.get(key).boxes.push(c.box);
  }
  const list = el("ul", { class: "crops", "aria-label": "cited pages" });
  const crops = { list, pages, items: new Map() };
  for (const [key, page] of pages) {
    const canvas = el("canvas", { width: "240", height: "160", role: "img", "data-testid": "crop",
      "data-boxes": String(page.boxes.length),
      "aria-label": `${page.file_name}, page ${page.page}: ${page.boxes.length || "no"} cited region${page.boxes.length === 1 ? "" : "s"}` });
    const button = el("button", { type: "button", "aria-label": `Open ${page.file_name}, page ${page.page}`,
      onclick: () => openViewer(page.doc_id, page.file_name, page.page, crops) },
      canvas, el("span", { class: "caption", text: `${page.file_name}, page ${page.page}` }));
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
    const pad = 0.06 * img.naturalWidth;
    x0 = Math.max(0, x0 - pad); y0 = Math.max(0, y0 - pad);
    x1 = Math.min(img.naturalWidth, x1 + pad); y1 = Math.min(img.naturalHeight, y1 + pad);
  }
  const width = 480, height = Math.max(60, Math.min(480, Math.round(width * (y1 - y0) / Math.max(1, x1 - x0))));
  canvas.width = width; canvas.height = height;
  const scale = Math.min(width / (x1 - x0), height / (y1 - y0));
  const context = canvas.getContext("2d");
  context.fillStyle = "#fff";
  context.fillRect(0, 0, width, height);
  context.drawImage(img, x0, y0, x1 - x0, y1 - y0, 0, 0, (x1 - x0) * scale, (y1 - y0) * scale);
  context.strokeStyle = "#d9480f";
  context.lineWidth = 3;
  for (const b of page.boxes) {
    context.strokeRect((b[0] * sx - x0) * scale, (b[1] * sy - y0) * scale, (b[2] - b[0]) * sx * scale,
      (b[3] - b[1]) * sy * scale);
  }
}

function notices(message) {
  const out = [];
  if (message.abstained) out.push(el("p", { class: "notice", text: "The pages found do not answer this question." }));
  const unsupported = (message.claims || []).filter((c) => c.supported === false);
  for (const claim of unsupported) {
    out.push(el("p", { class: "notice", text: `Not borne out by the page it cites: "${claim.text}"` }));
  }
  return out;
}

// A stored message, or (with `live`) one being asked: returns the nodes to fill as it streams.
function renderMessage(message, live = false) {
  const item = el("li", { class: "turn" });
  item.append(el("div", { class: "question" }, el("span", { class: "visually-hidden", text: "You asked: " }),
    message.question));
  const standalone = el("p", { class: "standalone" });
  const setStandalone = (text) => { standalone.textContent = text ? `Searched as: ${text}` : ""; standalone.hidden = !text; };
  setStandalone(message.standalone);
  const answer = el("div", { class: "answer", ...(live ? { "aria-live": "polite", "aria-busy": "true" } : {}) });
  const extra = el("div", {});
  item.append(standalone, answer, extra);
  const finish = (m) => {
    const crops = cropsOf(m.citations || []);
    if (m.error) {
      answer.textContent = m.answer ? m.answer : "";
      answer.append(el("p", { class: "error", text: `The answer failed: ${m.error}` }));
    } else {
      answerText(answer, m.answer, m.citations || [], crops);
    }
    extra.replaceChildren(...notices(m), crops.list);
    answer.setAttribute("aria-busy", "false");
  };
  if (!live) finish(message);
  return live ? { item, answer, setStandalone, finish } : item;
}

async function ask(question) {
  if (!state.conversation) {
    const created = await (await api("/v1/conversations", json(state.pendingScope))).json();
    state.conversation = { ...created, messages: [] };
    history.replaceState(null, "", `#c=${created.id}`);
    $("conversation-title").textContent = created.title;
  }
  $("empty").hidden = true;
  const live = renderMessage({ question }, true);
  $("messages").append(live.item);
  live.item.scrollIntoView({ block: "end" });
  let streamed = "";
  try {
    const response = await api(`/v1/conversations/${state.conversation.id}/messages`, json({ question, stream: true }));
    for await (const { event, data } of events(response)) {
      if (event === "pages") live.setStandalone(data.rewritten_by ? data.question : "");
      else if (event === "delta") { streamed += data.text; live.answer.textContent = streamed; }
      else if (event === "message") { live.finish(data); state.conversation.messages.push(data); }
      else if (event === "error") throw new ApiError(500, data.detail);
    }
  } catch (err) {
    live.finish({ answer: streamed, error: err.message, citations: [] });
  }
  await loadConversations();
  const title = ($("conversation-list").querySelector(`[data-id="${state.conversation.id}"] .open`) || {}).textContent;
  if (title) $("conversation-title").textContent = title;
}

// ---- search -------------------------------------------------------------------------------------

function marked(text, query) {
  const words = [...new Set(query.toLowerCase().match(/[a-z0-9]{3,}/g) || [])];
  const out = el("p", { class: "snippet" });
  if (!words.length) { out.textContent = text; return out; }
  const pattern = new RegExp(`\\b(${words.map((w) => w.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")).join("|")})`, "gi");
  let last = 0;
  for (const match of text.matchAll(pattern)) {
    out.append(text.slice(last, match.index), el("mark", { text: match[0] }));
    last = match.index + match[0].length;
  }
  out.append(text.slice(last));
  return out;
}

async function search(query) {
  const box = $("search-results");
  box.hidden = false;
  box.replaceChildren(el("h3", { text: `Pages for "${query}"` }));
  const { documents, tags } = scopeOf();
  try {
    const result = await (await api("/v1/search", json({ query, k: 10, documents, tags }))).json();
    if (!result.hits.length) { box.append(el("p", { text: "No page matches." })); return; }
    box.append(el("ol", { class: "hits" }, ...result.hits.map((hit) => el("li", {},
      el("div", { class: "where", text: `${hit.file_name}, page ${hit.page}` }),
      marked(hit.text || "", query),
      el("div", { class: "found", text: `found by ${hit.channels.join(", ")}; score ${hit.score.toFixed(3)}` }),
      el("button", { type: "button", class: "small", text: "Open page",
        "aria-label": `Open ${hit.file_name}, page ${hit.page}`,
        onclick: () => openViewer(hit.doc_id, hit.file_name, hit.page, null) })))));
  } catch (err) {
    box.append(el("p", { class: "error", text: `The search failed: ${err.message}` }));
  }
  box.scrollIntoView({ block: "nearest" });
}

$("ask-form").addEventListener("submit", async (e) => {
  e.preventDefault();
  const text = $("question").value.trim();
  if (!text) return;
  if (state.busy) {  // sent as soon as the answer before it has finished, never dropped
    state.waiting = true;
    showStatus("Your question is sent when the answer before it has finished.");
    return;
  }
  state.busy = true;
  $("ask-button").disabled = true;
  try {
    if ($("mode-search").checked) await search(text);
    else { $("question").value = ""; await ask(text); }
    showStatus("");
  } catch (err) {
    showStatus(err.message);
  } finally {
    state.busy = false;
    $("ask-button").disabled = false;
    $("question").focus();
    if (state.waiting) {
      state.waiting = false;
      $("ask-form").requestSubmit();
    }
  }
});

$("question").addEventListener("keydown", (e) => {
  if (e.key === "Enter" && !e.shiftKey) { e.preventDefault(); $("ask-form").requestSubmit(); }
});

for (const radio of document.querySelectorAll("input[name=mode]")) {
  radio.addEventListener("change", () => {
    $("ask-button").textContent = $("mode-search").checked ? "Search" : "Send";
    $("question").placeholder = $("mode-search").checked ? "Search the pages (Enter to search)"
      : "Ask a question (Enter to send, Shift+Enter for a new line)";
  });
}

// ---- the page viewer ----------------------------------------------------------------------------

const viewer = { doc: null, name: "", page: 1, pages: 1, crops: null };

async function openViewer(docId, fileName, page, crops) {
  const doc = state.documents.find((d) => d.id === docId);
  Object.assign(viewer, { doc: docId, name: fileName, page, pages: doc ? doc.pages : page, crops });
  if (!$("page-dialog").open) $("page-dialog").showModal();
  await showViewerPage();
}

async function showViewerPage() {
  const { doc, name, page, pages, crops } = viewer;
  $("page-dialog-title").textContent = `${name}, page ${page} of ${pages}`;
  $("page-prev").disabled = page <= 1;
  $("page-next").disabled = page >= pages;
  const frame = $("page-dialog-frame");
  const img = el("img", { alt: `${name}, page ${page}` });
  frame.replaceChildren(img);
  const cited = crops && crops.pages.get(`${doc}/${page}`);
  if (cited && cited.page_width && cited.page_height) {
    for (const [x0, y0, x1, y1] of cited.boxes) {
      const box = el("div", { class: "highlight", "data-testid": "highlight" });
      box.style.left = `${(100 * x0) / cited.page_width}%`;
      box.style.top = `${(100 * y0) / cited.page_height}%`;
      box.style.width = `${(100 * (x1 - x0)) / cited.page_width}%`;
      box.style.height = `${(100 * (y1 - y0)) / cited.page_height}%`;
      frame.append(box);
    }
  }
  try { img.src = await imageUrl(`/v1/documents/${doc}/pages/${page}/image`); }
  catch (err) { frame.replaceChildren(el("p", { class: "error", text: `Cannot show the page: ${err.message}` })); }
}

$("page-prev").addEventListener("click", () => { if (viewer.page > 1) { viewer.page--; showViewerPage(); } });
$("page-next").addEventListener("click", () => { if (viewer.page < viewer.pages) { viewer.page++; showViewerPage(); } });
$("page-dialog").addEventListener("keydown", (e) => {
  if (e.key === "ArrowLeft") $("page-prev").click();
  else if (e.key === "ArrowRight") $("page-next").click();
});

// ---- documents and uploads ----------------------------------------------------------------------

async function loadDocuments() {
  const list = $("documents");
  try {
    state.documents = await (await api("/v1/documents")).json();
    list.replaceChildren(...state.documents.map((d) => el("li", {},
      el("span", { class: "name", text: d.file_name }),
      el("span", { class: "meta", text: `${d.pages} page${d.pages === 1 ? "" : "s"}${d.tags.length ? ` · ${d.tags.join(", ")}` : ""}` }),
      el("button", { type: "button", class: "small", text: "View", "aria-label": `View ${d.file_name}`,
        onclick: () => openViewer(d.id, d.file_name, 1, null) }),
      el("button", { type: "button", class: "small", text: "Delete", "aria-label": `Delete ${d.file_name}`,
        onclick: async () => {
          if (!confirm(`Delete ${d.file_name}?`)) return;
          await guarded(async () => { await api(`/v1/documents/${d.id}`, { method: "DELETE" }); await loadDocuments(); });
        } }))));
    if (!state.documents.length) list.append(el("li", { class: "empty", text: "No documents yet: upload some." }));
    showScope();
  } catch (err) {
    list.replaceChildren(el("li", { class: "error", text: `Cannot list documents: ${err.message}` }));
  }
}

// Each file is its own upload, so its progress and its error are its own.
function uploadOne(file, tags) {
  const status = el("span", { text: "uploading" });
  const bar = el("progress", { max: "100", value: "0", "aria-label": `${file.name} progress` });
  const item = el("li", { class: "upload-item" }, el("div", { text: file.name }), bar, status);
  $("uploads").prepend(item);
  const fail = (why) => { item.classList.add("failed"); status.textContent = `failed: ${why}`; bar.remove(); };
  return new Promise((resolve) => {
    const form = new FormData();
    form.append("files", file);
    if (tags) form.append("tags", tags);
    const xhr = new XMLHttpRequest();
    xhr.open("POST", "/v1/documents");
    for (const [name, value] of Object.entries(headers())) xhr.setRequestHeader(name, value);
    xhr.upload.addEventListener("progress", (e) => {
      if (e.lengthComputable) bar.value = Math.round((50 * e.loaded) / e.total);
    });
    xhr.addEventListener("error", () => { fail("cannot reach the server"); resolve(); });
    xhr.addEventListener("load", async () => {
      let body = {};
      try { body = JSON.parse(xhr.responseText); } catch (e) { /* not JSON */ }
      if (xhr.status !== 202) { fail(typeof body.detail === "string" ? body.detail : `${xhr.status}`); resolve(); return; }
      status.textContent = "reading pages";
      try {
        for (;;) {
          const job = await (await api(`/v1/jobs/${body.id}`)).json();
          const entry = job.files[0] || {};
          if (entry.pages_total) bar.value = 50 + Math.round((50 * entry.pages_done) / entry.pages_total);
          if (job.status === "done") {
            if (entry.status === "failed") fail(entry.error || "could not be read");
            else { item.classList.add("done"); bar.value = 100; status.textContent = `${entry.status}, ${entry.pages_total} pages`; }
            break;
          }
          status.textContent = entry.pages_total ? `page ${entry.pages_done} of ${entry.pages_total}` : "reading pages";
          await new Promise((r) => setTimeout(r, 600));
        }
      } catch (err) { fail(err.message); }
      resolve();
    });
    xhr.send(form);
  });
}

async function uploadFiles(files) {
  if (!files.length) return;
  const tags = $("tags").value.trim();
  await Promise.all([...files].map((f) => uploadOne(f, tags)));
  await loadDocuments();
}

$("upload-form").addEventListener("submit", async (e) => {
  e.preventDefault();
  const files = [...$("files").files];
  if (!files.length) { showStatus("Choose files to upload first."); return; }
  $("upload-form").reset();
  await uploadFiles(files);
});
$("files").addEventListener("change", () => {
  const n = $("files").files.length;
  $("upload-button").textContent = n ? `Upload ${n} file${n === 1 ? "" : "s"}` : "Upload";
});
const dropzone = $("dropzone");
dropzone.addEventListener("dragover", (e) => { e.preventDefault(); dropzone.classList.add("over"); });
dropzone.addEventListener("dragleave", () => dropzone.classList.remove("over"));
dropzone.addEventListener("drop", (e) => {
  e.preventDefault();
  dropzone.classList.remove("over");
  uploadFiles(e.dataTransfer.files);
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

async function start() {
  showStatus("");  // a stale complaint (a wrong key since corrected) goes; a new one shows again
  await loadDocuments();
  await loadConversations();
  const id = currentId();
  if (id) await openConversation(id);
  else newConversation(true);
  document.body.dataset.ready = "true";
}

// The address names the open conversation: back, forward and a pasted link open it.
window.addEventListener("hashchange", () => {
  const id = currentId();
  if (id && (!state.conversation || state.conversation.id !== id)) openConversation(id);
});

start();
