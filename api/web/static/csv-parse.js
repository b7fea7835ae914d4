// RFC 4180 CSV, read in the browser for the upload preview: quoted cells (with "" inside, commas and line breaks),
// CRLF or LF line ends, a UTF-8 byte-order mark dropped, blank lines skipped.

/** Rows of cells; throws an Error that names the line where a quoted cell never closes. */
export function parseCsv(text) {
  const rows = [];
  let row = [];
  let cell = "";
  let quoted = false;
  let line = 1;
  let quoteLine = 0;
  let i = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  const endRow = () => {
    row.push(cell);
    if (row.length > 1 || row[0] !== "") rows.push(row);
    row = [];
    cell = "";
  };
  for (; i < text.length; i += 1) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        cell += '"';
        i += 1;
      } else if (c === '"') {
        quoted = false;
      } else {
        if (c === "\n") line += 1;
        cell += c;
      }
    } else if (c === '"' && cell === "") {
      quoted = true;
      quoteLine = line;
    } else if (c === ",") {
      row.push(cell);
      cell = "";
    } else if (c === "\n" || c === "\r") {
      if (c === "\r" && text[i + 1] === "\n") i += 1;
      endRow();
      line += 1;
    } else {
      cell += c;
    }
  }
  if (quoted) throw new Error(`a quoted cell that starts on line ${quoteLine} never closes (a " is missing)`);
  if (cell !== "" || row.length) endRow();
  return rows;
}

export const REQUIRED_COLUMNS = ["external_id", "name", "phone"];
const RECORD_COLUMNS = new Set(["external_id", "name", "phone", "timezone", "state", "required_fields"]);
const CONSENT_COLUMNS = { consent_source: "source", consent_at: "at", consent_channel: "channel" };

/** The header's problems (missing or repeated columns), as sentences; empty when the file can be sent. */
export function headerProblems(header) {
  const problems = [];
  const missing = REQUIRED_COLUMNS.filter((c) => !header.includes(c));
  if (missing.length) problems.push(`the first row must name the columns ${missing.join(", ")} (found: ${header.join(", ") || "nothing"})`);
  const seen = new Set();
  for (const name of header) {
    if (seen.has(name)) problems.push(`the column ${name} appears twice`);
    seen.add(name);
  }
  return problems;
}

/** One candidate for POST /api/candidates/bulk from one row (cells by header name). */
export function toCandidate(header, cells) {
  const candidate = { fields: {} };
  const consent = {};
  header.forEach((name, index) => {
    const value = (cells[index] ?? "").trim();
    if (name in CONSENT_COLUMNS) {
      if (value) consent[CONSENT_COLUMNS[name]] = value;
    } else if (name === "required_fields") {
      candidate.required_fields = value ? value.split(";").map((f) => f.trim()).filter(Boolean) : [];
    } else if (RECORD_COLUMNS.has(name)) {
      if (value || REQUIRED_COLUMNS.includes(name)) candidate[name] = value;
    } else if (name && value) {
      candidate.fields[name] = value;
    }
  });
  if (Object.keys(consent).length) candidate.consent = consent;
  return candidate;
}
