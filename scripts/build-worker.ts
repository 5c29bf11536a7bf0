/** `npm run build:worker`: bundle the exported worker entry (runboard/worker) to dist/worker.mjs when its sources changed. */
import path from "node:path";
import { ensureWorkerBundle, WORKER_BUNDLE } from "./lib/worker-bundle";

const root = path.resolve(import.meta.dirname, "..");
const built = await ensureWorkerBundle(root);
console.log(built ? `Built ${WORKER_BUNDLE}.` : `${WORKER_BUNDLE} is up to date.`);
