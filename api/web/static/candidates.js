// Candidates: searched and paged (keyset, GET /api/candidates), and one candidate with the record, the calls, and each
// call's answers and transcript; live by server-sent events. Errors appear beside the control that caused them.
import { api, clearError, clearFieldError, el, formatTime, showError, showFieldError, timeElement, wireSignOut } from "./api.js";
import { stateLabel } from "./batch-rows.js";
import { callCandidate } from "./call-action.js";
import { liveUpdates } from "./live.js";
import { showCallRecord } from "./transcript-view.js";

const PAGE = 50;
const $ = (id) => document.getElementById(id);
const params = new URLSearchParams(location.search);
const errorRegion = $("error");

// ---- the list ----
let cursor = null; // after= of the page shown

function candidateRow(c) {
  const missing = c.missing_fields.length ? c.missing_fields.join(", ") : "nothing";
  return el("tr", { "data-id": c.id },
    el("td", { "data-label": "Candidate" }, el("a", { href: `/web/candidates?id=${encodeURIComponent(c.id)}`, text: c.name }),
      el("br"), el("span", { class: "id", text: c.external_id })),
    el("td", { "data-label": "Phone", class: "id", text: c.phone }),
    el("td", { "data-label": "Missing", text: missing }),
    el("td", { "data-label": "Consent", text: c.consent.given ? `given (${c.consent.channel})` : c.consent.withdrawn_at ? "withdrawn" : "none" }),
    el("td", { "data-label": "Updated" }, timeElement(c.updated_at)));
}

function searchQuery(after) {
  const query = new URLSearchParams({ limit: String(PAGE) });
  for (const [name, id] of [["q", "q"], ["missing_field", "missing-field"], ["batch_id", "batch-filter"]]) {
    const value = $(id).value.trim();
    if (value) query.set(name, value);
  }
  if (after) query.set("after", after);
  return query;
}

/** The API's 422 names the parameter: its message goes beside that input. */
function controlFor(err) {
  const name = err.errors?.[0]?.loc?.[1];
  return { q: $("q"), missing_field: $("missing-field"), batch_id: $("batch-filter") }[name] || $("search-button");
}

async function search(after = null) {
  for (const id of ["q", "missing-field", "batch-filter", "search-button"]) clearFieldError($(id));
  try {
    const page = await api(`/api/candidates?${searchQuery(after)}`);
    cursor = after;
    $("candidates").querySelector("tbody").replaceChildren(...page.items.map(candidateRow));
    $("no-candidates").hidden = page.items.length > 0;
    $("next-page").hidden = !page.next_after;
    $("next-page").dataset.after = page.next_after || "";
    $("first-page").hidden = !cursor;
    $("results-title").textContent = `Results (${page.items.length}${page.next_after ? "+" : ""})`;
  } catch (err) {
    const control = controlFor(err);
    showFieldError(control, "Could not search", err);
  }
}

async function loadBatchChoices() {
  try {
    const { items } = await api("/api/batches");
    const select = $("batch-filter");
    for (const b of items) select.append(el("option", { value: b.id, text: b.name || b.id }));
    if (params.get("batch_id")) select.value = params.get("batch_id");
  } catch (err) {
    showError(errorRegion, "Could not load the batches", err);
  }
}

function showList() {
  $("list-view").hidden = false;
  for (const [name, id] of [["q", "q"], ["missing_field", "missing-field"]]) if (params.get(name)) $(id).value = params.get(name);
  $("search").addEventListener("submit", (event) => {
    event.preventDefault();
    search();
  });
  $("next-page").addEventListener("click", () => search($("next-page").dataset.after));
  $("first-page").addEventListener("click", () => search());
  loadBatchChoices().then(() => search());
}

