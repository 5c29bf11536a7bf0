import type { JobName } from "@/lib/jobs/catalog";
import type { JobHandler } from "../context";
import { contactsImport } from "./contacts-import";
import { demoPaced } from "./demo-paced";
import { runsExport } from "./runs-export";

/** Handlers by job type; the worker alone loads this. A missing entry fails type-checking. */
export const HANDLERS: { [N in JobName]: JobHandler<N> } = {
  contacts_import: contactsImport,
  runs_export: runsExport,
  demo_paced: demoPaced,
};
