// "Call candidate", from any page: one call now. A candidate whose call already completed is a 409 from the API
// until the request says `again`; the page asks the recruiter first and only then sends it. Errors go beside the
// button that was pressed.
import { ApiError, api, clearFieldError, showFieldError } from "./api.js";

export function alreadyCompleted(err) {
  return err instanceof ApiError && err.status === 409 && err.message.includes('"again": true');
}

/** Resolves to the new call, or null when the recruiter said no (or the call failed: the error is shown). */
export async function callCandidate(candidateId, { button, anchor = button, label = candidateId }) {
  button.disabled = true;
  clearFieldError(anchor);
  try {
    try {
      return await api("/api/calls", { method: "POST", body: { candidate_id: candidateId } });
    } catch (err) {
      if (!alreadyCompleted(err)) throw err;
      const question = `${label} was already called and that call completed. Call ${label} again?`;
      if (!confirm(question)) return null;
      return await api("/api/calls", { method: "POST", body: { candidate_id: candidateId, again: true } });
    }
  } catch (err) {
    showFieldError(anchor, `Could not call ${label}`, err);
    return null;
  } finally {
    button.disabled = false;
  }
}
