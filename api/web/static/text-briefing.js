// The briefing as a typed chat, for the built-in sandbox: it has no media server, so a browser cannot join a room
// with audio there. The token comes from POST /api/voice/token as for the voice briefing; the typed turns go to the
// sandbox's /sandbox/chat/{room} with that join token, where the real briefing agent answers from the record.
import { ApiError, api, el } from "./api.js";

/** Whether the dialer runs the built-in sandbox (GET /health says so, without auth). */
export async function sandboxMode() {
  try {
    const response = await fetch("/health", { cache: "no-store" });
    const health = await response.json();
    return health.livekit === "sandbox";
  } catch {
    return false;
  }
}

async function post(url, token, method, body) {
  let response;
  try {
    response = await fetch(url, {
      method,
      headers: { Authorization: `Bearer ${token}`, "Content-Type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
      cache: "no-store",
    });
  } catch (err) {
    throw new ApiError(0, `the sandbox could not be reached (${err.message})`);
  }
  if (response.status === 204) return null;
  const data = await response.json().catch(() => null);
  if (!response.ok) throw new ApiError(response.status, data?.detail || `${response.status} ${response.statusText}`);
  return data;
}

/** A chat with the room's agent: `open()` joins and returns the opening lines, `say(text)` one turn, `leave()`. */
export class TextBriefing {
  constructor(grant) {
    const base = grant.livekit_url.replace(/^ws/, "http").replace(/\/$/, "");
    this.url = `${base}/sandbox/chat/${encodeURIComponent(grant.room_name)}`;
    this.token = grant.token;
    this.roomName = grant.room_name;
  }

  static async start(body) {
    const grant = await api("/api/voice/token", { method: "POST", body });
    return new TextBriefing(grant);
  }

  async open() {
    return (await post(this.url, this.token, "POST", {})).replies;
  }

  async say(text) {
    return (await post(this.url, this.token, "POST", { text })).replies;
  }

  async leave() {
    await post(this.url, this.token, "DELETE");
  }
}

/** One line of the chat's log: who said it, then the words (text only, never HTML). */
export function chatLine(who, text) {
  return el("li", { class: who === "You" ? "mine" : "agent" }, el("span", { class: "who", text: `${who}:` }), text);
}
