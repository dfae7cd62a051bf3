import { num } from "../format";
import { ENTITY_KINDS, type RunStats } from "../types";

const COLS = ["created", "updated", "deactivated", "unchanged", "errors"] as const;

export function StatsTable({ stats, caption, dryRun }: { stats: RunStats; caption: string; dryRun?: boolean }) {
  return (
    <table className="table stats-table">
      <caption>{caption}</caption>
      <thead>
        <tr>
          <th scope="col">Kind</th>
          {COLS.map((c) => (
            <th key={c} scope="col" className="num">
              {dryRun && c !== "unchanged" && c !== "errors" ? `would be ${c}` : c[0].toUpperCase() + c.slice(1)}
            </th>
          ))}
        </tr>
      </thead>
      <tbody>
        {ENTITY_KINDS.map((k) => (
          <tr key={k}>
            <th scope="row">{k[0].toUpperCase() + k.slice(1)}</th>
            {COLS.map((c) => (
              <td key={c} className={`num ${c === "errors" && (stats[k]?.[c] ?? 0) > 0 ? "text-error" : ""}`} data-kind={k} data-col={c}>
                {num(stats[k]?.[c])}
              </td>
            ))}
          </tr>
        ))}
      </tbody>
    </table>
  );
}
