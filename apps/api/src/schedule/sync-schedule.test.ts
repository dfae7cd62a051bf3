import { isValidTimezone, nextRunAt, resolveSchedule } from "./sync-schedule";

describe("sync schedules", () => {
  it("resolves the seed's presets", () => {
    expect(resolveSchedule("daily")).toBe("0 2 * * *");
    expect(resolveSchedule("weekdays")).toBe("0 6 * * 1-5");
  });
  it("accepts 5-field cron and rejects nonsense", () => {
    expect(resolveSchedule("*/15 * * * *")).toBe("*/15 * * * *");
    expect(() => resolveSchedule("0 2 * *")).toThrow(/5-field/);
    expect(() => resolveSchedule("0 0 2 * * *")).toThrow(/5-field/);
    expect(() => resolveSchedule("99 * * * *")).toThrow(/not a valid cron/);
    expect(() => resolveSchedule("; drop table")).toThrow();
  });
  it("knows IANA timezones", () => {
    expect(isValidTimezone("America/New_York")).toBe(true);
    expect(isValidTimezone("UTC")).toBe(true);
    expect(isValidTimezone("Mars/Olympus")).toBe(false);
    expect(isValidTimezone("+05:00")).toBe(false);
  });
  it("computes the next fire in the provider's timezone", () => {
    const next = nextRunAt("daily", "America/New_York", new Date("2026-01-15T12:00:00Z"));
    expect(next?.toISOString()).toBe("2026-01-16T07:00:00.000Z");
  });
});
