import { decideRunMode } from "./run-store";

const DAY = 24 * 3600_000;
const now = new Date("2026-11-25T12:00:00Z");
const provider = (options: Record<string, unknown>, syncCursor: string | null, lastFullDaysAgo: number | null) => ({
  options,
  syncCursor,
  lastFullSyncAt: lastFullDaysAgo === null ? null : new Date(now.getTime() - lastFullDaysAgo * DAY),
});

describe("decideRunMode (issue #9)", () => {
  it("runs incremental only for an incremental provider with a cursor and a recent full sync", () => {
    expect(decideRunMode("auto", provider({ syncMode: "incremental" }, "c", 1), now)).toEqual({ mode: "incremental", notes: null });
    expect(decideRunMode("auto", provider({ syncMode: "incremental", fullSyncEvery: 2 }, "c", 1.5), now)).toEqual({ mode: "incremental", notes: null });
  });

  it("runs full for a full provider, or when asked for full", () => {
    expect(decideRunMode("auto", provider({}, "c", 1), now)).toEqual({ mode: "full", notes: null });
    expect(decideRunMode("full", provider({ syncMode: "incremental" }, "c", 1), now)).toEqual({ mode: "full", notes: null });
  });

  it("runs full, with the reason, without a cursor or when the periodic full reconcile is due", () => {
    expect(decideRunMode("auto", provider({ syncMode: "incremental" }, null, 1), now)).toEqual({ mode: "full", notes: "Full sync: no incremental cursor yet (the first successful sync stores one)" });
    expect(decideRunMode("auto", provider({ syncMode: "incremental" }, "c", 7), now)).toEqual({ mode: "full", notes: "Full sync: the periodic full reconcile (every 7 days) is due" });
    expect(decideRunMode("auto", provider({ syncMode: "incremental", fullSyncEvery: 1 }, "c", 1.01), now).mode).toBe("full");
    expect(decideRunMode("auto", provider({ syncMode: "incremental" }, "c", null), now).mode).toBe("full");
  });

  it("honours an explicit incremental request whenever a cursor exists", () => {
    expect(decideRunMode("incremental", provider({}, "c", 30), now)).toEqual({ mode: "incremental", notes: null });
    expect(decideRunMode("incremental", provider({}, null, 30), now).mode).toBe("full");
  });
});
