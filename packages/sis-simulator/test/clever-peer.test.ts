import { DISTRICT_SIZES, generateDistrict, mutate, startCleverPeer, type CleverPeer, type District } from "../src";

/** Response bodies are checked field by field by the assertions. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
async function json(res: Response): Promise<any> {
  return res.json();
}


type Envelope = { data: { data: Record<string, unknown>; uri: string }[]; links: { rel: string; uri: string }[] };

const district = generateDistrict({ ...DISTRICT_SIZES.tiny, seed: 21 });
let peer: CleverPeer;

beforeEach(async () => {
  peer = await startCleverPeer({ district });
});
afterEach(() => peer.close());

function get(path: string, token = peer.credentials.accessToken, init: RequestInit = {}) {
  return fetch(`${peer.credentials.baseUrl}${path}`, { ...init, headers: { Authorization: `Bearer ${token}` } });
}

async function listTokens(): Promise<{ status: number; body: { data: { access_token: string; owner: { type: string; id: string } }[] } }> {
  const c = peer.credentials;
  const res = await fetch(`${c.tokenUrl}?owner_type=district&district=${c.districtId}`, {
    headers: { Authorization: `Basic ${Buffer.from(`${c.clientId}:${c.clientSecret}`).toString("base64")}` },
  });
  return { status: res.status, body: await json(res) };
}

/** Follows links[rel=next] to the end; returns every item's data. */
async function pageAll(path: string): Promise<Record<string, unknown>[]> {
  const out: Record<string, unknown>[] = [];
  let next: string | undefined = path;
  while (next) {
    const res = await get(next);
    expect(res.status).toBe(200);
    const body = (await json(res)) as Envelope;
    out.push(...body.data.map((item) => item.data));
    next = body.links.find((l) => l.rel === "next")?.uri;
  }
  return out;
}

