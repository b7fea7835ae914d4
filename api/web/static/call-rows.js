// One table row per call: attempts with outcomes and SIP codes, collected fields, the decision trail.
import { el, formatTime, timeElement } from "./api.js";
import { stateLabel } from "./batch-rows.js";
import { showCallRecord } from "./transcript-view.js";

function attemptText(attempt) {
  const parts = [`#${attempt.number}`, attempt.outcome || (attempt.answered_at ? "in progress" : "ringing")];
  if (attempt.sip_status_code) parts.push(`SIP ${attempt.sip_status_code}`);
  if (attempt.duration_s !== null && attempt.duration_s !== undefined) parts.push(`${Math.round(attempt.duration_s)} s`);
  parts.push(formatTime(attempt.started_at));
  if (attempt.simulated) parts.push("simulated (sandbox)");
  return parts.join(" · ");
}

function attemptsCell(call) {
  const list = el("ol", { class: "attempts" });
  for (const attempt of call.attempts) list.append(el("li", { "data-outcome": attempt.outcome || "", text: attemptText(attempt) }));
  return [el("span", { text: `${call.attempts_made} of ${call.max_attempts}` }), call.attempts.length ? list : null];
}

function fieldsCell(call) {
  if (!call.collected_fields.length) {
    const asked = call.fields_to_ask.length ? `asking: ${call.fields_to_ask.join(", ")}` : "nothing to ask";
    return [el("span", { class: "empty", text: `none yet (${asked})` })];
  }
  const list = el("ul", { class: "fields" });
  for (const field of call.collected_fields) {
    list.append(el("li", { "data-field": field.name, text: `${field.name}: ${field.value ?? "—"} (${field.status})` }));
  }
  return [list];
}

function decisionsCell(details, call) {
  const last = call.decisions[call.decisions.length - 1];
  const summary = details.querySelector("summary");
  summary.textContent = last ? `${last.code}: ${last.reason}` : "no decisions yet";
  const list = details.querySelector("ol");
  list.replaceChildren(
    ...call.decisions.map((d) => el("li", {}, timeElement(d.at), ` ${d.code}: ${d.reason}`)),
  );
}

/** Create or update the row for `call`; `onCall(call, button)` is the row's "Call candidate" button. */
export function renderCallRow(tbody, call, { onCall }) {
  let row = tbody.querySelector(`tr[data-id="${CSS.escape(call.id)}"]`);
  if (!row) {
    row = el("tr", { "data-id": call.id });
    const labels = ["Candidate", "State", "Attempts", "Next attempt", "Collected fields", "Decisions", "Actions"];
    const cells = labels.map((label) => el("td", { "data-label": label }));
    cells[5].append(el("details", {}, el("summary"), el("ol", { class: "decisions" })));
    const record = el("div", { class: "call-record" });
    const transcript = el("details", { class: "transcript" }, el("summary", { text: "Transcript and answers" }), record);
    transcript.addEventListener("toggle", () => {
      if (transcript.open) showCallRecord(record, row.call.id);
    });
    cells[4].append(el("div", { class: "collected" }), transcript);
    const button = el("button", { type: "button", class: "call", text: "Call candidate" });
    button.addEventListener("click", () => onCall(row.call, button));
    cells[6].append(el("div", { class: "actions" }, button));
    row.append(...cells);
    tbody.append(row);
  }
  row.call = call;
  const transcript = row.querySelector("details.transcript");
  if (transcript.open) showCallRecord(transcript.querySelector(".call-record"), call.id); // new turns change no call field
  const signature = JSON.stringify(call);
  if (row.signature === signature) return row; // unchanged: leave the DOM (and any text selection) alone
  row.signature = signature;
  row.dataset.state = call.state;
  const [candidate, state, attempts, next, fields, decisions, actions] = row.children;
  candidate.replaceChildren(
    el("a", { href: `/web/candidates?id=${encodeURIComponent(call.candidate_id)}`, class: "name" },
      el("strong", { text: call.candidate_name || call.candidate_id })),
    el("br"),
    el("span", { class: "id", text: call.candidate_id }),
    el("br"),
    el("span", { class: "id muted", text: `call ${call.id}` }),
  );
  const outcome = call.last_outcome ? ` last: ${call.last_outcome}` : "";
  state.replaceChildren(el("span", { class: `badge ${call.state}`, text: stateLabel(call.state) }), outcome);
  attempts.replaceChildren(...attemptsCell(call).filter(Boolean));
  next.replaceChildren(call.next_attempt_at && call.state === "scheduled" ? timeElement(call.next_attempt_at) : "—");
  fields.querySelector(".collected").replaceChildren(...fieldsCell(call));
  decisionsCell(decisions.querySelector("details"), call);
  actions.querySelector("button.call").setAttribute("aria-label", `Call ${call.candidate_name || call.candidate_id} now`);
  return row;
}

/** Drop rows whose ids are no longer listed. */
export function pruneRows(tbody, ids) {
  for (const row of [...tbody.children]) if (!ids.has(row.dataset.id)) row.remove();
}
