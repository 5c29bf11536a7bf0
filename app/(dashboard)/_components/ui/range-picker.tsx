import Link from "next/link";
import { RANGES, type RangeKey } from "@/lib/dal/ranges";

/** The "Last 24 hours / Last 7 days" links of the insights and error pages; each page says where a range leads. */
export function RangePicker({ current, href }: { current: RangeKey; href: (range: RangeKey) => string }) {
  return (
    <div role="group" aria-label="Time range" className="flex overflow-hidden rounded-md border border-zinc-300 text-sm dark:border-zinc-700">
      {(Object.keys(RANGES) as RangeKey[]).map((r) => (
        <Link key={r} href={href(r)} aria-current={r === current ? "page" : undefined} className={`px-3 py-1.5 ${r === current ? "bg-indigo-600 text-white" : "hover:bg-zinc-100 dark:hover:bg-zinc-800"}`}>
          Last {RANGES[r].label}
        </Link>
      ))}
    </div>
  );
}
