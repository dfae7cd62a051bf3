/**
 * Clever Data API v3.0 on loopback: district-app token listing at /oauth/tokens (Basic auth),
 * bearer-protected /v3.0 routes, Clever's list envelope and starting_after/ending_before paging.
 */
import { randomBytes } from "node:crypto";
import express, { type Request, type Response } from "express";
import type { Server } from "node:http";
import {
  ArraySet,
  ViewCache,
  firstIndexAfter,
  firstIndexNotBefore,
  type District,
  type RecordSet,
  type SimClass,
  type SimUser,
} from "../generator";
import type { HttpFaults } from "../faults";
import { sendJson } from "../http/send-json";
import { PeerCore, closeServer, type HttpPeerControls, type ListenOptions } from "../http/peer-server";
import { cleverCourse, cleverDistrict, cleverSchool, cleverSection, cleverTerm, cleverUser } from "./clever-records";
import { CleverEventLog } from "./clever-events";

export interface CleverCredentials {
  clientId: string;
  clientSecret: string;
  districtId: string;
  /** The district-app token valid at start (a rotated one is listed by the token endpoint). */
  accessToken: string;
  /** Origin without /v3.0, e.g. http://127.0.0.1:41234 */
  baseUrl: string;
  /** GET with Basic auth: `?owner_type=district&district=<id>`. */
  tokenUrl: string;
}

export interface CleverPeerOptions extends ListenOptions {
  district: District;
  credentials?: Partial<Pick<CleverCredentials, "clientId" | "clientSecret" | "accessToken">>;
  faults?: HttpFaults;
}

export interface CleverPeer extends HttpPeerControls {
  url: string;
  credentials: CleverCredentials;
}

/** Clever: "limit … may be over 10000" → 413. */
const MAX_LIMIT = 10_000;
const DEFAULT_LIMIT = 100;
/** Clever's documented budget: 1200 requests per minute per token. */
const RATE_LIMIT_PER_MINUTE = 1200;
const SCOPES = ["read:district_admins", "read:districts", "read:school_admins", "read:schools", "read:sections", "read:students", "read:teachers", "read:user_id"];
const USER_ROLES: Record<string, (d: District) => RecordSet<SimUser>> = {
  student: (d) => d.students,
  teacher: (d) => d.teachers,
  district_admin: (d) => d.administrators,
  staff: () => new ArraySet<SimUser>([]),
  contact: () => new ArraySet<SimUser>([]),
};

type Json = Record<string, unknown>;

function token(): string {
  return randomBytes(20).toString("hex");
}

function rateHeaders(remaining: number, resetSeconds: number): Record<string, string> {
  return {
    "X-RateLimit-Limit": String(RATE_LIMIT_PER_MINUTE),
    "X-RateLimit-Remaining": String(Math.max(0, remaining)),
    "X-RateLimit-Reset": String(resetSeconds),
  };
}

function nextMinute(): number {
  return Math.ceil((Date.now() + 1) / 60_000) * 60;
}

