// The service's own page: plain JavaScript over the REST API and the SignalR hub, nothing fetched elsewhere.
"use strict";
const $ = (id) => document.getElementById(id);
const state = { jobId: null, connection: null };

const token = () => $("token").value.trim();
$("token").value = localStorage.getItem("akkaocr.token") || "";
$("token").addEventListener("change", () => { localStorage.setItem("akkaocr.token", token()); loadHistory(); });

// Every call carries the token; a refusal becomes an error with the service's own reason.
async function authorized(path, options = {}) {
  const response = await fetch(path, { ...options, headers: { ...(options.headers || {}), Authorization: "Bearer " + token() } });
  if (!response.ok) {
    const body = await response.json().catch(() => null);
    throw new Error((body && (body.error || body.detail)) || `HTTP ${response.status}`);
  }
  return response;
}

async function api(path, options = {}) {
  const response = await authorized(path, options);
  return response.status === 204 ? null : await response.json().catch(() => null);
}

function showError(message) { $("error").textContent = message || ""; }

function percent(p) { return `${Math.round(p)} %`; }

function showStatus(s) {
  $("job").hidden = false;
  $("job-id").textContent = s.job_id;
  if (s.file_name) $("job-file").textContent = s.file_name;
  $("job-status").textContent = s.status;
  $("job-message").textContent = s.message || "";
  $("job-progress").value = s.progress;
  $("job-progress").textContent = percent(s.progress);
  $("job-percent").textContent = percent(s.progress);
  $("cancel").disabled = !(s.status === "pending" || s.status === "processing");
}

const formats = [
  ["json", "JSON"], ["txt", "text"], ["hocr", "hOCR"], ["alto", "ALTO XML"], ["pdf", "searchable PDF"], ["md", "Markdown"],
];
const extension = { json: "json", txt: "txt", hocr: "hocr.html", alto: "alto.xml", pdf: "pdf", md: "md" };

async function fetchBlob(path) {
  return (await authorized(path)).blob();
}

function showDownloads(jobId, result) {
  const list = $("downloads");
  list.replaceChildren();
  const drawable = result.pages.every((p) => p.width > 0 && (p.words.length > 0 || !p.text.trim()));
  for (const [format, label] of formats) {
    if (!drawable && (format === "hocr" || format === "alto" || format === "pdf")) continue;
    const button = document.createElement("button");
    button.type = "button";
    button.textContent = `Download ${label}`;
    button.dataset.format = format;
    button.addEventListener("click", async () => {
      try {
        const blob = await fetchBlob(`/api/ocr/job/${jobId}/result/?format=${format}`);
        const a = document.createElement("a");
        a.href = URL.createObjectURL(blob);
        a.download = `${jobId}.${extension[format]}`;
        document.body.append(a);
        a.click();
        a.remove();
        setTimeout(() => URL.revokeObjectURL(a.href), 10000);
      } catch (e) { showError(e.message); }
    });
    const item = document.createElement("li");
    item.append(button);
    list.append(item);
  }
  list.hidden = false;
}

// The image is fetched with the token (an <img> cannot send one) and shown as a data URL.
function dataUrl(blob) {
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => resolve(reader.result);
    reader.onerror = () => reject(reader.error);
    reader.readAsDataURL(blob);
  });
}

/** The page's image with a box over every word (scaled from the page's pixels to the image shown). */
async function drawPage(jobId, page, container) {
  if (!page.words.length || !page.width) return;
  const figure = document.createElement("figure");
  figure.className = "scan";
  const image = document.createElement("img");
  image.alt = `Page ${page.page_number} as scanned, ${page.words.length} words outlined`;
  const overlay = document.createElementNS("http://www.w3.org/2000/svg", "svg");
  overlay.setAttribute("viewBox", `0 0 ${page.width} ${page.height}`);
  overlay.setAttribute("aria-hidden", "true");
  overlay.classList.add("words");
  for (const word of page.words) {
    const [x0, y0, x1, y1] = word.box;
    const rect = document.createElementNS("http://www.w3.org/2000/svg", "rect");
    rect.setAttribute("x", x0); rect.setAttribute("y", y0);
    rect.setAttribute("width", x1 - x0); rect.setAttribute("height", y1 - y0);
    rect.classList.add(word.confidence < 0.6 ? "weak" : "word");
    const title = document.createElementNS("http://www.w3.org/2000/svg", "title");
    title.textContent = `${word.text} (${Math.round(word.confidence * 100)} %)`;
    rect.append(title);
    overlay.append(rect);
  }
  figure.append(image, overlay);
  container.append(figure);
  try {
    image.src = await dataUrl(await fetchBlob(`/api/ocr/job/${jobId}/page/${page.page_number}/image/`));
  } catch (e) { figure.remove(); }
}

