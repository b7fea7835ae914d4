// The batch dashboard: live by server-sent events (no polling), rows kept in place, changes announced, and for the
// selected batch its outcomes and connect rate by local hour as charts, with the CSV export.
import { ApiError, api, clearError, clearFieldError, showError, showFieldError, wireSignOut } from "./api.js";
import { batchName, progressSummary, renderBatchRow } from "./batch-rows.js";
import { pruneRows, renderCallRow } from "./call-rows.js";
import { callCandidate } from "./call-action.js";
import { barChart, hourChart, outcomeLabel } from "./charts.js";
import { liveUpdates } from "./live.js";

const SINGLE_CALLS_KEY = "dialer.singleCalls";
const MAX_SINGLE_CALLS = 10;

const $ = (id) => document.getElementById(id);
const errorRegion = $("error");
const announceRegion = $("announce");
const batchesBody = $("batches").querySelector("tbody");
const callsSection = $("calls-section");
const callsBody = $("calls").querySelector("tbody");
const singleTable = $("single-calls");
const singleBody = singleTable.querySelector("tbody");

let selectedId = new URLSearchParams(location.hash.slice(1)).get("batch");
let lastSummaries = null; // batch id -> summary text, to announce changes (not the first load)
let live = null;

function announce(message) {
  announceRegion.textContent = message;
}

function singleCallIds() {
  try {
    return JSON.parse(sessionStorage.getItem(SINGLE_CALLS_KEY) || "[]");
  } catch {
    return [];
  }
}

function rememberSingleCall(id) {
  const ids = [id, ...singleCallIds().filter((x) => x !== id)].slice(0, MAX_SINGLE_CALLS);
  sessionStorage.setItem(SINGLE_CALLS_KEY, JSON.stringify(ids));
}

async function placeCall(candidateId, button, anchor, label) {
  const call = await callCandidate(candidateId, { button, anchor, label });
  if (!call) return;
  rememberSingleCall(call.id);
  announce(`Call ${call.id} for candidate ${candidateId}: ${call.state.replace("_", " ")}.`);
  await refresh();
}

const callHandlers = {
  onCall: (call, button) => placeCall(call.candidate_id, button, button, call.candidate_name || call.candidate_id),
};

const batchHandlers = {
  select(batch) {
    selectedId = batch.id;
    history.replaceState(null, "", `${location.pathname}${location.search}#batch=${encodeURIComponent(batch.id)}`);
    callsBody.replaceChildren();
    follow();
    refresh().then(() => $("calls-title").focus());
  },
  async act(batch, action, button) {
    if (action === "cancel" && !confirm(`Cancel ${batchName(batch)}? Its calls will never be dialled again.`)) return;
    const anchor = button.closest(".actions");
    button.disabled = true;
    clearFieldError(anchor);
    try {
      const updated = await api(`/api/batches/${encodeURIComponent(batch.id)}/${action}`, { method: "POST" });
      lastAction = ++sequence; // a refresh that started before this answer must not paint the old status over it
      const row = renderBatchRow(batchesBody, updated, { selectedId, handlers: batchHandlers });
      announce(`${batchName(updated)} is ${updated.status}.`);
      lastSummaries?.set(updated.id, progressSummary(updated));
      if (button.hidden) {
        const next = [...row.querySelectorAll("td .actions button")].find((b) => !b.hidden && b !== button && !b.classList.contains("show"));
        (next || row.querySelector("button.show")).focus();
      }
      await refresh();
    } catch (err) {
      showFieldError(anchor, `Could not ${action} ${batchName(batch)}`, err);
    } finally {
      button.disabled = false;
    }
  },
};

function renderBatches(batches) {
  const announcements = [];
  const summaries = new Map();
  for (const batch of batches) {
    renderBatchRow(batchesBody, batch, { selectedId, handlers: batchHandlers });
    const summary = progressSummary(batch);
    summaries.set(batch.id, summary);
    if (lastSummaries && lastSummaries.get(batch.id) !== summary) announcements.push(`${batchName(batch)}: ${summary}.`);
  }
  pruneRows(batchesBody, new Set(batches.map((b) => b.id)));
  // Keep the API's order without moving rows that are already in place (moving a row would drop focus).
  batches.forEach((batch, index) => {
    const row = batchesBody.querySelector(`tr[data-id="${CSS.escape(batch.id)}"]`);
    if (batchesBody.children[index] !== row) batchesBody.insertBefore(row, batchesBody.children[index] || null);
  });
  $("no-batches").hidden = batches.length > 0;
  if (announcements.length) announce(announcements.join(" "));
  lastSummaries = summaries;
}

