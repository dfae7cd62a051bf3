import { useState, type FormEvent } from "react";
import { decodeToken, isExpired } from "../auth";
import { Field } from "./Field";

export function SignIn({ onSignIn, reason }: { onSignIn: (token: string) => void; reason?: string | null }) {
  const [token, setToken] = useState("");
  const [error, setError] = useState<string | undefined>();
  const submit = (e: FormEvent) => {
    e.preventDefault();
    const claims = decodeToken(token);
    if (!claims) return setError("That is not a JWT (three base64url parts separated by dots).");
    if (isExpired(claims)) return setError("That token has expired: mint a new one.");
    onSignIn(token.trim());
  };
  return (
    <main className="signin" id="main">
      <form className="card signin-card" onSubmit={submit} noValidate>
        <h1>Sign in to SIS integrations</h1>
        {reason && (
          <div className="alert alert-error" role="alert">
            {reason}
          </div>
        )}
        <Field
          label="Access token"
          error={error}
          required
          help={
            <>
              Paste the JWT your platform issued. In development: <code>pnpm token --role DISTRICT_ADMIN --tenant &lt;tenant id&gt;</code>
            </>
          }
        >
          {(props) => <textarea {...props} className="mono" rows={5} autoFocus spellCheck={false} autoComplete="off" value={token} onChange={(e) => setToken(e.target.value)} />}
        </Field>
        <button type="submit" className="button primary">
          Sign in
        </button>
        <p className="muted small">The token stays in this browser tab only and is forgotten when the tab closes.</p>
      </form>
    </main>
  );
}

export function NotAllowed({ message, onSignOut }: { message: string; onSignOut: () => void }) {
  return (
    <main className="signin" id="main">
      <div className="card signin-card" role="alert" data-testid="not-allowed">
        <h1>Not allowed</h1>
        <p>{message}</p>
        <p className="muted">Ask your district's sis-sync administrator for access, or sign in with another account.</p>
        <button type="button" className="button" onClick={onSignOut}>
          Sign in with a different token
        </button>
      </div>
    </main>
  );
}
