import type { Metadata } from "next";
import Link from "next/link";
import { formatRelative, formatTimestamp } from "@/app/(dashboard)/_components/format";
import { listWebhookEndpoints } from "@/lib/dal/webhooks";
import { readOrForbidden } from "../_components/guard";
import { NoPermission } from "../_components/no-permission";
import { CreateEndpointForm } from "./_components/create-endpoint-form";
import { EndpointControls } from "./_components/endpoint-controls";

export const metadata: Metadata = { title: "Webhooks · Runboard" };

export default async function WebhooksPage({ params }: { params: Promise<{ team: string }> }) {
  const { team } = await params;
  const endpoints = await readOrForbidden(listWebhookEndpoints(team));
  if (endpoints === "forbidden") return <NoPermission teamName="this team" />;
  return (
    <div className="space-y-6">
      <section aria-labelledby="webhooks">
        <h2 id="webhooks" className="mb-1 text-lg font-medium">
          Webhooks
        </h2>
        <p className="max-w-2xl text-sm text-zinc-600 dark:text-zinc-400">
          When a run of this team completes, fails, is dead-lettered or cancelled, Runboard POSTs a JSON event to each endpoint that wants it, signed with the endpoint&apos;s secret in the{" "}
          <code>Runboard-Signature</code> header. Failed deliveries are retried with backoff for about a quarter of an hour. Private and loopback addresses are refused unless your operator allows
          them. See docs/webhooks.md for how to verify a signature.
        </p>
      </section>
      <CreateEndpointForm teamSlug={team} />
      <section aria-labelledby="endpoints">
        <h2 id="endpoints" className="font-medium">
          Endpoints ({endpoints.length})
        </h2>
        {endpoints.length === 0 ? (
          <p className="mt-2 text-sm text-zinc-600 dark:text-zinc-400">No endpoints yet. Add one above; the next run that ends is sent to it.</p>
        ) : (
          <ul className="mt-2 divide-y divide-zinc-200 rounded-lg border border-zinc-200 bg-white dark:divide-zinc-800 dark:border-zinc-800 dark:bg-zinc-950">
            {endpoints.map((e) => (
              <li key={e.id} data-testid="webhook-endpoint" data-endpoint-id={e.id} className="grid gap-3 px-3 py-3 md:grid-cols-[minmax(0,1fr)_auto]">
                <div className="min-w-0 space-y-1">
                  <p className="flex flex-wrap items-center gap-2">
                    <code className="break-all font-mono text-sm">{e.url}</code>
                    <span
                      className={`rounded px-1.5 text-xs ${e.enabled ? "bg-emerald-100 text-emerald-800 dark:bg-emerald-950 dark:text-emerald-300" : "bg-zinc-200 text-zinc-700 dark:bg-zinc-800 dark:text-zinc-300"}`}
                    >
                      {e.enabled ? "enabled" : "disabled"}
                    </span>
                  </p>
                  {e.description && <p className="text-sm text-zinc-700 dark:text-zinc-300">{e.description}</p>}
                  <p data-testid="endpoint-events" className="flex flex-wrap gap-1">
                    {e.events.map((event) => (
                      <code key={event} className="rounded bg-zinc-100 px-1 text-xs dark:bg-zinc-800">
                        {event}
                      </code>
                    ))}
                  </p>
                  <p className="text-xs text-zinc-600 dark:text-zinc-400">
                    Added{" "}
                    <time dateTime={e.createdAt} title={formatTimestamp(e.createdAt)}>
                      {formatRelative(e.createdAt)}
                    </time>
                    {e.createdBy && ` by ${e.createdBy}`}
                    {e.secretRotatedAt && (
                      <>
                        {" "}
                        · secret rotated{" "}
                        <time dateTime={e.secretRotatedAt} title={formatTimestamp(e.secretRotatedAt)}>
                          {formatRelative(e.secretRotatedAt)}
                        </time>
                      </>
                    )}
                  </p>
                  <Link href={`/teams/${team}/settings/webhooks/${e.id}`} className="inline-block text-sm text-indigo-700 hover:underline dark:text-indigo-300">
                    Recent deliveries →
                  </Link>
                </div>
                <EndpointControls teamSlug={team} endpointId={e.id} url={e.url} enabled={e.enabled} events={e.events} />
              </li>
            ))}
          </ul>
        )}
      </section>
    </div>
  );
}
