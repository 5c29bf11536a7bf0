"use client";

import type { ReactTable, Row, RowData, TableFeatures } from "@tanstack/react-table";
import type { HTMLAttributes, ReactNode } from "react";
import { Table, TableBody, TableCell, TableHead, TableHeader, TableRow } from "./table";

/** Attributes a caller puts on a row: test ids, data-* for the row's status, a selected look. */
export type DataTableRowProps = HTMLAttributes<HTMLTableRowElement> & { [attribute: `data-${string}`]: string | undefined };

/**
 * Renders a TanStack table the caller built with `useTable` (columns, features and state stay
 * with the caller, as in shadcn's tasks example). Paging is the server's: one keyset page per
 * render, links below the table (KeysetPager), never client-side slicing.
 *
 * layout "scroll": one line per row, the frame scrolls sideways on narrow screens.
 * layout "stacked": below `sm` each row is a card whose cells carry their column's name.
 */
export function DataTable<TFeatures extends TableFeatures, TData extends RowData>({
  table,
  empty,
  rowProps,
  layout = "scroll",
}: {
  table: ReactTable<TFeatures, TData>;
  empty?: ReactNode;
  rowProps?: (row: Row<TFeatures, TData>) => DataTableRowProps;
  layout?: "scroll" | "stacked";
}) {
  const rows = table.getRowModel().rows;
  if (rows.length === 0 && empty !== undefined) return <>{empty}</>;
  const stacked = layout === "stacked";
  return (
    <Table>
      <TableHeader className={stacked ? "hidden sm:table-header-group" : undefined}>
        {table.getHeaderGroups().map((group) => (
          <TableRow key={group.id}>
            {group.headers.map((header) => (
              <TableHead key={header.id}>{header.isPlaceholder ? null : <table.FlexRender header={header} />}</TableHead>
            ))}
          </TableRow>
        ))}
      </TableHeader>
      <TableBody>
        {rows.map((row) => {
          const props = rowProps?.(row) ?? {};
          return (
            <TableRow key={row.id} {...props} className={stacked ? `block px-3 py-2 sm:table-row sm:p-0 ${props.className ?? ""}`.trim() : props.className}>
              {row.getAllCells().map((cell, index) => {
                if (!stacked) {
                  return (
                    <TableCell key={cell.id} className="whitespace-nowrap">
                      <table.FlexRender cell={cell} />
                    </TableCell>
                  );
                }
                const header = cell.column.columnDef.header;
                const label = index > 0 && typeof header === "string" ? header : "";
                return (
                  <td key={cell.id} className="flex items-start gap-3 py-1 align-top sm:table-cell sm:px-3 sm:py-2">
                    {label && <span className="w-16 shrink-0 pt-1 text-xs text-zinc-500 sm:hidden">{label}</span>}
                    <table.FlexRender cell={cell} />
                  </td>
                );
              })}
            </TableRow>
          );
        })}
      </TableBody>
    </Table>
  );
}
