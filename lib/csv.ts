const QUOTE = 0x22;
const COMMA = 0x2c;
const LF = 0x0a;
const CR = 0x0d;

/** A file that is not CSV as we read it; the message says where and why. */
export class CsvError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "CsvError";
  }
}

export type CsvLimits = {
  /** Cells in one record; more is refused as soon as the record reaches it. */
  maxColumns: number;
  /** Characters in one record (quoted line breaks included). */
  maxRecordChars: number;
};

const UNLIMITED: CsvLimits = { maxColumns: Infinity, maxRecordChars: Infinity };

/**
 * RFC 4180 CSV read incrementally: quoted fields, doubled quotes, CRLF or LF line ends, a final
 * newline optional. `push` takes the next piece of text and returns the records it completed; the
 * unfinished record is kept (bounded by `maxRecordChars`) and read again with the next piece, so
 * the work is linear in the input and no piece needs to end on a record boundary.
 */
export class CsvReader {
  private carry = "";
  private started = false;
  private records = 0;

  constructor(private readonly limits: CsvLimits = UNLIMITED) {}

  push(text: string): string[][] {
    return this.read(text, false);
  }

  /** The last record (when the text did not end with a newline); throws on an open quote. */
  end(): string[][] {
    return this.read("", true);
  }

  private read(piece: string, final: boolean): string[][] {
    let text = this.carry + piece;
    this.carry = "";
    if (!this.started) {
      if (text.length === 0 && !final) return [];
      this.started = true;
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1); // a UTF-8 BOM
    }
    const out: string[][] = [];
    const n = text.length;
    let i = 0;
    let recordStart = 0;
    let row: string[] = [];
    let field = ""; // the current field's text before `fieldStart` (quoted parts)
    let fieldStart = 0;
    let quoted = false;
    let hadQuotes = false;
    const endField = (at: number) => {
      row.push(field + text.slice(fieldStart, at));
      field = "";
      if (row.length > this.limits.maxColumns) {
        throw new CsvError(`Row ${this.records + 1} has more than ${this.limits.maxColumns} columns (the most allowed).`);
      }
    };
    while (i < n) {
      if (quoted) {
        // The closing quote is the first one not doubled; the field is then cut out in one piece.
        // Unescaped as it is scanned: the text between doubled quotes, each kept with one quote.
        const parts: string[] = [];
        let segment = i;
        let close = -1;
        for (let j = i; j < n; j++) {
          if (text.charCodeAt(j) !== QUOTE) continue;
          if (text.charCodeAt(j + 1) === QUOTE) {
            parts.push(text.slice(segment, j + 1));
            segment = j + 2;
            j++;
          } else if (j + 1 < n || final) {
            // Else it, or the quote that would double it, may be in the next piece: read this record again then.
            close = j;
            break;
          }
        }
        if (close < 0) {
          i = n;
          break;
        }
        parts.push(text.slice(segment, close));
        field += parts.length === 1 ? parts[0]! : parts.join("");
        quoted = false;
        i = close + 1;
        fieldStart = i;
        continue;
      }
      const c = text.charCodeAt(i);
      if (c === QUOTE && field === "" && i === fieldStart) {
        quoted = true;
        hadQuotes = true;
        i++;
      } else if (c === COMMA) {
        endField(i);
        i++;
        fieldStart = i;
      } else if (c === LF || c === CR) {
        // A CR at the end of a piece may be the first half of a CRLF.
        if (c === CR && i + 1 >= n && !final) break;
        endField(i);
        const next = c === CR && text.charCodeAt(i + 1) === LF ? i + 2 : i + 1;
        // A blank line carries no record; a line holding just "" is a record with one empty field.
        if (hadQuotes || row.length > 1 || row[0] !== "") this.emit(out, row, i - recordStart);
        row = [];
        hadQuotes = false;
        i = next;
        fieldStart = i;
        recordStart = i;
      } else i++;
    }
    if (final) {
      if (quoted) throw new CsvError("Unterminated quoted field at end of file.");
      if (field !== "" || fieldStart < n || row.length > 0 || hadQuotes) {
        endField(n);
        this.emit(out, row, n - recordStart);
      }
    } else {
      this.carry = text.slice(recordStart);
      if (this.carry.length > this.limits.maxRecordChars) throw this.tooLong();
    }
    return out;
  }

  private emit(out: string[][], row: string[], chars: number): void {
    if (chars > this.limits.maxRecordChars) throw this.tooLong();
    this.records++;
    out.push(row);
  }

  private tooLong(): CsvError {
    return new CsvError(`Row ${this.records + 1} is longer than ${this.limits.maxRecordChars} characters (the most allowed).`);
  }
}

/** A whole CSV text at once (no limits). */
export function parseCsv(text: string): string[][] {
  const reader = new CsvReader();
  return [...reader.push(text), ...reader.end()];
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
