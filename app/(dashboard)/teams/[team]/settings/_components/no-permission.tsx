/** What a member without team:manage sees instead of any settings. */
export function NoPermission({ teamName }: { teamName: string }) {
  return (
    <div role="alert" className="rounded-lg border border-amber-300 bg-amber-50 p-4 text-amber-900 dark:border-amber-800 dark:bg-amber-950/40 dark:text-amber-200">
      <p className="font-medium">You do not have permission to manage {teamName}.</p>
      <p className="mt-1 text-sm">Team settings are for owners and admins. Ask one of them if you need a change to your access.</p>
    </div>
  );
}
