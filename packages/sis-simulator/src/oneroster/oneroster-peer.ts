/**
 * OneRoster 1.1 REST on loopback (`/ims/oneroster/v1p1`), authenticated by OAuth 1.0a
 * signatures or OAuth 2.0 client-credentials bearer tokens. The "classlink" flavour adds
 * ClassLink's proxy URL shape (`/{tenantId}/ims/oneroster/v1p1/...`) on the same routes.
 */
import { randomBytes } from "node:crypto";
import express, { type Request, type Response } from "express";
import type { Server } from "node:http";
import { ArraySet, IndexView, ViewCache, type District, type RecordSet, type SimClass, type SimEnrollment, type SimUser } from "../generator";
import type { HttpFaults } from "../faults";
import { sendJson } from "../http/send-json";
import { PeerCore, closeServer, type HttpPeerControls, type ListenOptions } from "../http/peer-server";
import { parseFilter } from "./filter";
import { DELTA_HISTORY_DAYS, DeltaHistory, deltaSet, deltaSince, tombstones, type DeltaRow } from "./oneroster-delta";
import { OAuth1Verifier } from "./oauth1";
import { classJson, courseJson, enrollmentJson, orgJson, sessionJson, userJson, type OneRosterStyle, type OrgEntry } from "./oneroster-records";

export type OneRosterFlavour = "oneroster" | "classlink";

export interface OneRosterCredentials {
  /** Ends in /ims/oneroster/v1p1. */
  baseUrl: string;
  clientId: string;
  clientSecret: string;
  /** POST client credentials (Basic auth or form fields) → { access_token, token_type, expires_in }. */
  tokenUrl: string;
}

export interface ClassLinkCredentials {
  clientId: string;
  clientSecret: string;
  /** The proxy path segment: requests go to `${baseUrl}/${tenantId}/ims/oneroster/v1p1/...`. */
  tenantId: string;
  /** The proxy origin (like https://oneroster-proxy.classlink.io), no path. */
  baseUrl: string;
  /** `${baseUrl}/${tenantId}/ims/oneroster/v1p1`, spelled out. */
  rosterUrl: string;
  /** A console-style bearer token valid from the start (ClassLink's proxy tokens do not expire). */
  accessToken: string;
  /** Same OAuth 2.0 client-credentials endpoint as the plain flavour. */
  tokenUrl: string;
}

interface PeerOptionsBase extends ListenOptions {
  district: District;
  faults?: HttpFaults;
  credentials?: { clientId?: string; clientSecret?: string; tenantId?: string; accessToken?: string };
}
export interface OneRosterPeerOptions extends PeerOptionsBase {
  flavour?: "oneroster";
}
export interface ClassLinkPeerOptions extends PeerOptionsBase {
  flavour: "classlink";
}

export interface OneRosterPeer<C = OneRosterCredentials> extends HttpPeerControls {
  /** The OneRoster root the peer serves (for the classlink flavour: the tenant's proxy root). */
  url: string;
  credentials: C;
}

export const ONEROSTER_ROOT = "/ims/oneroster/v1p1";
const DEFAULT_LIMIT = 100;
const TOKEN_LIFETIME_SECONDS = 3600;

type Json = Record<string, unknown>;

function imsxError(res: Response, status: number, codeMinor: string, description: string, headers: Record<string, string> = {}): void {
  sendJson(
    res,
    status,
    {
      statusInfoSet: [
        {
          imsx_codeMajor: "failure",
          imsx_severity: "error",
          imsx_description: description,
          imsx_CodeMinor: { imsx_codeMinorField: [{ imsx_codeMinorFieldName: "TargetEndSystem", imsx_codeMinorFieldValue: codeMinor }] },
        },
      ],
    },
    headers,
  );
}

/** RFC 6749 §2.3.1: Basic credentials are form-encoded; tolerate clients that send them raw. */
function formDecode(value: string): string {
  try {
    return decodeURIComponent(value.replace(/\+/g, " "));
  } catch {
    return value;
  }
}

function randomToken(bytes = 20): string {
  return randomBytes(bytes).toString("hex");
}

