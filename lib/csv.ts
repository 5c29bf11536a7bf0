/** RFC 4180 CSV: quoted fields, doubled quotes, CRLF or LF line ends, a final newline optional. */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = "";
  let quoted = false;
  let rowHadQuotes = false;
  let i = text.charCodeAt(0) === 0xfeff ? 1 : 0; // skip a UTF-8 BOM
  for (; i < text.length; i++) {
    const ch = text[i];
    if (quoted) {
      if (ch === '"') {
        if (text[i + 1] === '"') {
          field += '"';
          i++;
        } else quoted = false;
      } else field += ch;
      continue;
    }
    if (ch === '"' && field === "") {
      quoted = true;
      rowHadQuotes = true;
    }
    else if (ch === ",") {
      row.push(field);
      field = "";
    } else if (ch === "\n" || ch === "\r") {
      if (ch === "\r" && text[i + 1] === "\n") i++;
      row.push(field);
      // A blank line carries no record; a line holding just "" is a record with one empty field.
      if (rowHadQuotes || row.length > 1 || row[0] !== "") rows.push(row);
      row = [];
      field = "";
      rowHadQuotes = false;
    } else field += ch;
  }
  if (quoted) throw new Error("Unterminated quoted field at end of file");
  if (field !== "" || row.length > 0 || rowHadQuotes) {
    row.push(field);
    rows.push(row);
  }
  return rows;
}

function escapeField(value: string): string {
  // Text with a leading =, +, - or @ would run as a formula in spreadsheet apps: neutralise it.
  const safe = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(safe) ? `"${safe.replaceAll('"', '""')}"` : safe;
}

export function toCsvRow(values: ReadonlyArray<string | number | boolean | null | undefined | Date>): string {
  return (
    values
      .map((v) => (v === null || v === undefined ? "" : v instanceof Date ? v.toISOString() : typeof v === "string" ? escapeField(v) : String(v)))
      .join(",") + "\r\n"
  );
}
