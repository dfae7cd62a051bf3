export function Pager({ total, limit, offset, onChange, label }: { total: number; limit: number; offset: number; onChange: (offset: number) => void; label: string }) {
  if (total <= limit) return <p className="pager muted">{total === 0 ? "" : `${total} in all`}</p>;
  return (
    <nav className="pager" aria-label={`${label} pages`}>
      <button type="button" className="button small" disabled={offset === 0} onClick={() => onChange(Math.max(0, offset - limit))}>
        ← Newer
      </button>
      <span aria-live="polite">
        {offset + 1}–{Math.min(total, offset + limit)} of {total}
      </span>
      <button type="button" className="button small" disabled={offset + limit >= total} onClick={() => onChange(offset + limit)}>
        Older →
      </button>
    </nav>
  );
}