export function startOneRosterPeer(options: ClassLinkPeerOptions): Promise<OneRosterPeer<ClassLinkCredentials>>;
export function startOneRosterPeer(options: OneRosterPeerOptions): Promise<OneRosterPeer<OneRosterCredentials>>;
export async function startOneRosterPeer(options: OneRosterPeerOptions | ClassLinkPeerOptions): Promise<OneRosterPeer<OneRosterCredentials | ClassLinkCredentials>> {
  const flavour: OneRosterFlavour = options.flavour ?? "oneroster";
  const core = new PeerCore(options.district);
  if (options.faults) core.faults.set(options.faults);
  const clientId = options.credentials?.clientId ?? `${flavour}-client-${randomToken(4)}`;
  const clientSecret = options.credentials?.clientSecret ?? randomToken();
  const tenantId = options.credentials?.tenantId ?? String(1000 + (randomBytes(2).readUInt16BE(0) % 9000));
  const staticToken = options.credentials?.accessToken ?? randomToken();
  const verifier = new OAuth1Verifier(clientId, clientSecret);
  /** token → { request number when issued, expiry in ms }. */
  const tokens = new Map<string, { issuedAt: number; expiresAt: number }>();
  if (flavour === "classlink") tokens.set(staticToken, { issuedAt: 0, expiresAt: Infinity });
  const views = new ViewCache();
  const history = new DeltaHistory(options.district);
  const deltas = new WeakMap<District, Map<string, RecordSet<DeltaRow>>>();
  const app = core.app;

  app.post("/oauth/token", express.urlencoded({ extended: false }), (req, res) => {
    const body = (req.body ?? {}) as Record<string, string | undefined>;
    let id = body.client_id;
    let secret = body.client_secret;
    const basic = /^Basic\s+(\S+)$/i.exec(req.get("authorization") ?? "");
    if (basic) {
      const decoded = Buffer.from(basic[1], "base64").toString();
      const colon = decoded.indexOf(":");
      id = formDecode(decoded.slice(0, colon));
      secret = formDecode(decoded.slice(colon + 1));
    }
    if (body.grant_type !== "client_credentials") {
      sendJson(res, 400, { error: "unsupported_grant_type" });
      return;
    }
    if (id !== clientId || secret !== clientSecret) {
      sendJson(res, 401, { error: "invalid_client" });
      return;
    }
    const accessToken = randomToken();
    tokens.set(accessToken, { issuedAt: core.faults.requestNumber, expiresAt: Date.now() + TOKEN_LIFETIME_SECONDS * 1000 });
    sendJson(res, 200, { access_token: accessToken, token_type: "bearer", expires_in: TOKEN_LIFETIME_SECONDS, scope: body.scope ?? "roster-core.readonly" });
  });

  const api = express.Router({ mergeParams: true });
  api.use((req, res, next) => {
    const tenant = (req.params as Record<string, string | undefined>).tenantId;
    if (tenant !== undefined && tenant !== tenantId) {
      imsxError(res, 404, "unknownobject", `unknown application ${tenant}`);
      return;
    }
    const header = req.get("authorization") ?? "";
    const bearer = /^Bearer\s+(\S+)$/i.exec(header);
    if (bearer) {
      const entry = tokens.get(bearer[1]);
      if (!entry || entry.expiresAt < Date.now() || core.faults.isTokenExpired(entry.issuedAt)) {
        imsxError(res, 401, "unauthorisedrequest", entry ? "access token expired" : "invalid access token");
        return;
      }
      next();
      return;
    }
    if (/^OAuth\s/i.test(header)) {
      const query = req.originalUrl.includes("?") ? req.originalUrl.slice(req.originalUrl.indexOf("?") + 1) : "";
      const url = `${req.protocol}://${req.get("host")}${req.baseUrl}${req.path}`;
      const result = verifier.verify(req.method, url, query, header);
      if (!result.ok) {
        imsxError(res, 401, "unauthorisedrequest", `OAuth 1.0a: ${result.reason}`);
        return;
      }
      next();
      return;
    }
    imsxError(res, 401, "unauthorisedrequest", "missing Authorization");
  });
  api.use(core.faults.middleware((res, retryAfter) => imsxError(res, 429, "server_busy", "too many requests", { "Retry-After": String(retryAfter) })));

  const styleOf = (req: Request): OneRosterStyle => ({
    root: `${req.protocol}://${req.get("host")}${req.baseUrl}`,
    stringBooleans: flavour === "classlink",
  });

  /** A top-level collection of a district, for the tombstones of a delta read. */
  type Collection = (d: District) => { set: RecordSet<{ id: string }>; toJson: (style: OneRosterStyle, r: never) => Json };
  const list = <T extends { id: string }>(req: Request, res: Response, key: string, set: RecordSet<T>, toJson: (style: OneRosterStyle, r: T) => Json, collection?: Collection) => {
    const style = styleOf(req);
    const q = req.query as Record<string, unknown>;
    const limit = q.limit === undefined ? DEFAULT_LIMIT : Number(q.limit);
    const offset = q.offset === undefined ? 0 : Number(q.offset);
    if (!Number.isInteger(limit) || limit < 1 || !Number.isInteger(offset) || offset < 0) {
      imsxError(res, 400, "invaliddata", "limit must be a positive integer and offset a non-negative one");
      return;
    }
    let records: RecordSet<T> = set;
    const since = collection && typeof q.filter === "string" ? deltaSince(q.filter) : null;
    if (collection && since !== null) {
      const base = history.at(since);
      if (!base) {
        imsxError(res, 400, "invalid_filter_field", `dateLastModified '${since}' is older than the change history this server keeps (${DELTA_HISTORY_DAYS} days)`);
        return;
      }
      const d = core.district;
      const cache = deltas.get(d) ?? new Map<string, RecordSet<DeltaRow>>();
      deltas.set(d, cache);
      const cacheKey = `${base.day}|${req.baseUrl}${req.path}|${String(q.filter)}`;
      let rows = cache.get(cacheKey);
      if (!rows) {
        const keep = parseFilter(String(q.filter));
        const changed: DeltaRow[] = [];
        for (const r of set) {
          const json = toJson(style, r);
          if (keep(json)) changed.push({ id: r.id, json });
        }
        const old = collection(base);
        const now = collection(d);
        rows = deltaSet(changed, tombstones(old.set, now.set, (r) => old.toJson(style, r as never), d.day));
        cache.set(cacheKey, rows);
      }
      records = rows as unknown as RecordSet<T>;
      toJson = (_style, r) => (r as unknown as DeltaRow).json;
    } else if (typeof q.filter === "string") {
      let keep: (r: Json) => boolean;
      try {
        keep = parseFilter(q.filter);
      } catch (error) {
        imsxError(res, 400, "invalid_filter_field", (error as Error).message);
        return;
      }
      records = views.view(set, `${req.baseUrl}${req.path}?${q.filter}`, set, (r) => keep(toJson(style, r)));
    }
    const page = Math.floor(offset / limit) + 1;
    const status = core.faults.pageError(req.path, page);
    if (status !== null) {
      imsxError(res, status, "internal_server_error", "simulated server error");
      return;
    }
    const end = Math.min(records.count, offset + limit);
    const rows: T[] = [];
    if (core.faults.repeatsRecordOnPage(page) && offset > 0 && offset <= records.count) rows.push(records.at(offset - 1));
    for (let i = offset; i < end; i++) rows.push(records.at(i));
    const fields = typeof q.fields === "string" ? q.fields.split(",").map((f) => f.trim()) : null;
    const body = rows.map((r) => {
      const json = toJson(style, r);
      return fields ? Object.fromEntries(fields.filter((f) => f in json).map((f) => [f, json[f]])) : json;
    });
    const url = (newOffset: number) => {
      const params = new URLSearchParams();
      for (const [k, v] of Object.entries(q)) if (typeof v === "string" && k !== "offset" && k !== "limit") params.set(k, v);
      params.set("limit", String(limit));
      params.set("offset", String(newOffset));
      return `<${style.root}${req.path}?${params.toString().replace(/\+/g, "%20")}>`;
    };
    const links: string[] = [];
    if (end < records.count) links.push(`${url(end)}; rel="next"`);
    if (offset > 0) links.push(`${url(Math.max(0, offset - limit))}; rel="prev"`);
    links.push(`${url(0)}; rel="first"`);
    links.push(`${url(Math.max(0, Math.floor((records.count - 1) / limit) * limit))}; rel="last"`);
    sendJson(res, 200, { [key]: body }, { "X-Total-Count": String(records.count), Link: links.join(", ") });
  };

  const one = <T extends { id: string }>(req: Request, res: Response, key: string, set: RecordSet<T>, toJson: (style: OneRosterStyle, r: T) => Json) => {
    const index = set.indexOf(String(req.params.id));
    if (index < 0) {
      imsxError(res, 404, "unknownobject", `no ${key} with sourcedId ${req.params.id}`);
      return;
    }
    sendJson(res, 200, { [key]: toJson(styleOf(req), set.at(index)) });
  };

  const orgs = (d: District): RecordSet<OrgEntry> =>
    views.memo(d, "orgs", () => new ArraySet<OrgEntry>([{ id: d.org.id, school: null }, ...[...d.schools].map((school) => ({ id: school.id, school }))]));
  const schoolOrgs = (d: District): RecordSet<OrgEntry> => views.memo(d, "school-orgs", () => new ArraySet<OrgEntry>([...d.schools].map((school) => ({ id: school.id, school }))));
  const org = (d: District) => (style: OneRosterStyle, o: OrgEntry) => orgJson(style, d, o);
  const user = (d: District) => (style: OneRosterStyle, u: SimUser) => userJson(style, d, u);
  const cls = (style: OneRosterStyle, c: SimClass) => classJson(style, c);
  const enrollment = (style: OneRosterStyle, e: SimEnrollment) => enrollmentJson(style, e);
  const usersBySchool = (d: District, set: RecordSet<SimUser>, role: string, schoolId: string) =>
    views.grouped(d, `users-by-school:${role}`, set, (u) => u.schoolIds, schoolId);
  const classesBy = (d: District, name: string, keysOf: (c: SimClass) => readonly string[], key: string) => views.grouped(d, `classes-by-${name}`, d.classes, keysOf, key);
  /** Enrollments of a set of classes: whole roster ranges of the enrollment set, no scan. */
  const enrollmentsOfClasses = (d: District, key: string, classIndexes: () => Iterable<number>) =>
    new IndexView(
      d.enrollments,
      views.memo(d, `enrollments:${key}`, () => {
        const out: number[] = [];
        for (const ci of classIndexes()) {
          const first = d.enrollments.firstIndexOfClass(ci);
          const last = d.enrollments.firstIndexOfClass(ci + 1);
          for (let i = first; i < last; i++) out.push(i);
        }
        return Int32Array.from(out);
      }),
    );
  const classIndexesOfSchool = (d: District, schoolId: string) => {
    const view = classesBy(d, "school", (c) => [c.schoolId], schoolId);
    return [...view].map((c) => d.classes.indexOf(c.id));
  };
  const requireIn = <T extends { id: string }>(res: Response, set: RecordSet<T>, id: string, what: string): T | null => {
    const index = set.indexOf(id);
    if (index < 0) {
      imsxError(res, 404, "unknownobject", `no ${what} with sourcedId ${id}`);
      return null;
    }
    return set.at(index);
  };

  const orgsOf: Collection = (d) => ({ set: orgs(d), toJson: org(d) as never });
  api.get("/orgs", (req, res) => list(req, res, "orgs", orgs(core.district), org(core.district), orgsOf));
  api.get("/orgs/:id", (req, res) => one(req, res, "org", orgs(core.district), org(core.district)));
  api.get("/schools", (req, res) => list(req, res, "orgs", schoolOrgs(core.district), org(core.district)));
  api.get("/schools/:id", (req, res) => one(req, res, "org", schoolOrgs(core.district), org(core.district)));
  api.get("/academicSessions", (req, res) => list(req, res, "academicSessions", core.district.sessions, (s, r) => sessionJson(s, core.district, r)));
  api.get("/academicSessions/:id", (req, res) => one(req, res, "academicSession", core.district.sessions, (s, r) => sessionJson(s, core.district, r)));
  api.get("/terms", (req, res) => list(req, res, "academicSessions", core.district.terms, (s, r) => sessionJson(s, core.district, r)));
  api.get("/terms/:id", (req, res) => one(req, res, "academicSession", core.district.terms, (s, r) => sessionJson(s, core.district, r)));
  api.get("/gradingPeriods", (req, res) => list(req, res, "academicSessions", new ArraySet<{ id: string }>([]), () => ({})));
  api.get("/courses", (req, res) => list(req, res, "courses", core.district.courses, (s, r) => courseJson(s, core.district, r)));
  api.get("/courses/:id", (req, res) => one(req, res, "course", core.district.courses, (s, r) => courseJson(s, core.district, r)));
  api.get("/classes", (req, res) => list(req, res, "classes", core.district.classes, cls, (d) => ({ set: d.classes, toJson: cls as never })));
  api.get("/classes/:id", (req, res) => one(req, res, "class", core.district.classes, cls));
  api.get("/users", (req, res) => list(req, res, "users", core.district.users, user(core.district), (d) => ({ set: d.users, toJson: user(d) as never })));
  api.get("/users/:id", (req, res) => one(req, res, "user", core.district.users, user(core.district)));
  api.get("/students", (req, res) => list(req, res, "users", core.district.students, user(core.district)));
  api.get("/students/:id", (req, res) => one(req, res, "user", core.district.students, user(core.district)));
  api.get("/teachers", (req, res) => list(req, res, "users", core.district.teachers, user(core.district)));
  api.get("/teachers/:id", (req, res) => one(req, res, "user", core.district.teachers, user(core.district)));
  api.get("/enrollments", (req, res) => list(req, res, "enrollments", core.district.enrollments, enrollment, (d) => ({ set: d.enrollments, toJson: enrollment as never })));
  api.get("/enrollments/:id", (req, res) => one(req, res, "enrollment", core.district.enrollments, enrollment));

  api.get("/schools/:id/:relation", (req, res) => {
    const d = core.district;
    const schoolId = req.params.id;
    if (!requireIn(res, d.schools, schoolId, "school")) return;
    switch (req.params.relation) {
      case "classes":
        return list(req, res, "classes", classesBy(d, "school", (c) => [c.schoolId], schoolId), cls);
      case "enrollments":
        return list(req, res, "enrollments", enrollmentsOfClasses(d, `school:${schoolId}`, () => classIndexesOfSchool(d, schoolId)), enrollment);
      case "students":
        return list(req, res, "users", usersBySchool(d, d.students, "student", schoolId), user(d));
      case "teachers":
        return list(req, res, "users", usersBySchool(d, d.teachers, "teacher", schoolId), user(d));
      case "courses":
        return list(req, res, "courses", d.courses, (s, r) => courseJson(s, d, r));
      case "terms":
        return list(req, res, "academicSessions", d.terms, (s, r) => sessionJson(s, d, r));
      default:
        imsxError(res, 404, "unknownobject", `unknown route ${req.path}`);
    }
  });
  const classMembers = (req: Request, res: Response, d: District, c: SimClass, relation: string) => {
    const classIndex = d.classes.indexOf(c.id);
    switch (relation) {
      case "enrollments":
        return list(req, res, "enrollments", enrollmentsOfClasses(d, `class:${c.id}`, () => [classIndex]), enrollment);
      case "students":
      case "teachers": {
        const ids = relation === "students" ? c.studentIds : c.teacherIds;
        const members = ids.map((id) => d.users.at(d.users.indexOf(id))).sort((a, b) => (a.id < b.id ? -1 : 1));
        return list(req, res, "users", new ArraySet(members), user(d));
      }
      default:
        imsxError(res, 404, "unknownobject", `unknown route ${req.path}`);
    }
  };
  api.get("/schools/:schoolId/classes/:classId/:relation", (req, res) => {
    const d = core.district;
    const c = requireIn(res, d.classes, req.params.classId, "class");
    if (!c) return;
    if (c.schoolId !== req.params.schoolId) {
      imsxError(res, 404, "unknownobject", `class ${c.id} is not in school ${req.params.schoolId}`);
      return;
    }
    classMembers(req, res, d, c, req.params.relation);
  });
  api.get("/classes/:id/:relation", (req, res) => {
    const d = core.district;
    const c = requireIn(res, d.classes, req.params.id, "class");
    if (c) classMembers(req, res, d, c, req.params.relation);
  });
  api.get("/terms/:id/classes", (req, res) => list(req, res, "classes", classesBy(core.district, "term", (c) => [c.termId], req.params.id), cls));
  api.get("/courses/:id/classes", (req, res) => list(req, res, "classes", classesBy(core.district, "course", (c) => [c.courseId], req.params.id), cls));
  api.get(["/users/:id/classes", "/students/:id/classes", "/teachers/:id/classes"], (req, res) => {
    const d = core.district;
    const userId = String(req.params.id);
    if (!requireIn(res, d.users, userId, "user")) return;
    list(req, res, "classes", views.view(d, `classes-of-user:${userId}`, d.classes, (c) => c.teacherIds.includes(userId) || c.studentIds.includes(userId)), cls);
  });
  api.use((req, res) => imsxError(res, 404, "unknownobject", `unknown route ${req.path}`));

  app.use(ONEROSTER_ROOT, api);
  if (flavour === "classlink") app.use(`/:tenantId${ONEROSTER_ROOT}`, api);

  const { server, origin } = await core.listen(options);
  const controls: HttpPeerControls = {
    setDistrict: (d) => {
      history.record(d);
      core.setDistrict(d);
    },
    setFaults: (f) => core.faults.set(f),
    requestCount: () => core.stats().requests,
    stats: () => core.stats(),
    close: () => closeServer(server as Server),
  };
  const tokenUrl = `${origin}/oauth/token`;
  if (flavour === "classlink") {
    const rosterUrl = `${origin}/${tenantId}${ONEROSTER_ROOT}`;
    return { ...controls, url: rosterUrl, credentials: { clientId, clientSecret, tenantId, baseUrl: origin, rosterUrl, accessToken: staticToken, tokenUrl } };
  }
  return { ...controls, url: `${origin}${ONEROSTER_ROOT}`, credentials: { baseUrl: `${origin}${ONEROSTER_ROOT}`, clientId, clientSecret, tokenUrl } };
}
