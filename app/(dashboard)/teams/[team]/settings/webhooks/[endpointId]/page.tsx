import type { Metadata } from "next";
import Link from "next/link";
import { notFound } from "next/navigation";
import { formatRelative, formatTimestamp } from "@/app/(dashboard)/_components/format";
import { getWebhookEndpoint, listWebhookDeliveries, type WebhookDeliveryView } from "@/lib/dal/webhooks";
import { readOrForbidden } from "../../_components/guard";
import { NoPermission } from "../../_components/no-permission";

export const metadata: Metadata = { title: "Webhook deliveries · Runboard" };

const STATUS_STYLE: Record<WebhookDeliveryView["status"], string> = {
  delivered: "bg-emerald-100 text-emerald-800 dark:bg-emerald-950 dark:text-emerald-300",
  pending: "bg-amber-100 text-amber-800 dark:bg-amber-950 dark:text-amber-300",
  failed: "bg-red-100 text-red-800 dark:bg-red-950 dark:text-red-300",
  skipped: "bg-zinc-200 text-zinc-700 dark:bg-zinc-800 dark:text-zinc-300",
};

function When({ iso }: { iso: string }) {
  return (
    <time dateTime={iso} title={formatTimestamp(iso)} className="whitespace-nowrap">
      {formatRelative(iso)}
    </time>
  );
}

export default async function WebhookDeliveriesPage({ params, searchParams }: { params: Promise<{ team: string; endpointId: string }>; searchParams: Promise<{ cursor?: string }> }) {
  const { team, endpointId } = await params;
  const { cursor } = await searchParams;
  const endpoint = await readOrForbidden(getWebhookEndpoint(team, endpointId));
  if (endpoint === "forbidden") return <NoPermission teamName="this team" />;
  if (!endpoint) notFound();
  const page = await listWebhookDeliveries(team, endpointId, cursor);
  if (!page) notFound();
  return (
    <section aria-labelledby="deliveries" className="space-y-3">
      <div>
        <Link href={`/teams/${team}/settings/webhooks`} className="text-sm text-indigo-700 hover:underline dark:text-indigo-300">
          ← Webhooks
        </Link>
        <h2 id="deliveries" className="mt-1 text-lg font-medium">
          Recent deliveries
        </h2>
        <p className="text-sm text-zinc-600 dark:text-zinc-400">
          To <code className="break-all">{endpoint.url}</code>
          {!endpoint.enabled && " (disabled)"}. Each delivery is a run of its own; its attempts are listed below it, response excerpts redacted.
        </p>
      </div>
      {page.deliveries.length === 0 ? (
        <p className="text-sm text-zinc-600 dark:text-zinc-400">{cursor ? "No older deliveries." : "Nothing sent yet. The next run of this team that ends is delivered here."}</p>
      ) : (
        <ol className="divide-y divide-zinc-200 rounded-lg border border-zinc-200 bg-white dark:divide-zinc-800 dark:border-zinc-800 dark:bg-zinc-950">
          {page.deliveries.map((d) => (
            <li key={d.id} data-testid="webhook-delivery" data-delivery-id={d.id} className="space-y-2 px-3 py-3 text-sm">
              <div className="flex flex-wrap items-center gap-x-3 gap-y-1">
                <code className="text-xs">{d.event}</code>
                <span className={`rounded px-1.5 text-xs ${STATUS_STYLE[d.status]}`}>{d.status}</span>
                <span className="text-xs text-zinc-600 dark:text-zinc-400">
                  {d.attempts} {d.attempts === 1 ? "attempt" : "attempts"}
                  {d.lastResponseStatus !== null && ` · last answer ${d.lastResponseStatus}`}
                  {d.lastDurationMs !== null && ` in ${d.lastDurationMs} ms`}
                </span>
                <span className="text-xs text-zinc-600 dark:text-zinc-400">
                  <When iso={d.createdAt} />
                </span>
              </div>
              <p className="flex flex-wrap gap-x-4 text-xs">
                {d.run ? (
                  <>
                    <Link href={`/projects/${d.run.projectSlug}/runs/${d.sourceRunId}`} className="text-indigo-700 hover:underline dark:text-indigo-300">
                      Run that ended
                    </Link>
                    <Link href={`/projects/${d.run.projectSlug}/runs/${d.run.id}`} className="text-indigo-700 hover:underline dark:text-indigo-300">
                      Delivery run ({d.run.status})
                    </Link>
                  </>
                ) : (
                  <span className="text-zinc-500">The delivery run has been removed by retention.</span>
                )}
              </p>
              {d.tries.length > 0 && (
                <table className="w-full table-fixed text-left text-xs">
                  <thead className="text-zinc-500">
                    <tr>
                      <th className="w-16 py-1 font-normal">Attempt</th>
                      <th className="w-16 py-1 font-normal">Status</th>
                      <th className="w-20 py-1 font-normal">Duration</th>
                      <th className="py-1 font-normal">Response</th>
                    </tr>
                  </thead>
                  <tbody>
                    {d.tries.map((t, i) => (
                      <tr key={i} data-testid="webhook-attempt" className="border-t border-zinc-100 align-top dark:border-zinc-800">
                        <td className="py-1">{t.attempt}</td>
                        <td className="py-1">{t.status ?? "—"}</td>
                        <td className="py-1">{t.durationMs} ms</td>
                        <td className="break-words py-1 font-mono text-zinc-700 dark:text-zinc-300">{t.error ?? t.responseExcerpt ?? ""}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              )}
            </li>
          ))}
        </ol>
      )}
      <nav aria-label="Pages" className="flex gap-4 text-sm">
        {cursor && (
          <Link href={`/teams/${team}/settings/webhooks/${endpointId}`} className="text-indigo-700 hover:underline dark:text-indigo-300">
            Newest
          </Link>
        )}
        {page.nextCursor && (
          <Link href={`/teams/${team}/settings/webhooks/${endpointId}?cursor=${page.nextCursor}`} className="text-indigo-700 hover:underline dark:text-indigo-300">
            Older →
          </Link>
        )}
      </nav>
    </section>
  );
}
