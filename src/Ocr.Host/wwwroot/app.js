// The service's own page: plain JavaScript over the REST API and the SignalR hub, nothing fetched elsewhere.
"use strict";
const $ = (id) => document.getElementById(id);
const state = { jobId: null, connection: null };

const token = () => $("token").value.trim();
$("token").value = localStorage.getItem("akkaocr.token") || "";
$("token").addEventListener("change", () => { localStorage.setItem("akkaocr.token", token()); loadHistory(); });

async function api(path, options = {}) {
  const response = await fetch(path, { ...options, headers: { ...(options.headers || {}), Authorization: "Bearer " + token() } });
  const body = response.status === 204 ? null : await response.json().catch(() => null);
  if (!response.ok) throw new Error((body && (body.error || body.detail)) || `HTTP ${response.status}`);
  return body;
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

async function showResult(jobId) {
  const result = await api(`/api/ocr/job/${jobId}/result/`);
  const pages = $("pages");
  pages.replaceChildren();
  for (const page of result.pages) {
    const block = document.createElement("article");
    block.className = "page";
    const title = document.createElement("h3");
    title.textContent = `Page ${page.page_number} — confidence ${(page.confidence * 100).toFixed(1)} % (${page.source}${page.engine ? ", " + page.engine : ""})`;
    const text = document.createElement("pre");
    text.textContent = page.text;
    block.append(title, text);
    pages.append(block);
  }
  const summary = document.createElement("p");
  summary.textContent = `Overall confidence ${(result.confidence_score * 100).toFixed(1)} %, ${result.page_count} page(s), ${result.processing_time} s.`;
  pages.prepend(summary);
  const json = new Blob([JSON.stringify(result, null, 2)], { type: "application/json" });
  const txt = new Blob([result.extracted_text], { type: "text/plain" });
  link("download-json", json, `${jobId}.json`);
  link("download-txt", txt, `${jobId}.txt`);
}

function link(id, blob, name) {
  const a = $(id);
  if (a.href.startsWith("blob:")) URL.revokeObjectURL(a.href);
  a.href = URL.createObjectURL(blob);
  a.download = name;
  a.hidden = false;
}

async function follow(jobId) {
  state.jobId = jobId;
  $("pages").replaceChildren();
  $("download-json").hidden = $("download-txt").hidden = true;
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
  try { await api(`/api/ocr/job/${state.jobId}/cancel/`, { method: "POST" }); } catch (e) { showError(e.message); }
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
