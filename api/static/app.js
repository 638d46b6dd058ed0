// PageSight's chat page: plain JavaScript against the REST API, no build step.
// Document text and file names are inserted as text (textContent), never as HTML.
"use strict";

const $ = (id) => document.getElementById(id);
const keyInput = $("api-key");
keyInput.value = localStorage.getItem("pagesight-key") || "";
keyInput.addEventListener("change", () => {
  localStorage.setItem("pagesight-key", keyInput.value);
  loadDocuments();
});

function headers(extra = {}) {
  const key = keyInput.value.trim();
  return key ? { ...extra, Authorization: `Bearer ${key}` } : extra;
}

async function api(path, options = {}) {
  const response = await fetch(path, { ...options, headers: headers(options.headers) });
  if (!response.ok) {
    let detail = response.statusText;
    try { detail = (await response.json()).detail || detail; } catch (e) { /* not JSON */ }
    throw new Error(`${response.status}: ${typeof detail === "string" ? detail : JSON.stringify(detail)}`);
  }
  return response;
}

// Images need the API key too, so they are fetched and shown from blob URLs.
const imageCache = new Map();
async function imageUrl(path) {
  if (!imageCache.has(path)) {
    imageCache.set(path, api(path).then((r) => r.blob()).then((b) => URL.createObjectURL(b)));
  }
  return imageCache.get(path);
}

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (name === "text") node.textContent = value;
    else node.setAttribute(name, value);
  }
  for (const child of children) node.append(child);
  return node;
}

function highlight(citation) {
  if (!citation.box || !citation.page_width || !citation.page_height) return null;
  const [x0, y0, x1, y1] = citation.box;
  const box = el("div", { class: "highlight", "data-testid": "highlight" });
  box.style.left = `${(100 * x0) / citation.page_width}%`;
  box.style.top = `${(100 * y0) / citation.page_height}%`;
  box.style.width = `${(100 * (x1 - x0)) / citation.page_width}%`;
  box.style.height = `${(100 * (y1 - y0)) / citation.page_height}%`;
  return box;
}

async function showCitation(citation) {
  const base = `/v1/documents/${citation.doc_id}/pages/${citation.page}`;
  const frame = el("div", { class: "page-frame" });
  const img = el("img", { alt: `${citation.file_name}, page ${citation.page}` });
  frame.append(img);
  const mark = highlight(citation);
  if (mark) frame.append(mark);
  const open = el("button", { class: "page-button", "aria-label": `Open ${citation.file_name}, page ${citation.page}` }, frame);
  open.addEventListener("click", () => openPage(citation));
  const item = el("li", { class: "citation" }, open,
    el("p", { text: `[${citation.marker}] ${citation.file_name}, page ${citation.page}` }));
  if (citation.quote) item.append(el("blockquote", { text: citation.quote }));
  $("citations").append(item);
  img.src = await imageUrl(`${base}/thumbnail`);
}

async function openPage(citation) {
  $("page-dialog-title").textContent = `${citation.file_name}, page ${citation.page}`;
  const frame = $("page-dialog-frame");
  frame.replaceChildren();
  const img = el("img", { alt: `${citation.file_name}, page ${citation.page}` });
  frame.append(img);
  const mark = highlight(citation);
  if (mark) frame.append(mark);
  $("page-dialog").showModal();
  $("page-dialog-close").focus();
  img.src = await imageUrl(`/v1/documents/${citation.doc_id}/pages/${citation.page}/image`);
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

$("ask-form").addEventListener("submit", async (e) => {
  e.preventDefault();
  const question = $("question").value.trim();
  if (!question) return;
  const answer = $("answer");
  answer.textContent = "";
  answer.classList.remove("error");
  answer.setAttribute("aria-busy", "true");
  $("citations").replaceChildren();
  $("ask-button").disabled = true;
  try {
    const response = await api("/v1/answer", {
      method: "POST", headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ question, stream: true }),
    });
    for await (const { event, data } of events(response)) {
      if (event === "delta") answer.textContent += data.text;
      else if (event === "citations") {
        answer.textContent = data.answer.text;
        for (const citation of data.citations) await showCitation(citation);
      } else if (event === "error") throw new Error(data.detail);
    }
  } catch (err) {
    answer.textContent = `Error ${err.message}`;
    answer.classList.add("error");
  } finally {
    answer.setAttribute("aria-busy", "false");
    $("ask-button").disabled = false;
  }
});

$("question").addEventListener("keydown", (e) => {
  if (e.key === "Enter" && !e.shiftKey) { e.preventDefault(); $("ask-form").requestSubmit(); }
});

$("upload-form").addEventListener("submit", async (e) => {
  e.preventDefault();
  const form = new FormData();
  for (const file of $("files").files) form.append("files", file);
  if ($("tags").value.trim()) form.append("tags", $("tags").value.trim());
  const line = el("p", { class: "job", text: "uploading..." });
  $("jobs").prepend(line);
  try {
    const job = await (await api("/v1/documents", { method: "POST", body: form })).json();
    $("upload-form").reset();
    await follow(job.id, line);
  } catch (err) {
    line.textContent = `Upload failed: ${err.message}`;
    line.classList.add("error");
  }
});

async function follow(jobId, line) {
  for (;;) {
    const job = await (await api(`/v1/jobs/${jobId}`)).json();
    const files = job.files.map((f) => `${f.name}: ${f.status}${f.error ? ` (${f.error})` : ""}`).join("; ");
    const pages = job.pages_total === null ? `${job.pages_done} pages` : `${job.pages_done} of ${job.pages_total} pages`;
    line.textContent = `${job.status === "done" ? "Done" : "Ingesting"}: ${pages}. ${files}`;
    if (job.status === "done") break;
    await new Promise((r) => setTimeout(r, 700));
  }
  await loadDocuments();
}

async function loadDocuments() {
  const body = $("documents").querySelector("tbody");
  try {
    const documents = await (await api("/v1/documents")).json();
    body.replaceChildren(...documents.map((d) => {
      const remove = el("button", { class: "delete", "aria-label": `Delete ${d.file_name}`, text: "Delete" });
      remove.addEventListener("click", async () => {
        if (!confirm(`Delete ${d.file_name}?`)) return;
        await api(`/v1/documents/${d.id}`, { method: "DELETE" });
        await loadDocuments();
      });
      return el("tr", {}, el("td", { text: d.file_name }), el("td", { text: String(d.pages) }),
        el("td", { text: d.tags.join(", ") }), el("td", {}, remove));
    }));
  } catch (err) {
    body.replaceChildren(el("tr", {}, el("td", { colspan: "4", class: "error", text: `Cannot list documents: ${err.message}` })));
  }
}

loadDocuments();