function renderResults(batch, stats) {
  const outcomes = Object.entries(stats.outcomes).map(([key, value]) => ({ key, value, label: outcomeLabel(key) }));
  barChart($("outcome-chart"), outcomes, `Outcomes of ${batchName(batch)}: ${outcomes.filter((o) => o.value).map((o) => `${o.label} ${o.value}`).join(", ") || "none yet"}`);
  const busy = stats.by_hour.filter((h) => h.attempts);
  hourChart($("hour-chart"), stats.by_hour, `Connect rate by local hour: ${busy.map((h) => `${h.hour}:00 ${h.connected} of ${h.attempts}`).join(", ") || "no attempts yet"}`);
  const rate = stats.connect_rate === null ? "no attempts yet" : `${Math.round(stats.connect_rate * 100)} % of ${stats.attempts} attempts answered by a person`;
  $("connect-rate").textContent = `Connect rate: ${rate}.`;
  const exportLink = $("export");
  exportLink.href = `/api/batches/${encodeURIComponent(batch.id)}/export.csv`;
  exportLink.setAttribute("download", `${batch.id}.csv`);
  exportLink.setAttribute("aria-label", `Export ${batchName(batch)} as CSV`);
}

async function refreshCalls(batches) {
  const batch = batches.find((b) => b.id === selectedId);
  callsSection.hidden = !batch;
  if (!batch) return;
  $("calls-title").textContent = `Calls in ${batchName(batch)}`;
  const [{ items }, stats] = await Promise.all([
    api(`/api/calls?batch_id=${encodeURIComponent(batch.id)}&limit=500`),
    api(`/api/batches/${encodeURIComponent(batch.id)}/stats`),
  ]);
  for (const call of items) renderCallRow(callsBody, call, callHandlers);
  pruneRows(callsBody, new Set(items.map((c) => c.id)));
  $("no-calls").hidden = items.length > 0;
  renderResults(batch, stats);
}

async function refreshSingleCalls() {
  const ids = singleCallIds();
  singleTable.hidden = ids.length === 0;
  const calls = await Promise.all(ids.map((id) => api(`/api/calls/${encodeURIComponent(id)}`).catch((err) => {
    if (err instanceof ApiError && err.status === 404) return null; // gone (another database): forget it
    throw err;
  })));
  const present = calls.filter(Boolean);
  if (present.length !== ids.length) sessionStorage.setItem(SINGLE_CALLS_KEY, JSON.stringify(present.map((c) => c.id)));
  singleTable.hidden = present.length === 0;
  for (const call of present) renderCallRow(singleBody, call, callHandlers);
  pruneRows(singleBody, new Set(present.map((c) => c.id)));
}

let inFlight = null;
let again = false;
let sequence = 0;
let lastAction = 0;

/** Refetch what the page shows; a change that arrives meanwhile causes one more refetch after this one. */
async function refresh() {
  if (inFlight) {
    again = true;
    return inFlight;
  }
  inFlight = (async () => {
    try {
      do {
        again = false;
        const started = ++sequence;
        const { items } = await api("/api/batches");
        if (started < lastAction) {
          again = true; // read before an action's answer: stale, read again
          continue;
        }
        renderBatches(items);
        await refreshCalls(items);
        await refreshSingleCalls();
        if (errorRegion.dataset.source === "load") clearError(errorRegion);
        $("updated").textContent = `· updated ${new Date().toLocaleTimeString()}`;
        document.body.dataset.refreshed = String(Number(document.body.dataset.refreshed || 0) + 1);
      } while (again);
    } catch (err) {
      showError(errorRegion, "Could not load batches", err);
      errorRegion.dataset.source = "load";
      if (err instanceof ApiError && err.status === 401) live?.close(); // signed out: nothing more will load
    } finally {
      inFlight = null;
    }
  })();
  return inFlight;
}

/** (Re)open the event stream for the selected batch; each `change` refetches. */
function follow() {
  live?.close();
  live = liveUpdates({ batchId: selectedId, onChange: refresh, status: $("live") });
}

$("call-now").addEventListener("submit", (event) => {
  event.preventDefault();
  const input = $("candidate-id");
  const candidateId = input.value.trim();
  clearFieldError(input);
  if (!candidateId) {
    showFieldError(input, "Could not call candidate", new Error("enter a candidate id"));
    input.focus();
    return;
  }
  placeCall(candidateId, $("call-candidate"), input, `candidate ${candidateId}`);
});
$("calls-title").tabIndex = -1;
wireSignOut($("sign-out"), errorRegion);
follow();
refresh(); // at once, whether or not the event stream can be opened
