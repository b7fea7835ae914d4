// One call's record: the collected answers as a table (with the callee's own words) and the transcript, turn by turn.
import { api, el, formatTime, showError } from "./api.js";

function answersTable(fields) {
  if (!fields.length) return el("p", { class: "empty", text: "Nothing collected on this call." });
  const body = el("tbody");
  for (const f of fields) {
    body.append(el("tr", { "data-field": f.name },
      el("th", { scope: "row", text: f.name }),
      el("td", { text: f.value ?? "—" }),
      el("td", {}, el("span", { class: `badge ${f.status}`, text: f.status })),
      el("td", { class: "quote", text: f.source_text ? `“${f.source_text}”` : "" }),
      el("td", { class: "muted", text: f.attempt ? `#${f.attempt}` : "" }),
    ));
  }
  return el("table", { class: "answers" },
    el("caption", { text: "Collected answers" }),
    el("thead", {}, el("tr", {}, ...["Field", "Value", "Status", "Their words", "Attempt"].map((h) => el("th", { scope: "col", text: h })))),
    body);
}

function transcriptList(turns) {
  if (!turns.length) return el("p", { class: "empty", text: "No transcript for this call yet." });
  const list = el("ol", { class: "turns" });
  let attempt = null;
  for (const t of turns) {
    if (t.attempt !== attempt) {
      attempt = t.attempt;
      list.append(el("li", { class: "attempt-mark", text: attempt ? `Attempt ${attempt}` : "Browser session" }));
    }
    list.append(el("li", { class: `turn ${t.role}` },
      el("span", { class: "who", text: t.role === "agent" ? "Agent" : "Candidate" }),
      el("span", { class: "said", text: t.text }),
      el("time", { dateTime: t.at, class: "muted", text: formatTime(t.at) })));
  }
  return list;
}

/** Fill `container` with the call's answers and transcript (fetched now). */
export async function showCallRecord(container, callId) {
  if (!container.dataset.loaded) container.replaceChildren(el("p", { class: "muted", text: "Loading the transcript…" }));
  try {
    const record = await api(`/api/calls/${encodeURIComponent(callId)}/transcript`);
    container.replaceChildren(
      answersTable(record.collected_fields),
      el("h4", { text: "Transcript" }),
      transcriptList(record.turns),
    );
    container.dataset.loaded = JSON.stringify([record.turns.length, record.collected_fields.length]);
  } catch (err) {
    const box = el("div", { class: "field-error", role: "alert" });
    showError(box, "Could not load the transcript", err);
    container.replaceChildren(box);
  }
}
