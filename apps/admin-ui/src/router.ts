import { useEffect, useState } from "react";

// A tiny path router under Vite's base (/integrations/sis/); the API falls back to index.html
// for any deeper path, so links are real URLs that survive a reload.

export const BASE = import.meta.env.BASE_URL.replace(/\/$/, "");

export type Route =
  | { name: "list" }
  | { name: "provider"; providerId: string; tab: "overview" | "history" }
  | { name: "run"; providerId: string; runId: string }
  | { name: "notFound" };

export function parseRoute(pathname: string): Route {
  let rest = pathname.startsWith(BASE) ? pathname.slice(BASE.length) : pathname;
  rest = rest.replace(/^\/+|\/+$/g, "");
  if (rest === "") return { name: "list" };
  const parts = rest.split("/").map(decodeURIComponent);
  if (parts[0] === "providers" && parts[1]) {
    if (parts.length === 2) return { name: "provider", providerId: parts[1], tab: "overview" };
    if (parts.length === 3 && parts[2] === "history") return { name: "provider", providerId: parts[1], tab: "history" };
    if (parts.length === 4 && parts[2] === "runs") return { name: "run", providerId: parts[1], runId: parts[3] };
  }
  return { name: "notFound" };
}

export function href(path: string): string {
  return `${BASE}${path.startsWith("/") ? path : `/${path}`}`;
}

export function navigate(path: string): void {
  const url = href(path);
  if (url !== window.location.pathname) history.pushState(null, "", url);
  window.dispatchEvent(new Event("sis:navigate"));
  window.scrollTo(0, 0);
}

export function useRoute(): Route {
  const [route, setRoute] = useState(() => parseRoute(window.location.pathname));
  useEffect(() => {
    const update = () => setRoute(parseRoute(window.location.pathname));
    window.addEventListener("popstate", update);
    window.addEventListener("sis:navigate", update);
    return () => {
      window.removeEventListener("popstate", update);
      window.removeEventListener("sis:navigate", update);
    };
  }, []);
  return route;
}
