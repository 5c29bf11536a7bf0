/**
 * Operator commands for system jobs; the same as `runboard system …` (see cli/system.ts).
 *   npm run system -- list | run <type> [--wait] [--payload JSON] | show <run id>
 */
import { systemCommand } from "@/cli/system";

process.exit(await systemCommand(process.argv.slice(2)));