export async function startCleverPeer(options: CleverPeerOptions): Promise<CleverPeer> {
  const core = new PeerCore(options.district);
  if (options.faults) core.faults.set(options.faults);
  const clientId = options.credentials?.clientId ?? `clever-client-${token().slice(0, 8)}`;
  const clientSecret = options.credentials?.clientSecret ?? token();
  /** token → data request number when issued (the clock of the expiry fault). */
  const tokens = new Map<string, number>();
  let currentToken = options.credentials?.accessToken ?? token();
  tokens.set(currentToken, 0);
  const views = new ViewCache();
  const events = new CleverEventLog();
  let minuteStart = Date.now();
  let usedThisMinute = 0;

  const app = core.app;

  app.get("/oauth/tokens", (req, res) => {
    const header = req.get("authorization") ?? "";
    const [scheme, encoded] = header.split(" ");
    const [id, ...secretParts] = Buffer.from(encoded ?? "", "base64").toString().split(":");
    if (scheme?.toLowerCase() !== "basic" || id !== clientId || secretParts.join(":") !== clientSecret) {
      sendJson(res, 401, { error: "invalid_client", error_description: "invalid client credentials" });
      return;
    }
    if (req.query.owner_type !== "district") {
      sendJson(res, 400, { error: "invalid_request", error_description: "owner_type must be district" });
      return;
    }
    const d = core.district;
    // A token that stopped working is rotated, as Clever does; apps re-list tokens to get the new one.
    if (core.faults.isTokenExpired(tokens.get(currentToken) ?? 0)) {
      currentToken = token();
      tokens.set(currentToken, core.faults.requestNumber);
    }
    const wanted = typeof req.query.district === "string" ? req.query.district : undefined;
    const data =
      wanted && wanted !== d.org.id
        ? []
        : [{ id: `tok-${currentToken.slice(0, 12)}`, created: "2026-08-01T00:00:00.000Z", owner: { type: "district", id: d.org.id }, access_token: currentToken, scopes: SCOPES }];
    sendJson(res, 200, { data, links: [{ rel: "self", uri: req.originalUrl }] });
  });

  const api = express.Router();
  api.use((req, res, next) => {
    const match = /^Bearer\s+(\S+)$/i.exec(req.get("authorization") ?? "");
    const issued = match ? tokens.get(match[1]) : undefined;
    if (issued === undefined || core.faults.isTokenExpired(issued)) {
      sendJson(res, 401, { message: issued === undefined ? "Unauthorized: invalid bearer token" : "Unauthorized: token expired" });
      return;
    }
    next();
  });
  api.use(
    core.faults.middleware((res, retryAfter) => {
      const reset = Math.floor(Date.now() / 1000) + retryAfter;
      sendJson(res, 429, { message: "Too Many Requests" }, { ...rateHeaders(0, reset), "Retry-After": String(retryAfter) });
    }),
  );
  api.use((_req, res, next) => {
    if (Date.now() - minuteStart >= 60_000) {
      minuteStart = Date.now();
      usedThisMinute = 0;
    }
    usedThisMinute++;
    res.set(rateHeaders(RATE_LIMIT_PER_MINUTE - usedThisMinute, nextMinute()));
    next();
  });

  const list = <T extends { id: string }>(req: Request, res: Response, set: RecordSet<T>, toJson: (r: T) => Json, itemPath: string) => {
    const limitText = typeof req.query.limit === "string" ? req.query.limit : undefined;
    const limit = limitText === undefined ? DEFAULT_LIMIT : Number(limitText);
    if (!Number.isInteger(limit) || limit < 1) {
      sendJson(res, 400, { message: "limit must be a positive integer" });
      return;
    }
    if (limit > MAX_LIMIT) {
      sendJson(res, 413, { message: "Your limit parameter may be over 10000" });
      return;
    }
    const after = typeof req.query.starting_after === "string" ? req.query.starting_after : undefined;
    const before = typeof req.query.ending_before === "string" ? req.query.ending_before : undefined;
    let start: number;
    let end: number;
    if (before !== undefined) {
      end = firstIndexNotBefore(set, before);
      start = Math.max(0, end - limit);
    } else {
      start = after === undefined ? 0 : firstIndexAfter(set, after);
      end = Math.min(set.count, start + limit);
    }
    const page = Math.floor(start / limit) + 1;
    const status = core.faults.pageError(req.path, page);
    if (status !== null) {
      sendJson(res, status, { message: "Internal Server Error" });
      return;
    }
    const records: T[] = [];
    if (core.faults.repeatsRecordOnPage(page) && start > 0) records.push(set.at(start - 1));
    for (let i = start; i < end; i++) records.push(set.at(i));
    const base = `/v3.0${req.path}`;
    const query = (extra: Record<string, string>) => {
      const params = new URLSearchParams();
      for (const [k, v] of Object.entries(req.query)) {
        if (typeof v === "string" && k !== "starting_after" && k !== "ending_before") params.set(k, v);
      }
      for (const [k, v] of Object.entries(extra)) params.set(k, v);
      const text = params.toString();
      return text ? `${base}?${text}` : base;
    };
    const links: { rel: string; uri: string }[] = [{ rel: "self", uri: `/v3.0${req.url}` }];
    if (end > start && start > 0) links.push({ rel: "prev", uri: query({ ending_before: set.at(start).id }) });
    if (end < set.count && end > start) links.push({ rel: "next", uri: query({ starting_after: set.at(end - 1).id }) });
    sendJson(res, 200, { data: records.map((r) => ({ data: toJson(r), uri: `/v3.0/${itemPath}/${r.id}` })), links });
  };

  const one = <T extends { id: string }>(res: Response, set: RecordSet<T>, id: string, toJson: (r: T) => Json, itemPath: string) => {
    const index = set.indexOf(id);
    if (index < 0) {
      sendJson(res, 404, { message: "Resource not found" });
      return;
    }
    sendJson(res, 200, { data: toJson(set.at(index)), links: [{ rel: "self", uri: `/v3.0/${itemPath}/${id}` }] });
  };

  const usersByRole = (req: Request, res: Response, d: District, schoolId?: string) => {
    const role = typeof req.query.role === "string" && req.query.role !== "" ? req.query.role : undefined;
    if (role !== undefined && !USER_ROLES[role]) {
      sendJson(res, 400, { message: `invalid role ${role}` });
      return null;
    }
    const set = role ? USER_ROLES[role](d) : d.users;
    return schoolId ? views.grouped(d, `users-by-school:${role ?? ""}`, set, (u) => u.schoolIds, schoolId) : set;
  };

  const district = (d: District) => new ArraySet([{ id: d.org.id }]);
  const toDistrict = (d: District) => () => cleverDistrict(d);
  const sectionsBy = (d: District, name: string, keysOf: (c: SimClass) => readonly string[], key: string) =>
    views.grouped(d, `sections-by-${name}`, d.classes, keysOf, key);

  api.get("/districts", (req, res) => list(req, res, district(core.district), toDistrict(core.district), "districts"));
  api.get("/districts/:id", (req, res) => one(res, district(core.district), req.params.id, toDistrict(core.district), "districts"));
  api.get("/schools", (req, res) => {
    const d = core.district;
    list(req, res, d.schools, (s) => cleverSchool(d, s), "schools");
  });
  api.get("/schools/:id", (req, res) => {
    const d = core.district;
    one(res, d.schools, req.params.id, (s) => cleverSchool(d, s), "schools");
  });
  api.get("/schools/:id/:relation", (req, res) => {
    const d = core.district;
    const schoolId = req.params.id;
    if (d.schools.indexOf(schoolId) < 0) {
      sendJson(res, 404, { message: "Resource not found" });
      return;
    }
    switch (req.params.relation) {
      case "sections":
        return list(req, res, sectionsBy(d, "school", (c) => [c.schoolId], schoolId), (c) => cleverSection(d, c), "sections");
      case "users": {
        const set = usersByRole(req, res, d, schoolId);
        return set && list(req, res, set, (u) => cleverUser(d, u), "users");
      }
      case "terms":
        return list(req, res, d.terms, (t) => cleverTerm(d, t), "terms");
      case "courses":
        return list(req, res, d.courses, (c) => cleverCourse(d, c), "courses");
      case "district":
        return one(res, district(d), d.org.id, toDistrict(d), "districts");
      default:
        sendJson(res, 404, { message: "Not found" });
    }
  });
  api.get("/sections", (req, res) => {
    const d = core.district;
    list(req, res, d.classes, (c) => cleverSection(d, c), "sections");
  });
  api.get("/sections/:id", (req, res) => {
    const d = core.district;
    one(res, d.classes, req.params.id, (c) => cleverSection(d, c), "sections");
  });
  api.get("/sections/:id/:relation", (req, res) => {
    const d = core.district;
    const index = d.classes.indexOf(req.params.id);
    if (index < 0) {
      sendJson(res, 404, { message: "Resource not found" });
      return;
    }
    const section = d.classes.at(index);
    switch (req.params.relation) {
      case "users": {
        const role = req.query.role;
        const ids = role === "student" ? section.studentIds : role === "teacher" ? section.teacherIds : [...section.teacherIds, ...section.studentIds];
        const members = ids.map((id) => d.users.at(d.users.indexOf(id))).sort((a, b) => (a.id < b.id ? -1 : 1));
        return list(req, res, new ArraySet(members), (u) => cleverUser(d, u), "users");
      }
      case "course":
        return one(res, d.courses, section.courseId, (c) => cleverCourse(d, c), "courses");
      case "term":
        return one(res, d.terms, section.termId, (t) => cleverTerm(d, t), "terms");
      case "school":
        return one(res, d.schools, section.schoolId, (s) => cleverSchool(d, s), "schools");
      case "district":
        return one(res, district(d), d.org.id, toDistrict(d), "districts");
      default:
        sendJson(res, 404, { message: "Not found" });
    }
  });
  api.get("/users", (req, res) => {
    const d = core.district;
    const set = usersByRole(req, res, d);
    if (set) list(req, res, set, (u) => cleverUser(d, u), "users");
  });
  api.get("/users/:id", (req, res) => {
    const d = core.district;
    one(res, d.users, req.params.id, (u) => cleverUser(d, u), "users");
  });
  api.get("/users/:id/sections", (req, res) => {
    const d = core.district;
    const userId = req.params.id;
    if (d.users.indexOf(userId) < 0) {
      sendJson(res, 404, { message: "Resource not found" });
      return;
    }
    const set = views.view(d, `sections-of-user:${userId}`, d.classes, (c) => c.teacherIds.includes(userId) || c.studentIds.includes(userId));
    list(req, res, set, (c) => cleverSection(d, c), "sections");
  });
  api.get("/terms", (req, res) => {
    const d = core.district;
    list(req, res, d.terms, (t) => cleverTerm(d, t), "terms");
  });
  api.get("/terms/:id", (req, res) => {
    const d = core.district;
    one(res, d.terms, req.params.id, (t) => cleverTerm(d, t), "terms");
  });
  api.get("/terms/:id/sections", (req, res) => {
    const d = core.district;
    const termId = req.params.id;
    list(req, res, sectionsBy(d, "term", (c) => [c.termId], termId), (c) => cleverSection(d, c), "sections");
  });
  api.get("/courses", (req, res) => {
    const d = core.district;
    list(req, res, d.courses, (c) => cleverCourse(d, c), "courses");
  });
  api.get("/courses/:id", (req, res) => {
    const d = core.district;
    one(res, d.courses, req.params.id, (c) => cleverCourse(d, c), "courses");
  });
  api.get("/courses/:id/sections", (req, res) => {
    const d = core.district;
    const courseId = req.params.id;
    list(req, res, sectionsBy(d, "course", (c) => [c.courseId], courseId), (c) => cleverSection(d, c), "sections");
  });
  api.get("/events", (req, res) => {
    const after = typeof req.query.starting_after === "string" ? req.query.starting_after : undefined;
    if (after !== undefined && !events.knows(after)) {
      sendJson(res, 404, { message: `Event ${after} not found: unknown, or older than the event window` });
      return;
    }
    list(req, res, events.set, (e) => ({ ...e }), "events");
  });
  api.get("/events/:id", (req, res) => one(res, events.set, req.params.id, (e) => ({ ...e }), "events"));
  api.use((_req, res) => sendJson(res, 404, { message: "Not found" }));
  app.use("/v3.0", api);

  const { server, origin } = await core.listen(options);
  return {
    url: `${origin}/v3.0`,
    credentials: { clientId, clientSecret, districtId: options.district.org.id, accessToken: currentToken, baseUrl: origin, tokenUrl: `${origin}/oauth/tokens` },
    setDistrict: (d) => {
      events.record(core.district, d);
      core.setDistrict(d);
    },
    setFaults: (f) => core.faults.set(f),
    requestCount: () => core.stats().requests,
    stats: () => core.stats(),
    close: () => closeServer(server as Server),
  };
}