async function showResult(jobId) {
  const result = await api(`/api/ocr/job/${jobId}/result/`);
  const pages = $("pages");
  pages.replaceChildren();
  for (const page of result.pages) {
    const block = document.createElement("article");
    block.className = "page";
    const title = document.createElement("h3");
    title.textContent = `Page ${page.page_number} — confidence ${(page.confidence * 100).toFixed(1)} % (${page.source}${page.engine ? ", " + page.engine : ""})`;
    block.append(title);
    if (page.quality && page.quality.verdict !== "ok") {
      const warning = document.createElement("p");
      warning.className = "quality";
      warning.textContent = `Scan quality ${page.quality.verdict}: ${page.quality.issues.map((i) => i.reason).join("; ")}`;
      block.append(warning);
    }
    const text = document.createElement("pre");
    text.textContent = page.text;
    block.append(text);
    pages.append(block);
    drawPage(jobId, page, block);
  }
  const summary = document.createElement("p");
  summary.textContent = `Overall confidence ${(result.confidence_score * 100).toFixed(1)} %, ${result.page_count} page(s), ${result.processing_time} s.`;
  pages.prepend(summary);
  showDownloads(jobId, result);
}

async function follow(jobId) {
  state.jobId = jobId;
  $("pages").replaceChildren();
  $("downloads").hidden = true;
  showStatus(await api(`/api/ocr/job/${jobId}/status/`));
  if (state.connection) await state.connection.stop().catch(() => {});
  const connection = new signalR.HubConnectionBuilder()
    .withUrl("/hubs/ocr", { accessTokenFactory: () => token() })
    .withAutomaticReconnect()
    .build();
  state.connection = connection;
  connection.on("progress", async (message) => {
    if (message.job_id !== state.jobId) return;
    showStatus(message);
    if (message.status === "completed") { await showResult(jobId).catch((e) => showError(e.message)); historyAfterEnd(); }
    else if (message.status === "failed" || message.status === "cancelled") historyAfterEnd();
  });
  await connection.start();
  await connection.invoke("SubscribeJob", jobId);
}

async function upload(file) {
  showError("");
  if (!token()) return showError("Paste a token first.");
  if (!file) return showError("Choose a file first.");
  localStorage.setItem("akkaocr.token", token());
  const form = new FormData();
  form.append("file", file, file.name);
  form.append("engine", $("engine").value);
  try {
    const accepted = await api("/api/ocr/submit/", { method: "POST", body: form });
    await follow(accepted.job_id);
    loadHistory();
  } catch (e) { showError(e.message); }
}

$("upload-form").addEventListener("submit", (e) => { e.preventDefault(); upload($("file").files[0]); });
const drop = $("drop");
drop.addEventListener("dragover", (e) => { e.preventDefault(); drop.classList.add("over"); });
drop.addEventListener("dragleave", () => drop.classList.remove("over"));
drop.addEventListener("drop", (e) => { e.preventDefault(); drop.classList.remove("over"); upload(e.dataTransfer.files[0]); });
drop.addEventListener("keydown", (e) => { if (e.key === "Enter" || e.key === " ") { e.preventDefault(); $("file").click(); } });
$("cancel").addEventListener("click", async () => {
  const jobId = state.jobId;
  try {
    await api(`/api/ocr/job/${jobId}/cancel/`, { method: "POST" });
    // The live feed reports the cancel too, but the page should not depend on it having connected.
    const now = await api(`/api/ocr/job/${jobId}/status/`);
    if (state.jobId === jobId) showStatus(now);
  } catch (e) { showError(e.message); }
});
$("refresh").addEventListener("click", () => loadHistory());

// The history comes from the job index, which may take a moment longer than the progress message to show the end.
function historyAfterEnd() { loadHistory(); setTimeout(loadHistory, 1500); }

async function loadHistory() {
  if (!token()) return;
  try {
    const list = await api("/api/ocr/jobs/?limit=100");
    const rows = list.jobs.map((job) => {
      const row = document.createElement("tr");
      for (const value of [job.file_name, job.status, `${job.pages_done}/${job.page_count ?? "?"}`, new Date(job.created_at).toLocaleString()]) {
        const cell = document.createElement("td");
        cell.textContent = value;
        row.append(cell);
      }
      const open = document.createElement("button");
      open.type = "button";
      open.textContent = "Open";
      open.setAttribute("aria-label", `Open job ${job.file_name}`);
      open.addEventListener("click", async () => {
        await follow(job.job_id);
        if (job.status === "completed") await showResult(job.job_id);
      });
      const cell = document.createElement("td");
      cell.append(open);
      row.append(cell);
      return row;
    });
    $("history").replaceChildren(...rows);
  } catch (e) { showError(e.message); }
}

loadHistory();
