// The interviewer's briefing page. Like the seed's voice-call-button: idle "Voice briefing" → "Connecting…" →
// in the call with "End". The token comes from POST /api/voice/token; every API or connection error is shown.
import { api, clearError, el, formatTime, showError, wireSignOut } from "./api.js";
import { renderAgent, renderSegment } from "./briefing-view.js";
import { VoiceSession } from "./voice-session.js";
import { TextBriefing, chatLine, sandboxMode } from "./text-briefing.js";

const NAME_KEY = "dialer.userName";
const $ = (id) => document.getElementById(id);
const errorRegion = $("error");
const select = $("interview");
const nameInput = $("user-name");
const panel = $("voice");
const startButton = $("voice-start");
const endButton = $("voice-end");
const audioButton = $("enable-audio");
const statusLine = $("voice-status");
const transcript = $("transcript");

const interviews = new Map();
const candidateNames = new Map();
let session = null;
let attempt = 0; // bumped by every start and every End: a stale start() stops at its next step

/** idle | connecting | connected | reconnecting: drives the buttons and `data-state` (tests read it). */
function setState(state, message) {
  panel.dataset.state = state;
  $("connection-state").textContent = state;
  const busy = state === "connecting";
  startButton.hidden = state === "connected" || state === "reconnecting";
  startButton.disabled = busy;
  startButton.setAttribute("aria-busy", String(busy));
  startButton.replaceChildren(...(busy ? [el("span", { class: "spinner", "aria-hidden": "true" }), "Connecting…"] : ["Voice briefing"]));
  endButton.hidden = !(state === "connected" || state === "reconnecting" || state === "connecting");
  select.disabled = nameInput.disabled = state !== "idle";
  if (message) statusLine.textContent = message;
}

const setAgent = (state) => renderAgent($("agent-state"), state);
const showSegment = (segment) => renderSegment(transcript, segment);

function fail(what, err) {
  showError(errorRegion, what, err);
}

async function loadCandidateName(candidateId) {
  if (candidateNames.has(candidateId)) return candidateNames.get(candidateId);
  try {
    const candidate = await api(`/api/candidates/${encodeURIComponent(candidateId)}`);
    candidateNames.set(candidateId, candidate.name);
    return candidate.name;
  } catch (err) {
    fail(`Could not load candidate ${candidateId}`, err);
    return candidateId;
  }
}

async function showDetails() {
  const interview = interviews.get(select.value);
  $("interview-details").hidden = !interview;
  if (!interview) return;
  $("detail-role").textContent = interview.role;
  $("detail-when").textContent = formatTime(interview.scheduled_at);
  $("detail-room").textContent = interview.room_name;
  $("detail-candidate").textContent = interview.candidate_id;
  $("detail-candidate").textContent = await loadCandidateName(interview.candidate_id);
}

const MAX_NAMES = 50; // candidate names looked up for the list; beyond that the list shows ids

function interviewLabel(interview) {
  const who = candidateNames.get(interview.candidate_id) || interview.candidate_id;
  return `${who} · ${interview.role} · ${formatTime(interview.scheduled_at)}`;
}

async function loadInterviews() {
  const wanted = new URLSearchParams(location.search).get("interview_id");
  try {
    const { items } = await api("/api/interviews");
    const ids = [...new Set(items.map((i) => i.candidate_id))].slice(0, MAX_NAMES);
    await Promise.all(ids.map(loadCandidateName));
    select.replaceChildren(el("option", { value: "", text: items.length ? "Choose an interview…" : "No interviews scheduled" }));
    for (const interview of items) {
      interviews.set(interview.id, interview);
      select.append(el("option", { value: interview.id, text: interviewLabel(interview) }));
    }
  } catch (err) {
    select.replaceChildren(el("option", { value: "", text: "Interviews could not be loaded" }));
    fail("Could not load interviews", err);
  }
  if (wanted && !interviews.has(wanted)) {
    select.append(el("option", { value: wanted, text: `Interview ${wanted} (from the link)` }));
  }
  if (wanted) select.value = wanted;
  await showDetails();
}

function validate(what = "Cannot start the voice briefing") {
  const problems = [];
  select.setAttribute("aria-invalid", String(!select.value));
  if (!select.value) problems.push("choose an interview");
  nameInput.setAttribute("aria-invalid", String(!nameInput.value.trim()));
  if (!nameInput.value.trim()) problems.push("enter your name");
  if (problems.length) {
    fail(what, new Error(problems.join(" and ")));
    (!select.value ? select : nameInput).focus();
  }
  return problems.length === 0;
}

