import { useEffect, useState } from "react";
import { api } from "../api";
import type { ChangeAction, ChangeKind, ListResponse, RosterChange } from "../types";
import { Pager } from "./Pager";

const PAGE = 25;
const KINDS: ChangeKind[] = ["schools", "classes", "users", "enrollments"];
const ACTIONS: ChangeAction[] = ["created", "updated", "deactivated", "reactivated"];

const show = (v: unknown) => (v === null || v === undefined || v === "" ? "—" : Array.isArray(v) ? v.join(", ") : String(v));

/** What changed, field by field: "email: a@x → b@x". */
function summary(c: RosterChange): string {
  if (c.action === "created") return show(c.after?.title ?? c.after?.name ?? [c.after?.givenName, c.after?.familyName].filter(Boolean).join(" ") ?? "");
  if (c.action === "deactivated") return "no longer in the SIS";
  return (c.changedFields ?? []).map((f) => `${f}: ${show(c.before?.[f])} → ${show(c.after?.[f])}`).join("; ") || "—";
}

/** The roster changes a run made (issue #9), filterable by kind and action. */
export function RunChanges({ runId }: { runId: string }) {
  const [kind, setKind] = useState("");
  const [action, setAction] = useState("");
  const [offset, setOffset] = useState(0);
  const [changes, setChanges] = useState<ListResponse<RosterChange> | null>(null);

  useEffect(() => {
    api.runChanges(runId, { kind, action }, PAGE, offset).then(setChanges, () => undefined);
  }, [runId, kind, action, offset]);

  return (
    <section className="card" aria-labelledby="run-changes">
      <h2 id="run-changes">Roster changes</h2>
      <div className="filters">
        <label>
          Kind{" "}
          <select value={kind} onChange={(e) => (setKind(e.target.value), setOffset(0))} aria-label="Filter changes by kind">
            <option value="">All kinds</option>
            {KINDS.map((k) => (
              <option key={k} value={k}>
                {k}
              </option>
            ))}
          </select>
        </label>{" "}
        <label>
          Action{" "}
          <select value={action} onChange={(e) => (setAction(e.target.value), setOffset(0))} aria-label="Filter changes by action">
            <option value="">All actions</option>
            {ACTIONS.map((a) => (
              <option key={a} value={a}>
                {a}
              </option>
            ))}
          </select>
        </label>
      </div>
      {changes && changes.total === 0 && <p className="muted">No changes{kind || action ? " match these filters" : ""}.</p>}
      {changes && changes.total > 0 && (
        <>
          <div className="table-scroll">
            <table className="table" aria-label="Roster changes">
              <thead>
                <tr>
                  <th scope="col">Kind</th>
                  <th scope="col">Action</th>
                  <th scope="col">External ID</th>
                  <th scope="col">Change</th>
                </tr>
              </thead>
              <tbody>
                {changes.data.map((c) => (
                  <tr key={c.id}>
                    <td>{c.kind}</td>
                    <td>{c.action}</td>
                    <td className="mono">{c.externalId ?? "—"}</td>
                    <td>{summary(c)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          <Pager total={changes.total} limit={PAGE} offset={offset} onChange={setOffset} label="Roster changes" />
        </>
      )}
    </section>
  );
}
