import { createHmac } from "node:crypto";
import OAuth from "oauth-1.0a";
import { mutate, startSimulator, type Simulator } from "../src";

let sim: Simulator;
beforeAll(async () => {
  sim = await startSimulator({ size: "tiny", seed: 51 });
});
afterAll(() => sim.close());

/** Response bodies are checked field by field by the assertions. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
async function json(res: Response): Promise<any> {
  return res.json();
}

async function cleverEnrollmentIds(): Promise<string[]> {
  const { baseUrl, accessToken } = sim.clever.credentials;
  const body = await json(await fetch(`${baseUrl}/v3.0/sections?limit=10000`, { headers: { Authorization: `Bearer ${accessToken}` } }));
  return body.data.flatMap(({ data: s }: { data: { id: string; teachers: string[]; students: string[] } }) =>
    [...s.teachers, ...s.students].map((u) => `${s.id}:${u}`),
  );
}

async function oneRosterEnrollmentIds(): Promise<string[]> {
  const { baseUrl, clientId, clientSecret } = sim.oneroster.credentials;
  const url = `${baseUrl}/enrollments?limit=10000&offset=0`;
  const o = new OAuth({
    consumer: { key: clientId, secret: clientSecret },
    signature_method: "HMAC-SHA256",
    hash_function: (base, key) => createHmac("sha256", key).update(base).digest("base64"),
  });
  const body = await json(await fetch(url, { headers: { ...o.toHeader(o.authorize({ url, method: "GET" })) } }));
  return body.enrollments.map((e: { sourcedId: string }) => e.sourcedId);
}

describe("startSimulator", () => {
  it("serves the same district with the same ids on every peer", async () => {
    const expected = [...sim.district.enrollments].map((e) => e.id).sort();
    expect((await cleverEnrollmentIds()).sort()).toEqual(expected);
    expect((await oneRosterEnrollmentIds()).sort()).toEqual(expected);
    const { rosterUrl, accessToken } = sim.classlink.credentials;
    const users = await json(await fetch(`${rosterUrl}/users?limit=10000`, { headers: { Authorization: `Bearer ${accessToken}` } }));
    expect(users.users.map((u: { sourcedId: string }) => u.sourcedId)).toEqual([...sim.district.users].map((u) => u.id));
  });

  it("moves every peer to the next day's district", async () => {
    const { district } = mutate(sim.district, { seed: 1 });
    await sim.setDistrict(district);
    const expected = [...district.enrollments].map((e) => e.id).sort();
    expect((await cleverEnrollmentIds()).sort()).toEqual(expected);
    expect((await oneRosterEnrollmentIds()).sort()).toEqual(expected);
    expect(sim.sftp.credentials.deltaPath).toBe("/oneroster-delta");
  });
});
