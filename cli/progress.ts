/** How `--wait` shows a run: a redrawn bar on a terminal, one line per change otherwise. */
export type RunSnapshot = {
  id: string;
  status: string;
  terminal: boolean;
  stage: string | null;
  etaSeconds: number | null;
  progress: { processed: number | null; total: number | null; message: string | null; percent: number | null };
  error: { message: string; reference: string } | null;
};

function eta(seconds: number | null): string {
  if (seconds === null) return "";
  if (seconds < 60) return `ETA ${seconds}s`;
  return `ETA ${Math.floor(seconds / 60)}m${String(seconds % 60).padStart(2, "0")}s`;
}

function percentOf(run: RunSnapshot): number | null {
  const { processed, total, percent } = run.progress;
  if (percent !== null) return Math.round(percent);
  if (processed !== null && total) return Math.round((processed / total) * 100);
  return null;
}

/** One line: `[#######-------]  50%  10/20  stage  message  ETA 5s`. */
export function progressLine(run: RunSnapshot, width = 24): string {
  const pct = percentOf(run);
  const filled = pct === null ? 0 : Math.max(0, Math.min(width, Math.round((pct / 100) * width)));
  const bar = `[${"#".repeat(filled)}${"-".repeat(width - filled)}]`;
  const counts = run.progress.processed !== null ? `${run.progress.processed}/${run.progress.total ?? "?"}` : "";
  const parts = [bar, pct === null ? "  -%" : `${String(pct).padStart(3)}%`, counts, run.status, run.stage ? `stage ${run.stage}` : "", run.progress.message ?? "", run.status === "running" ? eta(run.etaSeconds) : ""];
  return parts.filter(Boolean).join("  ");
}

export class ProgressView {
  private last = "";
  constructor(private readonly out: NodeJS.WriteStream) {}

  get tty(): boolean {
    return this.out.isTTY === true;
  }

  update(run: RunSnapshot): void {
    const columns = this.out.columns ?? 100;
    const line = progressLine(run, this.tty ? Math.max(10, Math.min(30, columns - 70)) : 24);
    if (line === this.last) return;
    this.last = line;
    if (this.tty) this.out.write(`\r\x1b[2K${line.slice(0, columns - 1)}`);
    else this.out.write(`${line}\n`);
  }

  finish(): void {
    if (this.tty && this.last) this.out.write("\n");
  }
}
