import { MASK, visibleFields } from "../provider-fields";
import type { ProviderType } from "../types";
import { Field } from "./Field";

/** The credential fields for one provider type. Errors are keyed "config.<field>" as the API names them. */
export function ConfigFields({
  type,
  values,
  onChange,
  errors,
  editing,
}: {
  type: ProviderType;
  values: Record<string, string>;
  onChange: (values: Record<string, string>) => void;
  errors: Record<string, string>;
  editing?: boolean;
}) {
  const set = (key: string, value: string) => onChange({ ...values, [key]: value });
  return (
    <>
      {visibleFields(type, values).map((f) => {
        const error = errors[`config.${f.key}`];
        const isSecret = f.kind === "secret" || f.kind === "textarea-secret";
        const help = isSecret && editing && values[f.key] === MASK ? "Stored secret, hidden. Leave as is to keep it, or type a new one to replace it." : f.help;
        return (
          <Field key={f.key} label={f.label} error={error} help={help} required={f.required}>
            {(props) =>
              f.kind === "select" ? (
                <select {...props} value={values[f.key] ?? f.options?.[0]?.value ?? ""} onChange={(e) => set(f.key, e.target.value)}>
                  {f.options?.map((o) => (
                    <option key={o.value} value={o.value}>
                      {o.label}
                    </option>
                  ))}
                </select>
              ) : f.kind === "textarea-secret" ? (
                <textarea
                  {...props}
                  className="secret-textarea"
                  rows={values[f.key] === MASK ? 1 : 5}
                  spellCheck={false}
                  autoComplete="off"
                  value={values[f.key] ?? ""}
                  placeholder="-----BEGIN OPENSSH PRIVATE KEY-----"
                  onFocus={(e) => e.target.value === MASK && e.target.select()}
                  onChange={(e) => set(f.key, e.target.value)}
                />
              ) : (
                <input
                  {...props}
                  type={f.kind === "secret" ? "password" : f.kind === "number" ? "number" : f.kind === "url" ? "url" : "text"}
                  inputMode={f.kind === "number" ? "numeric" : undefined}
                  autoComplete={f.kind === "secret" ? "new-password" : "off"}
                  spellCheck={false}
                  placeholder={f.placeholder}
                  value={values[f.key] ?? ""}
                  onFocus={(e) => e.target.value === MASK && e.target.select()}
                  onChange={(e) => set(f.key, e.target.value)}
                />
              )
            }
          </Field>
        );
      })}
    </>
  );
}
