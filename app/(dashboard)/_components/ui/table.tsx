import type { ComponentProps } from "react";

// Plain table parts with the app's table look, for server components and for DataTable.
// `className` adds to the base classes (e.g. `hidden sm:table-cell` for a column narrow screens drop).

const join = (base: string, extra?: string) => (extra ? `${base} ${extra}` : base);

/** The bordered frame; it scrolls sideways rather than squeezing the columns on narrow screens. */
export function Table({ className, ...props }: ComponentProps<"table">) {
  return (
    <div className="overflow-x-auto rounded-lg border border-zinc-200 dark:border-zinc-800">
      <table {...props} className={join("min-w-full divide-y divide-zinc-200 text-sm dark:divide-zinc-800", className)} />
    </div>
  );
}

export function TableHeader({ className, ...props }: ComponentProps<"thead">) {
  return <thead {...props} className={join("bg-zinc-100 dark:bg-zinc-900", className)} />;
}

export function TableBody({ className, ...props }: ComponentProps<"tbody">) {
  return <tbody {...props} className={join("divide-y divide-zinc-200 bg-white dark:divide-zinc-800 dark:bg-zinc-950", className)} />;
}

export function TableRow(props: ComponentProps<"tr">) {
  return <tr {...props} />;
}

/** A column heading (scope="col" unless told otherwise). */
export function TableHead({ className, scope = "col", ...props }: ComponentProps<"th">) {
  return <th {...props} scope={scope} className={join("px-3 py-2 text-left font-medium whitespace-nowrap", className)} />;
}

export function TableCell({ className, ...props }: ComponentProps<"td">) {
  return <td {...props} className={join("px-3 py-2", className)} />;
}
