import type { Metadata } from "next";
import { notFound } from "next/navigation";
import { formatRelative, formatTimestamp } from "@/app/(dashboard)/_components/format";
import { AccessError } from "@/lib/dal/access";
import { listApiKeys, type ApiKeyListItem } from "@/lib/dal/api-keys";
import { CreateKeyForm } from "./_components/create-key-form";
import { RevokeKeyButton } from "./_components/revoke-key-button";
import { TextLink } from "@/app/(dashboard)/_components/ui/text-link";

export const metadata: Metadata = { title: "API keys · Runboard" };

/** Relative time, with the absolute UTC time below it (or beside it, inline). */
function When({ iso, inline = false }: { iso: string | null; inline?: boolean }) {
  if (!iso) return <span className="text-zinc-500">never</span>;
  return (
    <time dateTime={iso} title={formatTimestamp(iso)} className="whitespace-nowrap">
      {formatRelative(iso)}
      <span className={inline ? "ml-1 text-xs text-zinc-500" : "block text-xs text-zinc-500"}>{inline ? `(${formatTimestamp(iso)})` : formatTimestamp(iso)}</span>
    </time>
  );
}

export default async function ApiKeysPage({ params }: { params: Promise<{ team: string }> }) {
  const { team } = await params;
  let keys: ApiKeyListItem[];
  try {
    keys = await listApiKeys(team);
  } catch (error) {
    // A team you are not in, or one you cannot manage, shows nothing about its keys.
    if (error instanceof AccessError) notFound();
    throw error;
  }
  const active = keys.filter((k) => !k.revokedAt);
  const revoked = keys.filter((k) => k.revokedAt);
  return (
    <div className="space-y-6">
      <div>
        <TextLink href={`/teams/${team}/settings`} className="text-sm">
          ← Team settings
        </TextLink>
        <h1 className="mt-1 text-2xl font-semibold">API keys</h1>
        <p className="mt-1 max-w-2xl text-sm text-zinc-600 dark:text-zinc-400">
          Keys let scripts, agents and the <code>runboard</code> CLI trigger and follow this team&apos;s jobs through <code>/api/v1</code>. A key sees only this team&apos;s projects. Only a hash is stored:
          a new key is shown once.
        </p>
      </div>
      <CreateKeyForm teamSlug={team} />
      <section aria-labelledby="active-keys">
        <h2 id="active-keys" className="font-medium">
          Active keys ({active.length})
        </h2>
        {active.length === 0 ? (
          <p className="mt-2 text-sm text-zinc-600 dark:text-zinc-400">No keys yet. Create one above, then run <code>npx runboard login</code> with it.</p>
        ) : (
          <div className="mt-2 overflow-x-auto rounded-lg border border-zinc-200 dark:border-zinc-800">
            <table className="w-full min-w-[720px] text-left text-sm">
              <thead className="bg-zinc-50 text-xs uppercase text-zinc-500 dark:bg-zinc-900">
                <tr>
                  <th className="px-3 py-2">Name</th>
                  <th className="px-3 py-2">Key</th>
                  <th className="px-3 py-2">Scopes</th>
                  <th className="px-3 py-2">Created</th>
                  <th className="px-3 py-2">Last used</th>
                  <th className="px-3 py-2">
                    <span className="sr-only">Actions</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {active.map((k) => (
                  <tr key={k.id} data-testid={`api-key-${k.prefix}`} className="border-t border-zinc-200 align-top dark:border-zinc-800">
                    <td className="px-3 py-2 font-medium">{k.name}</td>
                    <td className="px-3 py-2">
                      <code className="whitespace-nowrap font-mono text-xs">rb_{k.prefix}_…</code>
                    </td>
                    <td className="px-3 py-2 whitespace-nowrap">
                      {k.scopes.map((s) => (
                        <code key={s} className="mr-1 rounded bg-zinc-100 px-1 text-xs dark:bg-zinc-800">
                          {s}
                        </code>
                      ))}
                    </td>
                    <td className="px-3 py-2">
                      <When iso={k.createdAt} />
                      <span className="block text-xs text-zinc-500">by {k.createdBy ?? "a removed user"}</span>
                    </td>
                    <td className="px-3 py-2">
                      <When iso={k.lastUsedAt} />
                    </td>
                    <td className="px-3 py-2 text-right">
                      <RevokeKeyButton teamSlug={team} keyId={k.id} name={k.name} />
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </section>
      {revoked.length > 0 && (
        <section aria-labelledby="revoked-keys">
          <h2 id="revoked-keys" className="font-medium">
            Revoked keys
          </h2>
          <ul className="mt-2 space-y-1 text-sm text-zinc-600 dark:text-zinc-400">
            {revoked.map((k) => (
              <li key={k.id} data-testid={`revoked-key-${k.prefix}`}>
                <span className="font-medium">{k.name}</span> <code className="font-mono text-xs">rb_{k.prefix}_…</code> revoked <When iso={k.revokedAt} inline />
              </li>
            ))}
          </ul>
        </section>
      )}
    </div>
  );
}