async function start() {
  clearError(errorRegion);
  if (!validate()) return;
  const userName = nameInput.value.trim();
  localStorage.setItem(NAME_KEY, userName);
  const interview = interviews.get(select.value);
  const body = { mode: "briefing", interview_id: select.value, user_name: userName };
  if (interview) body.room_name = interview.room_name;
  transcript.replaceChildren();
  const mine = ++attempt;
  setState("connecting", "Requesting a voice token…");
  let grant;
  try {
    grant = await api("/api/voice/token", { method: "POST", body });
  } catch (err) {
    if (mine !== attempt) return;
    setState("idle", "Not connected.");
    fail("Could not start the voice briefing", err);
    startButton.focus();
    return;
  }
  if (mine !== attempt) return;
  statusLine.textContent = `Connecting to room ${grant.room_name}…`;
  const current = new VoiceSession({
    audioContainer: $("audio"),
    callbacks: {
      onConnection: (state, reason) => session === current && onConnection(state, reason),
      onAgent: setAgent,
      onSegment: showSegment,
      onAudioBlocked: (blocked) => (audioButton.hidden = !blocked),
      onError: fail,
    },
  });
  session = current;
  try {
    await current.connect(grant.livekit_url, grant.token);
    if (mine !== attempt) return;
    setState("connected", `In the briefing for room ${grant.room_name}. The agent joins in a moment.`);
    endButton.focus();
  } catch (err) {
    await current.disconnect().catch(() => {});
    if (mine !== attempt) return; // the user pressed End meanwhile
    session = null;
    setState("idle", "Not connected.");
    fail(`Could not connect to the briefing room ${grant.room_name}`, err);
    startButton.focus();
  }
}

/** Events of the live session only; a failing connect() and End set the state themselves. */
function onConnection(state, reason) {
  if (state === "connected") setState("connected", "Connected.");
  else if (state === "reconnecting" || state === "signalReconnecting") setState("reconnecting", "Connection lost; reconnecting…");
  else if (state === "disconnected") {
    session = null;
    setState("idle", reason !== undefined ? `Disconnected (reason ${reason}).` : "Disconnected.");
    setAgent({ text: "not in the room", speaking: false });
  }
}

async function end() {
  const current = session;
  session = null;
  attempt += 1;
  endButton.disabled = true;
  try {
    await current?.disconnect();
  } catch (err) {
    fail("Could not leave the room cleanly", err);
  } finally {
    endButton.disabled = false;
    setState("idle", "Briefing ended.");
    setAgent({ text: "not in the room", speaking: false });
    startButton.focus();
  }
}

// -- the sandbox's text briefing (no audio there) -------------------------------------------------------------
const textStart = $("text-start");
const textEnd = $("text-end");
const chatForm = $("chat-form");
const chatInput = $("chat-input");
const chatLog = $("chat-log");
const textError = $("text-error");
let chat = null;
const textFail = (what, err) => showError(textError, what, err); // beside the chat's controls

function showChat(open) {
  textStart.hidden = open;
  textEnd.hidden = !open;
  chatForm.hidden = !open;
}

function hear(replies) {
  for (const line of replies) chatLog.append(chatLine("Agent", line));
  chatLog.lastElementChild?.scrollIntoView({ block: "nearest" });
}

async function startText() {
  clearError(errorRegion);
  clearError(textError);
  if (!validate("Cannot start the text briefing")) return;
  const userName = nameInput.value.trim();
  localStorage.setItem(NAME_KEY, userName);
  textStart.disabled = true;
  textStart.setAttribute("aria-busy", "true");
  chatLog.replaceChildren();
  try {
    chat = await TextBriefing.start({ mode: "briefing", interview_id: select.value, user_name: userName });
    hear(await chat.open());
    showChat(true);
    chatInput.focus();
  } catch (err) {
    chat = null;
    textFail("Could not start the text briefing", err);
  } finally {
    textStart.disabled = false;
    textStart.setAttribute("aria-busy", "false");
  }
}

async function sendText(event) {
  event.preventDefault();
  const text = chatInput.value.trim();
  if (!text || !chat) return;
  clearError(textError);
  chatLog.append(chatLine("You", text));
  chatInput.value = "";
  chatInput.disabled = true;
  try {
    hear(await chat.say(text));
  } catch (err) {
    textFail("The briefing agent did not answer", err);
  } finally {
    chatInput.disabled = false;
    chatInput.focus();
  }
}

async function endText() {
  const current = chat;
  chat = null;
  showChat(false);
  try {
    await current?.leave();
  } catch (err) {
    textFail("Could not leave the text briefing cleanly", err);
  }
  textStart.focus();
}

textStart.addEventListener("click", startText);
textEnd.addEventListener("click", endText);
chatForm.addEventListener("submit", sendText);
sandboxMode().then((sandbox) => {
  $("sandbox-note").hidden = !sandbox;
  $("text-briefing").hidden = !sandbox;
});

startButton.addEventListener("click", start);
endButton.addEventListener("click", end);
audioButton.addEventListener("click", async () => {
  try {
    await session?.startAudio();
    audioButton.hidden = true;
  } catch (err) {
    fail("Could not start audio", err);
  }
});
select.addEventListener("change", () => {
  clearError(errorRegion);
  showDetails();
});
window.addEventListener("pagehide", () => {
  session?.disconnect();
  chat?.leave().catch(() => {});
});
wireSignOut($("sign-out"), errorRegion);
nameInput.value = localStorage.getItem(NAME_KEY) || "";
setState("idle");
loadInterviews();
