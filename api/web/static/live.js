// Live updates by server-sent events (GET /api/events, the session cookie as credential): the page refetches what it
// shows on each `change`. EventSource reconnects by itself; a stream the server refuses (signed out) is said so.
export function liveUpdates({ batchId = null, onChange, status }) {
  const url = batchId ? `/api/events?batch_id=${encodeURIComponent(batchId)}` : "/api/events";
  const source = new EventSource(url);
  const say = (state, text) => {
    if (!status) return;
    status.dataset.live = state;
    status.textContent = text;
  };
  say("connecting", "Connecting to live updates…");
  source.addEventListener("change", () => {
    say("open", "Live");
    onChange();
  });
  source.addEventListener("error", () => {
    if (source.readyState === EventSource.CLOSED) say("closed", "Live updates stopped: reload the page (or sign in again)");
    else say("connecting", "Reconnecting to live updates…");
  });
  return { close: () => source.close() };
}
