// How the briefing shows the agent's state and the live transcript (kept apart so it can be tested in the browser
// with a stand-in room: a real LiveKit server is out of reach in tests).
import { el } from "./api.js";

/** The agent's state ("listening", "thinking", "speaking", …); bold while it speaks. */
export function renderAgent(dd, { text, speaking }) {
  dd.textContent = text;
  dd.classList.toggle("speaking", speaking);
}

/** One transcript line per segment, updated in place while it grows; final once the speaker has finished it. */
export function renderSegment(list, { id, who, text, final }) {
  let item = list.querySelector(`li[data-segment="${CSS.escape(id)}"]`);
  if (!item) {
    item = el("li", { "data-segment": id }, el("span", { class: "who" }), el("span", { class: "text" }));
    list.append(item);
  }
  item.querySelector(".who").textContent = `${who}:`;
  item.querySelector(".text").textContent = text;
  item.classList.toggle("interim", !final);
  item.setAttribute("aria-busy", String(!final)); // screen readers read the segment once it is final
  list.scrollTop = list.scrollHeight;
}
