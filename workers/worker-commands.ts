import type { WorkerCommand, WorkerReportedState } from "@/lib/db/schema";
import type { WorkerLiveness } from "./liveness";

export type WorkerControls = {
  /** Stop fetching new runs; what the worker holds goes on to its end. */
  quiet: () => Promise<void>;
  /** Fetch again after a quiet. */
  resume: () => Promise<void>;
  /** The graceful stop a SIGTERM gives (the process host decides whether it exits). */
  stop: () => Promise<void>;
};

/**
 * Acts on the Workers page's commands, which a worker reads from its registry row with each
 * liveness ping (so within half a heartbeat), and reports what it does back on the same row.
 * A command is a wish for a state: the same command read again changes nothing, and a stop is
 * final (a quiet or resume read while stopping is ignored).
 */
export class WorkerCommands {
  private state: WorkerReportedState = "live";
  /** One change at a time: a quiet still under way is finished before a resume starts. */
  private changing: Promise<void> = Promise.resolve();

  constructor(
    private readonly liveness: WorkerLiveness,
    private readonly controls: WorkerControls,
  ) {
    liveness.onCommand = (command) => this.apply(command);
  }

  get current(): WorkerReportedState {
    return this.state;
  }

  /** The worker is stopping for another reason (a signal): say so, and take no more commands. */
  stopping(): Promise<void> {
    this.state = "stopping";
    return this.liveness.report("stopping");
  }

  private apply(command: WorkerCommand | null): void {
    const wanted: WorkerReportedState = command === "stop" ? "stopping" : command === "quiet" ? "quiet" : "live";
    if (this.state === "stopping" || wanted === this.state) return;
    const from = this.state;
    this.state = wanted;
    this.changing = this.changing.then(async () => {
      try {
        if (wanted === "stopping") {
          console.log("[worker] stop requested from the Workers page: finishing held runs, then stopping");
          await this.liveness.report("stopping");
          await this.controls.stop();
        } else if (wanted === "quiet") {
          await this.controls.quiet();
          console.log("[worker] quiet: taking no new runs (held runs go on)");
          await this.liveness.report("quiet");
        } else {
          await this.controls.resume();
          console.log("[worker] resumed: taking new runs again");
          await this.liveness.report("live");
        }
      } catch (error) {
        console.error(`[worker] could not go from ${from} to ${wanted}`, error);
        // Reported as it stands; the command stays on the row and is tried again at the next ping.
        if (this.state === wanted && wanted !== "stopping") this.state = from;
      }
    });
  }
}
