import { useState } from "react";
import { splitErrors } from "./api";

/**
 * State of a form that saves through the API: `submit` runs the save, puts the API's
 * validation errors beside their fields (by path) and the rest in `general`.
 */
export function useApiForm(fieldPaths: readonly string[]) {
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [general, setGeneral] = useState<string[]>([]);
  const [busy, setBusy] = useState(false);

  const reset = () => {
    setErrors({});
    setGeneral([]);
  };

  /** Resolves true when the save succeeded. */
  const submit = async (save: () => Promise<void>): Promise<boolean> => {
    setBusy(true);
    reset();
    try {
      await save();
      return true;
    } catch (err) {
      const s = splitErrors(err, [...fieldPaths]);
      setErrors(s.byPath);
      setGeneral(s.general);
      return false;
    } finally {
      setBusy(false);
    }
  };

  return { errors, general, busy, submit, reset };
}
