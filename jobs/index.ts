import contactsImport from "./contacts-import";
import demoPaced from "./demo-paced";
import runsExport from "./runs-export";
import subscriptionSync from "./subscription-sync";

/** The team's job types: add yours here (see docs/jobs.md, "Add a job type"). */
export const JOBS = [contactsImport, runsExport, demoPaced, subscriptionSync] as const;
