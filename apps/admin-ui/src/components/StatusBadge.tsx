import type { SyncStatus } from "../types";

const LABELS: Record<SyncStatus, string> = {
  PENDING: "Pending",
  IN_PROGRESS: "In progress",
  SUCCESS: "Success",
  PARTIAL: "Partial",
  FAILURE: "Failure",
  CANCELLED: "Cancelled",
};

export function StatusBadge({ status }: { status: SyncStatus | null | undefined }) {
  if (!status) return <span className="badge badge-none">Never run</span>;
  return (
    <span className={`badge badge-${status.toLowerCase().replace("_", "-")}`} data-status={status}>
      {LABELS[status] ?? status}
    </span>
  );
}

export function EnabledBadge({ enabled }: { enabled: boolean }) {
  return <span className={`pill ${enabled ? "pill-on" : "pill-off"}`}>{enabled ? "Enabled" : "Disabled"}</span>;
}