// ---- one candidate ----
function recordList(c) {
  const items = [
    ["External id", c.external_id], ["Phone", c.phone], ["Time zone", c.timezone || "from the number"],
    ["State", c.state || "—"], ["Missing", c.missing_fields.join(", ") || "nothing"],
    ["Consent", c.consent.given ? `${c.consent.source} (${c.consent.channel}, ${formatTime(c.consent.at)})` : c.consent.withdrawn_at ? `withdrawn ${formatTime(c.consent.withdrawn_at)}` : "none recorded"],
    ...Object.entries(c.fields).map(([k, v]) => [k, Array.isArray(v) ? v.join(", ") : String(v ?? "—")]),
  ];
  return items.flatMap(([k, v]) => [el("dt", { text: k }), el("dd", { text: v })]);
}

function attemptsText(call) {
  return call.attempts.map((a) => [`#${a.number}`, a.outcome || (a.answered_at ? "in progress" : "ringing"),
    a.sip_status_code ? `SIP ${a.sip_status_code}` : null, a.duration_s != null ? `${Math.round(a.duration_s)} s` : null,
    formatTime(a.started_at), a.simulated ? "simulated (sandbox)" : null].filter(Boolean).join(" · ")).join("\n") || "not dialled yet";
}

const shown = new Map(); // call id -> signature, so an unchanged call is not re-rendered

async function renderCalls(candidateId) {
  const { items } = await api(`/api/calls?candidate_id=${encodeURIComponent(candidateId)}&limit=100`);
  const body = $("candidate-calls").querySelector("tbody");
  $("no-history").hidden = items.length > 0;
  for (const call of items.reverse()) { // newest first
    let row = body.querySelector(`tr[data-id="${CSS.escape(call.id)}"]`);
    if (!row) {
      row = el("tr", { "data-id": call.id }, ...["Call", "State", "Attempts", "Answers and transcript"].map((l) => el("td", { "data-label": l })));
      row.children[3].append(el("div", { class: "call-record" }));
      body.prepend(row);
    }
    const signature = JSON.stringify(call);
    const record = showCallRecord(row.children[3].firstChild, call.id); // always: new turns change no call field
    if (shown.get(call.id) === signature) {
      await record;
      continue;
    }
    shown.set(call.id, signature);
    row.dataset.state = call.state;
    row.children[0].replaceChildren(el("span", { class: "id", text: call.id }), el("br"), el("span", { class: "muted", text: call.batch_id ? `batch ${call.batch_id}` : "called from the page" }));
    row.children[1].replaceChildren(el("span", { class: `badge ${call.state}`, text: stateLabel(call.state) }), call.last_outcome ? ` ${call.last_outcome.replaceAll("_", " ")}` : "");
    row.children[2].replaceChildren(el("span", { class: "attempt-lines", text: attemptsText(call) }));
    await record;
  }
}

async function refreshCandidate(id) {
  try {
    const c = await api(`/api/candidates/${encodeURIComponent(id)}`);
    document.title = `${c.name} · Dialer`;
    $("candidate-name").textContent = c.name;
    $("record").replaceChildren(...recordList(c));
    $("call-this").setAttribute("aria-label", `Call ${c.name} now`);
    $("call-this").dataset.name = c.name;
    await renderCalls(id);
    if (errorRegion.dataset.source === "load") clearError(errorRegion);
  } catch (err) {
    showError(errorRegion, "Could not load the candidate", err);
    errorRegion.dataset.source = "load";
  }
}

function showDetail(id) {
  $("detail-view").hidden = false;
  let busy = null;
  let again = false;
  const refresh = async () => {
    if (busy) {
      again = true;
      return;
    }
    busy = (async () => {
      do {
        again = false;
        await refreshCandidate(id);
      } while (again);
    })();
    await busy;
    busy = null;
  };
  $("call-this").addEventListener("click", async () => {
    const button = $("call-this");
    const call = await callCandidate(id, { button, label: button.dataset.name || id });
    if (call) $("announce").textContent = `Call ${call.id} placed: ${stateLabel(call.state)}.`;
    await refresh();
  });
  liveUpdates({ onChange: refresh, status: $("live") });
  refresh();
}

wireSignOut($("sign-out"), errorRegion);
if (params.get("id")) showDetail(params.get("id"));
else showList();
