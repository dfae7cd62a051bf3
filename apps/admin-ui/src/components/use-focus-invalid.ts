import { useEffect, useRef } from "react";

/** After a failed submit, move focus to the first field the API flagged (and scroll it into view). */
export function useFocusFirstInvalid<T extends HTMLElement>(errors: Record<string, string>) {
  const ref = useRef<T>(null);
  useEffect(() => {
    if (Object.keys(errors).length === 0) return;
    const el = ref.current?.querySelector<HTMLElement>('[aria-invalid="true"]');
    el?.focus();
    el?.scrollIntoView?.({ block: "center" });
  }, [errors]);
  return ref;
}