describe("Clever peer", () => {
  it("lists the district token for Basic client credentials and refuses wrong ones", async () => {
    const { status, body } = await listTokens();
    expect(status).toBe(200);
    expect(body.data).toEqual([expect.objectContaining({ access_token: peer.credentials.accessToken, owner: { type: "district", id: district.org.id } })]);
    const bad = await fetch(`${peer.credentials.tokenUrl}?owner_type=district`, { headers: { Authorization: `Basic ${Buffer.from("x:y").toString("base64")}` } });
    expect(bad.status).toBe(401);
    expect(await json(bad)).toMatchObject({ error: "invalid_client" });
  });

  it("requires the bearer token on the data API", async () => {
    const res = await get("/v3.0/users", "not-a-token");
    expect(res.status).toBe(401);
    expect(await json(res)).toEqual({ message: expect.any(String) });
  });

  it("pages users to the end with starting_after, ids ascending, in Clever's envelope", async () => {
    const res = await get("/v3.0/users?limit=7");
    const first = (await json(res)) as Envelope;
    expect(first.links[0]).toEqual({ rel: "self", uri: "/v3.0/users?limit=7" });
    expect(first.links.find((l) => l.rel === "next")?.uri).toBe(`/v3.0/users?limit=7&starting_after=${first.data[6].data.id}`);
    expect(first.data[0].uri).toBe(`/v3.0/users/${first.data[0].data.id}`);
    expect(res.headers.get("x-ratelimit-limit")).toBe("1200");
    const all = await pageAll("/v3.0/users?limit=7");
    expect(all.map((u) => u.id)).toEqual([...district.users].map((u) => u.id));
    expect(all.map((u) => u.id)).toEqual(all.map((u) => u.id as string).sort());
  });

  it("filters users by role with Clever's role names and fields", async () => {
    const admins = await pageAll("/v3.0/users?role=district_admin");
    expect(admins).toHaveLength(district.administrators.count);
    expect(admins[0]).toMatchObject({ roles: { district_admin: { title: expect.any(String) } } });
    const students = await pageAll("/v3.0/users?role=student&limit=5");
    expect(students).toHaveLength(district.students.count);
    const young = students.find((s) => s.email === null) as { roles: { student: Record<string, unknown> } } | undefined;
    expect(young?.roles.student).toMatchObject({ student_number: expect.stringMatching(/^\d+$/), grade: expect.any(String), school: expect.any(String) });
    expect((await get("/v3.0/users?role=janitor")).status).toBe(400);
  });

  it("serves sections with their rosters, and enrollments add up", async () => {
    const sections = await pageAll("/v3.0/sections?limit=3");
    expect(sections).toHaveLength(district.classes.count);
    const c = district.classes.at(0);
    expect(sections[0]).toMatchObject({
      id: c.id,
      name: c.title,
      school: c.schoolId,
      term_id: c.termId,
      course: c.courseId,
      period: c.period,
      subject: c.subject,
      sis_id: c.classCode,
      teacher: c.teacherIds[0],
      teachers: c.teacherIds,
      students: c.studentIds,
    });
    const pairs = sections.flatMap((s) => [...(s.teachers as string[]), ...(s.students as string[])].map((u) => `${s.id}:${u}`));
    expect(pairs.sort()).toEqual([...district.enrollments].map((e) => e.id).sort());
  });

  it("serves districts, schools, terms, courses and nested routes", async () => {
    expect(await pageAll("/v3.0/districts")).toEqual([expect.objectContaining({ id: district.org.id, name: district.org.name })]);
    const one = await json(await get(`/v3.0/districts/${district.org.id}`));
    expect(one.data).toMatchObject({ id: district.org.id, name: district.org.name });
    expect(await pageAll("/v3.0/schools")).toHaveLength(district.schools.count);
    expect(await pageAll("/v3.0/terms")).toEqual(expect.arrayContaining([expect.objectContaining({ name: "Fall 2026", start_date: "2026-08-17" })]));
    expect(await pageAll("/v3.0/courses")).toHaveLength(district.courses.count);
    const school = district.schools.at(1);
    const schoolStudents = await pageAll(`/v3.0/schools/${school.id}/users?role=student`);
    expect(schoolStudents.map((u) => u.id)).toEqual([...district.students].filter((u) => u.schoolIds[0] === school.id).map((u) => u.id));
    const c = district.classes.at(2);
    const members = await pageAll(`/v3.0/sections/${c.id}/users?role=student`);
    expect(members.map((u) => u.id).sort()).toEqual([...c.studentIds].sort());
    expect((await get("/v3.0/users/ffffffffffffffffffffffff")).status).toBe(404);
  });

  it("answers 413 over limit 10000 and pages backwards with ending_before", async () => {
    expect((await get("/v3.0/users?limit=10001")).status).toBe(413);
    const ids = [...district.users].map((u) => u.id);
    const res = await get(`/v3.0/users?limit=3&ending_before=${ids[10]}`);
    expect(((await json(res)) as Envelope).data.map((d) => d.data.id)).toEqual(ids.slice(7, 10));
  });

  it("switches the served district", async () => {
    const next = mutate(district, { seed: 1 }).district;
    peer.setDistrict(next);
    expect(await pageAll("/v3.0/users?limit=50")).toHaveLength(next.users.count);
  });

  describe("faults", () => {
    it("rate-limits every Nth request with 429 and X-RateLimit headers", async () => {
      peer.setFaults({ rateLimitEvery: 3, retryAfterSeconds: 2 });
      const statuses: number[] = [];
      let limited: Response | undefined;
      for (let i = 0; i < 6; i++) {
        const res = await get("/v3.0/schools");
        statuses.push(res.status);
        if (res.status === 429) limited = res;
      }
      expect(statuses).toEqual([200, 200, 429, 200, 200, 429]);
      const reset = Number(limited?.headers.get("x-ratelimit-reset"));
      expect(reset).toBeGreaterThanOrEqual(Math.floor(Date.now() / 1000));
      expect(limited?.headers.get("x-ratelimit-remaining")).toBe("0");
      expect(limited?.headers.get("retry-after")).toBe("2");
    });

    it("fails a given page with a 5xx the given number of times", async () => {
      peer.setFaults({ serverErrorOnPage: { path: "/users", page: 2, times: 1 } });
      const first = (await json(await get("/v3.0/users?limit=5"))) as Envelope;
      const next = first.links.find((l) => l.rel === "next")?.uri as string;
      expect((await get(next)).status).toBe(503);
      expect((await get(next)).status).toBe(200);
      expect((await get("/v3.0/sections?limit=1&starting_after=" + district.classes.at(0).id)).status).toBe(200);
    });

    it("adds latency", async () => {
      peer.setFaults({ latencyMs: 150 });
      const started = Date.now();
      await get("/v3.0/schools");
      expect(Date.now() - started).toBeGreaterThanOrEqual(140);
    });

    it("drops the connection mid-body on the Nth request", async () => {
      peer.setFaults({ dropConnectionOnRequest: 2 });
      expect((await get("/v3.0/schools")).status).toBe(200);
      const res = await get("/v3.0/users?limit=20");
      expect(res.status).toBe(200);
      await expect(res.text()).rejects.toThrow();
      expect((await get("/v3.0/schools")).status).toBe(200);
    });

    it("expires the token and hands out a rotated one", async () => {
      peer.setFaults({ expireTokenAfterRequests: 2 });
      const old = peer.credentials.accessToken;
      expect((await get("/v3.0/schools", old)).status).toBe(200);
      expect((await get("/v3.0/schools", old)).status).toBe(200);
      const expired = await get("/v3.0/schools", old);
      expect(expired.status).toBe(401);
      expect(await json(expired)).toEqual({ message: expect.stringContaining("expired") });
      const { body } = await listTokens();
      const fresh = body.data[0].access_token;
      expect(fresh).not.toBe(old);
      expect((await get("/v3.0/schools", fresh)).status).toBe(200);
    });

    it("repeats the previous page's last record at the top of the given page", async () => {
      peer.setFaults({ repeatRecordOnPage: 2 });
      const all = await pageAll("/v3.0/users?limit=10");
      const ids = all.map((u) => u.id as string);
      expect(ids).toHaveLength(district.users.count + 1);
      expect(ids[10]).toBe(ids[9]);
      expect(new Set(ids).size).toBe(district.users.count);
    });

    it("hangs the Nth request until the client gives up", async () => {
      peer.setFaults({ hangOnRequest: 1 });
      await expect(get("/v3.0/schools", peer.credentials.accessToken, { signal: AbortSignal.timeout(300) })).rejects.toThrow();
      expect((await get("/v3.0/schools")).status).toBe(200);
    });
  });

  it("counts requests and serves them on the admin endpoint", async () => {
    await get("/v3.0/schools");
    await get("/v3.0/users");
    expect(peer.requestCount()).toBe(2);
    const stats = await json(await fetch(`${peer.credentials.baseUrl}/__admin/stats`));
    expect(stats).toMatchObject({ requests: 2, dataRequests: 2, byPath: { "/v3.0/schools": 1, "/v3.0/users": 1 }, district: { day: 0 } });
    const switched = await fetch(`${peer.credentials.baseUrl}/__admin/district`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ size: "tiny", seed: 21, days: 2 }),
    });
    const expectedDistrict: District = mutate(mutate(district, { seed: 22 }).district, { seed: 23 }).district;
    expect(await json(switched)).toMatchObject({ day: 2, users: expectedDistrict.users.count, enrollments: expectedDistrict.enrollments.count });
    const faults = await fetch(`${peer.credentials.baseUrl}/__admin/faults`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ rateLimitEvery: 1 }),
    });
    expect(faults.status).toBe(200);
    expect((await get("/v3.0/schools")).status).toBe(429);
  });
});
