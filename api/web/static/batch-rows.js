// One table row per batch, updated in place on every poll so buttons keep keyboard focus.
import { el, timeElement } from "./api.js";

export const STATES = ["scheduled", "dialing", "in_call", "completed", "failed", "cancelled"];
const FINAL = ["completed", "failed", "cancelled"];

export function stateLabel(state) {
  return state.replace("_", " ");
}

export function batchName(batch) {
  return batch.name || `Batch ${batch.id}`;
}

/** "2 of 5 calls finished": the headline a screen reader hears when counts change. */
export function progressSummary(batch) {
  const total = STATES.reduce((sum, s) => sum + (batch.counts[s] || 0), 0);
  const done = FINAL.reduce((sum, s) => sum + (batch.counts[s] || 0), 0);
  const parts = STATES.filter((s) => batch.counts[s]).map((s) => `${batch.counts[s]} ${stateLabel(s)}`);
  return `${done} of ${total} calls finished (${parts.join(", ") || "no calls"})`;
}

function progressCell(batch) {
  const total = STATES.reduce((sum, s) => sum + (batch.counts[s] || 0), 0);
  const bar = el("div", { class: "progress", "aria-hidden": "true" });
  for (const state of STATES) {
    const n = batch.counts[state] || 0;
    if (!n) continue;
    const segment = el("span", { class: `s-${state}`, title: `${stateLabel(state)}: ${n}` });
    segment.style.width = `${(100 * n) / total}%`; // CSSOM, which the page's CSP allows (inline style attributes it does not)
    bar.append(segment);
  }
  const counts = el("ul", { class: "counts", "aria-label": "Calls by state" });
  for (const state of STATES) {
    counts.append(el("li", { class: `s-${state}`, "data-state": state, text: `${stateLabel(state)} ${batch.counts[state] || 0}` }));
  }
  const cells = [el("p", { class: "summary", text: progressSummary(batch) }), bar, counts];
  const outcomes = Object.entries(batch.outcomes || {});
  if (outcomes.length) {
    // The last attempt's outcome per call: "answered" is every field collected; "nothing collected" is not a success.
    const list = el("ul", { class: "outcomes", "aria-label": "Calls by last outcome" });
    for (const [outcome, n] of outcomes) list.append(el("li", { "data-outcome": outcome, text: `${outcome.replaceAll("_", " ")} ${n}` }));
    cells.push(list);
  }
  return cells;
}

/**
 * Create or update the row for `batch`. `handlers` has select(batch), act(batch, action, button).
 * Buttons are created once; only their visibility and pressed state change.
 */
export function renderBatchRow(tbody, batch, { selectedId, handlers }) {
  let row = tbody.querySelector(`tr[data-id="${CSS.escape(batch.id)}"]`);
  if (!row) {
    row = el("tr", { "data-id": batch.id });
    const cells = ["Batch", "Status", "Progress", "Created", "Actions"].map((label) => el("td", { "data-label": label }));
    row.append(...cells);
    const show = el("button", { type: "button", class: "show", text: "Show calls", "aria-controls": "calls-section" });
    show.addEventListener("click", () => handlers.select(row.batch));
    const actions = el("div", { class: "actions" }, show);
    for (const [action, label, klass] of [["pause", "Pause", ""], ["resume", "Resume", ""], ["cancel", "Cancel", "danger"]]) {
      const button = el("button", { type: "button", class: `${action} ${klass}`.trim(), text: label });
      button.addEventListener("click", () => handlers.act(row.batch, action, button));
      actions.append(button);
    }
    cells[4].append(actions);
    tbody.append(row);
  }
  row.batch = batch;
  const signature = JSON.stringify([batch, batch.id === selectedId]);
  if (row.signature === signature) return row; // unchanged: leave the DOM alone
  row.signature = signature;
  const [nameCell, statusCell, progress, created, actions] = row.children;
  nameCell.replaceChildren(el("strong", { text: batchName(batch) }), el("br"), el("span", { class: "id", text: batch.id }));
  statusCell.replaceChildren(el("span", { class: `badge ${batch.status}`, text: batch.status }));
  progress.replaceChildren(...progressCell(batch));
  created.replaceChildren(timeElement(batch.created_at));
  const name = batchName(batch);
  const show = actions.querySelector("button.show");
  show.setAttribute("aria-pressed", String(batch.id === selectedId));
  show.setAttribute("aria-label", `Show calls of ${name}`);
  const visible = { pause: batch.status === "active", resume: batch.status === "paused", cancel: ["active", "paused"].includes(batch.status) };
  for (const [action, shown] of Object.entries(visible)) {
    const button = actions.querySelector(`button.${action}`);
    button.hidden = !shown;
    button.setAttribute("aria-label", `${button.textContent} ${name}`);
  }
  return row;
}
