import { RecentIds, oneRosterRoot } from "./oneroster-client";

describe("RecentIds", () => {
  it("remembers every id up to its cap, then at least the most recent half", () => {
    const ids = new RecentIds(10);
    for (let i = 0; i < 10; i++) ids.add(`u${i}`);
    expect([...Array(10).keys()].every((i) => ids.has(`u${i}`))).toBe(true);
    for (let i = 10; i < 40; i++) ids.add(`u${i}`);
    // The last 5 (half the cap) are always remembered; the oldest are forgotten.
    expect([35, 36, 37, 38, 39].every((i) => ids.has(`u${i}`))).toBe(true);
    expect(ids.has("u0")).toBe(false);
  });
});

describe("oneRosterRoot", () => {
  it("drops query and fragment from the configured URL", () => {
    expect(oneRosterRoot("https://h.example/ims/oneroster/v1p1?x=1#y")).toBe("https://h.example/ims/oneroster/v1p1");
  });
});
