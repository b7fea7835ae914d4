// The pages' one way to call the dialer API: same-origin fetch with the session cookie and the CSRF header.
// Every failure becomes an ApiError whose message is the API's own `detail`, so it can be shown, never swallowed.

export const CSRF_HEADER = "X-Requested-With";
export const CSRF_VALUE = "dialer-ui";

export class ApiError extends Error {
  constructor(status, message, errors = []) {
    super(message);
    this.name = "ApiError";
    this.status = status;
    this.errors = errors;
  }
}

function describe(status, statusText, data, text) {
  if (data && typeof data.detail === "string") return data.detail;
  if (data && Array.isArray(data.detail)) {
    return data.detail.map((e) => `${(e.loc || []).join(".")}: ${e.msg || e.message}`).join("; ");
  }
  const snippet = (text || "").trim().slice(0, 200);
  return snippet ? `${status} ${statusText}: ${snippet}` : `${status} ${statusText || "error"}`;
}

export async function api(path, { method = "GET", body } = {}) {
  const headers = { Accept: "application/json", [CSRF_HEADER]: CSRF_VALUE };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  let response;
  try {
    response = await fetch(path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      credentials: "same-origin",
      cache: "no-store",
    });
  } catch (err) {
    throw new ApiError(0, `the dialer could not be reached (${err.message})`);
  }
  const text = await response.text();
  let data = null;
  try {
    data = text ? JSON.parse(text) : null;
  } catch {
    data = null;
  }
  if (!response.ok) {
    throw new ApiError(response.status, describe(response.status, response.statusText, data, text), data?.errors || []);
  }
  return data;
}

/** Show an error in a role="alert" region: what was being done, the API's words, and the HTTP status. */
export function showError(region, what, err) {
  region.replaceChildren();
  const message = document.createElement("p");
  const status = err instanceof ApiError && err.status ? ` (HTTP ${err.status})` : "";
  message.textContent = `${what}: ${err.message}${status}`;
  region.append(message);
  const repeats = err.errors?.length === 1 && !(err.errors[0].loc || []).length && err.errors[0].message === err.message;
  if (err instanceof ApiError && err.errors?.length && !repeats) {
    const list = document.createElement("ul");
    for (const e of err.errors) {
      const item = document.createElement("li");
      item.textContent = `${(e.loc || []).join(".") || "body"}: ${e.message}`;
      list.append(item);
    }
    region.append(list);
  }
  if (err instanceof ApiError && err.status === 401) {
    const link = document.createElement("a");
    link.href = `/web/login?next=${encodeURIComponent(location.pathname + location.search)}`;
    link.textContent = "Sign in again";
    region.append(" ", link);
  }
}

export function clearError(region) {
  region.replaceChildren();
}

/** The header's "Sign out" button: clear the cookie on the server, then go to the sign-in page. */
export function wireSignOut(button, errorRegion) {
  button.addEventListener("click", async () => {
    button.disabled = true;
    try {
      await api("/web/logout", { method: "POST" });
      location.assign("/web/login");
    } catch (err) {
      showError(errorRegion, "Could not sign out", err);
      button.disabled = false;
    }
  });
}

export function formatTime(iso) {
  if (!iso) return "";
  const when = new Date(iso);
  return Number.isNaN(when.getTime()) ? iso : when.toLocaleString(undefined, { dateStyle: "medium", timeStyle: "short" });
}

/** A <time> element: machine-readable datetime, human-readable text. */
export function timeElement(iso) {
  const el = document.createElement("time");
  el.dateTime = iso;
  el.textContent = formatTime(iso);
  return el;
}

export function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (key === "class") node.className = value;
    else if (key === "text") node.textContent = value;
    else if (key.startsWith("data-") || key.startsWith("aria-") || key === "role") node.setAttribute(key, value);
    else node[key] = value;
  }
  node.append(...children.filter((c) => c !== null && c !== undefined));
  return node;
}

/**
 * Show an error right beside the control that caused it: an element after `anchor` (a button, an input, a form
 * row), linked to it by aria-describedby so a screen reader reads it with the control, and announced (role=alert).
 */
export function showFieldError(anchor, what, err) {
  const id = anchor.dataset.errorId || `err-${Math.random().toString(36).slice(2, 10)}`;
  anchor.dataset.errorId = id;
  let box = document.getElementById(id);
  if (!box) {
    box = el("div", { id, class: "field-error", role: "alert" });
    anchor.insertAdjacentElement("afterend", box);
  }
  showError(box, what, err);
  const describedBy = new Set((anchor.getAttribute("aria-describedby") || "").split(" ").filter(Boolean));
  describedBy.add(id);
  anchor.setAttribute("aria-describedby", [...describedBy].join(" "));
  if (anchor.matches("input, select, textarea")) anchor.setAttribute("aria-invalid", "true");
  return box;
}

export function clearFieldError(anchor) {
  const id = anchor.dataset.errorId;
  if (id) document.getElementById(id)?.remove();
  delete anchor.dataset.errorId;
  const rest = (anchor.getAttribute("aria-describedby") || "").split(" ").filter((x) => x && x !== id);
  if (rest.length) anchor.setAttribute("aria-describedby", rest.join(" "));
  else anchor.removeAttribute("aria-describedby");
  anchor.removeAttribute("aria-invalid");
}
