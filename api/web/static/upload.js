// A batch from a CSV upload: the file is read here and previewed; "Upload" sends it to POST /api/candidates/bulk
// (all or nothing), whose validation messages are shown on the rows they concern, then creates the batch.
import { ApiError, api, clearError, clearFieldError, el, showFieldError, wireSignOut } from "./api.js";
import { headerProblems, parseCsv, toCandidate } from "./csv-parse.js";

const MAX_ROWS = 10000;
const $ = (id) => document.getElementById(id);
const fileInput = $("csv-file");
const previewSection = $("preview-section");
const previewHead = $("preview").querySelector("thead");
const previewBody = $("preview").querySelector("tbody");
const createButton = $("create-batch");

let parsed = null; // {header, rows, candidates}

function problemCell(index) {
  return previewBody.querySelector(`tr[data-row="${index}"] td.problem`);
}

function renderPreview(header, rows) {
  previewHead.replaceChildren(el("tr", {}, el("th", { scope: "col", text: "Row" }),
    ...header.map((h) => el("th", { scope: "col", text: h })), el("th", { scope: "col", text: "Problems" })));
  previewBody.replaceChildren(...rows.map((cells, index) => el("tr", { "data-row": String(index) },
    el("th", { scope: "row", text: String(index + 2) }), // the file's own line number (the header is line 1)
    ...header.map((name, col) => el("td", { "data-column": name, text: cells[col] ?? "" })),
    el("td", { class: "problem" }))));
  $("preview-summary").textContent = `${rows.length} candidate${rows.length === 1 ? "" : "s"} read from the file. Nothing is saved until you upload.`;
  previewSection.hidden = false;
}

function clearRowProblems() {
  for (const row of previewBody.querySelectorAll("tr.invalid")) {
    row.classList.remove("invalid");
    row.querySelector("td.problem").replaceChildren();
    for (const cell of row.querySelectorAll('td[aria-invalid="true"]')) cell.removeAttribute("aria-invalid");
  }
}

/** The API's errors, each on its row (loc ["candidates", i, field, ...]); the rest beside the button. */
function showRowProblems(err) {
  const general = [];
  const rows = new Set();
  for (const problem of err.errors || []) {
    const [where, index, field] = problem.loc || [];
    const cell = where === "candidates" && Number.isInteger(index) ? problemCell(index) : null;
    if (!cell) {
      general.push(problem);
      continue;
    }
    const row = cell.closest("tr");
    row.classList.add("invalid");
    rows.add(index);
    cell.append(el("div", { text: `${field ?? "row"}: ${problem.message}` }));
    const column = field === "consent" ? `consent_${problem.loc[3] || "source"}` : field === "fields" ? problem.loc[3] : field;
    row.querySelector(`td[data-column="${CSS.escape(String(column))}"]`)?.setAttribute("aria-invalid", "true");
  }
  const lines = [...rows].sort((a, b) => a - b).map((i) => i + 2);
  const which = lines.length
    ? `${lines.length} row${lines.length === 1 ? " has" : "s have"} problems (line${lines.length === 1 ? "" : "s"} ${lines.slice(0, 20).join(", ")}${lines.length > 20 ? ", …" : ""}); fix the file and choose it again`
    : err.message;
  showFieldError(createButton, "Nothing was saved", new ApiError(err.status, which, general));
  previewBody.querySelector("tr.invalid")?.scrollIntoView({ block: "center" });
}

async function readFile() {
  clearFieldError(fileInput);
  clearFieldError(createButton);
  clearError($("error"));
  previewSection.hidden = true;
  parsed = null;
  const file = fileInput.files[0];
  if (!file) return;
  try {
    const rows = parseCsv(await file.text());
    if (!rows.length) throw new Error("the file is empty");
    const header = rows[0].map((h) => h.trim());
    const problems = headerProblems(header);
    if (problems.length) throw new Error(problems.join("; "));
    const body = rows.slice(1);
    if (!body.length) throw new Error("the file has a header row but no candidates");
    if (body.length > MAX_ROWS) throw new Error(`at most ${MAX_ROWS} candidates per batch (the file has ${body.length}); split it`);
    parsed = { header, rows: body, candidates: body.map((cells) => toCandidate(header, cells)) };
    renderPreview(header, body);
  } catch (err) {
    showFieldError(fileInput, `Could not read ${file.name}`, err);
  }
}

async function createBatch() {
  if (!parsed) return;
  clearFieldError(createButton);
  clearFieldError($("max-attempts"));
  clearFieldError($("batch-name"));
  clearRowProblems();
  const maxAttempts = Number($("max-attempts").value);
  createButton.disabled = true;
  try {
    let saved;
    try {
      saved = await api("/api/candidates/bulk", { method: "POST", body: { candidates: parsed.candidates } });
    } catch (err) {
      if (err instanceof ApiError && err.status === 422) {
        showRowProblems(err);
        return;
      }
      throw err;
    }
    const ids = new Map(saved.items.map((item) => [item.external_id, item.id]));
    const body = { candidate_ids: parsed.candidates.map((c) => ids.get(c.external_id.trim())) };
    const name = $("batch-name").value.trim();
    if (name) body.name = name;
    if (Number.isInteger(maxAttempts) && maxAttempts > 0) body.max_attempts = maxAttempts;
    let batch;
    try {
      batch = await api("/api/batches", { method: "POST", body });
    } catch (err) {
      const control = { max_attempts: $("max-attempts"), name: $("batch-name") }[err.errors?.[0]?.loc?.[0]];
      if (!control) throw err;
      showFieldError(control, "The candidates were saved, but the batch was not created", err);
      control.focus();
      return;
    }
    $("announce").textContent = `${saved.created} new and ${saved.updated} updated candidates; batch ${batch.name || batch.id} created.`;
    location.assign(`/web/#batch=${encodeURIComponent(batch.id)}`);
  } catch (err) {
    showFieldError(createButton, "Could not create the batch", err);
  } finally {
    createButton.disabled = false;
  }
}

fileInput.addEventListener("change", readFile);
createButton.addEventListener("click", createBatch);
$("upload").addEventListener("submit", (event) => event.preventDefault());
wireSignOut($("sign-out"), $("error"));
