// Sign-in: post the API key once; the server answers with an HttpOnly session cookie, then go where the user was going.
import { api, clearError, showError } from "./api.js";

/** Only paths on this site under /web/ — never an absolute URL (no open redirect). */
function nextPage() {
  const next = new URLSearchParams(location.search).get("next") || "/web/";
  return next.startsWith("/web/") && !next.startsWith("//") ? next : "/web/";
}

const form = document.getElementById("login");
const input = document.getElementById("api-key");
const button = document.getElementById("sign-in");
const error = document.getElementById("error");

form.addEventListener("submit", async (event) => {
  event.preventDefault();
  clearError(error);
  if (!input.value) {
    showError(error, "Could not sign in", new Error("enter the API key"));
    input.setAttribute("aria-invalid", "true");
    input.focus();
    return;
  }
  button.disabled = true;
  try {
    await api("/web/login", { method: "POST", body: { api_key: input.value } });
    location.assign(nextPage());
  } catch (err) {
    showError(error, "Could not sign in", err);
    input.setAttribute("aria-invalid", "true");
    input.select();
    button.disabled = false;
  }
});
input.focus();
