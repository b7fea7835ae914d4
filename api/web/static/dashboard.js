// The batch dashboard: polls the API (every 3 s, or ?poll_ms=), keeps rows in place, announces what changed.
import { ApiError, api, clearError, showError, wireSignOut } from "./api.js";
import { batchName, progressSummary, renderBatchRow } from "./batch-rows.js";
import { pruneRows, renderCallRow } from "./call-rows.js";

const POLL_MS = Math.max(200, Number(new URLSearchParams(location.search).get("poll_ms")) || 3000);
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
let stopped = false;
let timer = null;

function announce(message) {
  announceRegion.textContent = message;
}

/** Show an error; `source` "poll" errors clear themselves on the next good poll, action errors stay. */
function fail(what, err, source = "action") {
  showError(errorRegion, what, err);
  errorRegion.dataset.source = source;
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

async function callCandidate(candidateId, button) {
  button.disabled = true;
  clearError(errorRegion);
  try {
    const call = await api("/api/calls", { method: "POST", body: { candidate_id: candidateId } });
    rememberSingleCall(call.id);
    announce(`Call ${call.id} for candidate ${candidateId}: ${call.state.replace("_", " ")}.`);
    await refresh();
  } catch (err) {
    fail(`Could not call candidate ${candidateId}`, err);
  } finally {
    button.disabled = false;
  }
}

const callHandlers = { onCall: (call, button) => callCandidate(call.candidate_id, button) };

const batchHandlers = {
  select(batch) {
    selectedId = batch.id;
    history.replaceState(null, "", `${location.pathname}${location.search}#batch=${encodeURIComponent(batch.id)}`);
    callsBody.replaceChildren();
    refresh().then(() => $("calls-title").focus());
  },
  async act(batch, action, button) {
    if (action === "cancel" && !confirm(`Cancel ${batchName(batch)}? Its calls will never be dialled again.`)) return;
    button.disabled = true;
    clearError(errorRegion);
    try {
      const updated = await api(`/api/batches/${encodeURIComponent(batch.id)}/${action}`, { method: "POST" });
      const row = renderBatchRow(batchesBody, updated, { selectedId, handlers: batchHandlers });
      announce(`${batchName(updated)} is ${updated.status}.`);
      lastSummaries?.set(updated.id, progressSummary(updated));
      if (button.hidden) {
        const next = [...row.querySelectorAll("td .actions button")].find((b) => !b.hidden && b !== button && !b.classList.contains("show"));
        (next || row.querySelector("button.show")).focus();
      }
      await refresh();
    } catch (err) {
      fail(`Could not ${action} ${batchName(batch)}`, err);
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

async function refreshCalls(batches) {
  const batch = batches.find((b) => b.id === selectedId);
  callsSection.hidden = !batch;
  if (!batch) return;
  $("calls-title").textContent = `Calls in ${batchName(batch)}`;
  const { items } = await api(`/api/calls?batch_id=${encodeURIComponent(batch.id)}&limit=500`);
  for (const call of items) renderCallRow(callsBody, call, callHandlers);
  pruneRows(callsBody, new Set(items.map((c) => c.id)));
  $("no-calls").hidden = items.length > 0;
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

async function refresh() {
  if (inFlight) return inFlight; // never two polls at once
  inFlight = (async () => {
    try {
      const { items } = await api("/api/batches");
      renderBatches(items);
      await refreshCalls(items);
      await refreshSingleCalls();
      if (errorRegion.dataset.source === "poll") clearError(errorRegion);
      $("updated").textContent = `Updated ${new Date().toLocaleTimeString()}`;
    } catch (err) {
      fail("Could not load batches", err, "poll");
      if (err instanceof ApiError && err.status === 401) stopped = true; // signed out: polling cannot succeed
    } finally {
      inFlight = null;
    }
  })();
  return inFlight;
}

async function poll() {
  if (!document.hidden) await refresh();
  if (!stopped) timer = setTimeout(poll, POLL_MS);
}

$("call-now").addEventListener("submit", (event) => {
  event.preventDefault();
  const input = $("candidate-id");
  const candidateId = input.value.trim();
  if (!candidateId) {
    fail("Could not call candidate", new Error("enter a candidate id"));
    input.setAttribute("aria-invalid", "true");
    input.focus();
    return;
  }
  input.removeAttribute("aria-invalid");
  callCandidate(candidateId, $("call-candidate"));
});
document.addEventListener("visibilitychange", () => {
  if (!document.hidden && !stopped) {
    clearTimeout(timer);
    poll();
  }
});
$("calls-title").tabIndex = -1;
wireSignOut($("sign-out"), errorRegion);
poll();
