import { useCallback, useEffect, useState, type FormEvent } from "react";
import { api, onAuthProblem, setApiToken } from "./api";
import { clearToken, decodeToken, isExpired, loadTenant, loadToken, saveTenant, saveToken, takeTokenFromFragment, type Claims } from "./auth";
import { Link } from "./components/Link";
import { ProviderDetails } from "./components/ProviderDetails";
import { ProviderList } from "./components/ProviderList";
import { RunDetail } from "./components/RunDetail";
import { NotAllowed, SignIn } from "./components/SignIn";
import { navigate, useRoute } from "./router";

const ALLOWED_ROLES = ["PLATFORM_ADMIN", "DISTRICT_ADMIN"];

function initialToken(): string | null {
  const fromLink = takeTokenFromFragment();
  if (fromLink) saveToken(fromLink);
  return fromLink ?? loadToken();
}

export function App() {
  const [token, setToken] = useState<string | null>(() => {
    const t = initialToken();
    const c = t ? decodeToken(t) : null;
    return t && c && !isExpired(c) ? t : null;
  });
  const [signedOutReason, setSignedOutReason] = useState<string | null>(null);
  const [forbidden, setForbidden] = useState<string | null>(null);
  const [tenant, setTenant] = useState<string | null>(() => loadTenant());
  const [queuesReady, setQueuesReady] = useState(false);
  const route = useRoute();
  const claims: Claims | null = token ? decodeToken(token) : null;
  const isPlatform = !!claims?.roles.includes("PLATFORM_ADMIN");

  setApiToken(token);

  const signOut = useCallback((reason: string | null = null) => {
    // Drop Bull Board's cookie too; harmless when there is none.
    void api.closeAdminSession().catch(() => undefined);
    clearToken();
    setToken(null);
    setTenant(null);
    setForbidden(null);
    setQueuesReady(false);
    setSignedOutReason(reason);
  }, []);

  useEffect(() => {
    onAuthProblem((status) => {
      if (status === 401) signOut("Your session has expired or the token was refused. Sign in again.");
      else setForbidden("Your account is not allowed to see this tenant's integrations.");
    });
    return () => onAuthProblem(null);
  }, [signOut]);

  // Bull Board (/admin/queues) checks a short-lived httpOnly cookie, which the API sets in
  // exchange for a PLATFORM_ADMIN bearer token.
  useEffect(() => {
    if (!token || !isPlatform) return;
    api.openAdminSession().then(
      () => setQueuesReady(true),
      () => setQueuesReady(false),
    );
  }, [token, isPlatform]);

  // Leaving a forbidden page (e.g. a PLATFORM_ADMIN switching tenant) clears the message.
  useEffect(() => setForbidden(null), [route, tenant]);

  const signIn = (t: string) => {
    saveToken(t);
    setSignedOutReason(null);
    setForbidden(null);
    setToken(t);
    const c = decodeToken(t);
    if (c && !c.roles.includes("PLATFORM_ADMIN")) setTenant(null);
    if (route.name !== "list") navigate("/");
  };

  if (!token || !claims) return <SignIn onSignIn={signIn} reason={signedOutReason} />;

  if (!claims.roles.some((r) => ALLOWED_ROLES.includes(r))) {
    return (
      <NotAllowed
        message={`This page is for district administrators. Your token's roles (${claims.roles.join(", ") || "none"}) do not include DISTRICT_ADMIN.`}
        onSignOut={() => signOut()}
      />
    );
  }
  if (!isPlatform && !claims.tenantId) {
    return <NotAllowed message="Your token names no tenant (tenantId claim), so there is no district to show." onSignOut={() => signOut()} />;
  }

  const tenantId = isPlatform ? tenant : claims.tenantId!;

  return (
    <>
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <header className="topbar">
        <Link to="/" className="brand">
          <span className="brand-mark" aria-hidden="true">⟳</span> sis-sync
        </Link>
        <span className="topbar-title">SIS integrations</span>
        <div className="topbar-right">
          {isPlatform ? (
            <TenantPicker
              value={tenant}
              onChange={(t) => {
                saveTenant(t);
                setTenant(t);
                navigate("/");
              }}
            />
          ) : (
            <span className="tenant-chip" title="Your district">
              District: <strong>{claims.tenantId}</strong>
            </span>
          )}
          {isPlatform && queuesReady && (
            <a className="button small" href="/admin/queues" target="_blank" rel="noopener">
              Queues (Bull Board)
            </a>
          )}
          <span className="muted small user">{claims.sub ?? ""}</span>
          <button type="button" className="button small" onClick={() => signOut()}>
            Sign out
          </button>
        </div>
      </header>
      {forbidden ? (
        <NotAllowed message={forbidden} onSignOut={() => signOut()} />
      ) : !tenantId ? (
        <main className="page" id="main">
          <h1>Choose a tenant</h1>
          <p>You are signed in as a platform administrator. Enter a tenant id in the header to see its integrations.</p>
        </main>
      ) : route.name === "list" ? (
        <ProviderList tenantId={tenantId} />
      ) : route.name === "provider" ? (
        <ProviderDetails key={route.providerId} providerId={route.providerId} tab={route.tab} />
      ) : route.name === "run" ? (
        <RunDetail providerId={route.providerId} runId={route.runId} />
      ) : (
        <main className="page" id="main">
          <h1>Page not found</h1>
          <p>
            <Link to="/">Back to the integrations</Link>
          </p>
        </main>
      )}
    </>
  );
}

function TenantPicker({ value, onChange }: { value: string | null; onChange: (t: string) => void }) {
  const [draft, setDraft] = useState(value ?? "");
  useEffect(() => setDraft(value ?? ""), [value]);
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (draft.trim()) onChange(draft.trim());
  };
  return (
    <form className="tenant-picker" onSubmit={submit}>
      <label htmlFor="tenant-input">Tenant</label>
      <input id="tenant-input" value={draft} onChange={(e) => setDraft(e.target.value)} placeholder="tenant id" autoComplete="off" spellCheck={false} />
      <button type="submit" className="button small">
        Open
      </button>
    </form>
  );
}
