import { e2eSql } from "./db";

/** A project of Acme's own for the Queues specs: pausing demo_paced in it holds no other spec's runs. */
export const QUEUES_PROJECT = "acme-queues";

export async function ensureQueuesProject(): Promise<void> {
  const sql = e2eSql();
  try {
    await sql`insert into projects (team_id, slug, name) select id, ${QUEUES_PROJECT}, 'Acme Queues' from teams where slug = 'acme' on conflict (slug) do nothing`;
  } finally {
    await sql.end();
  }
}
