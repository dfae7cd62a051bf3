import { failureMessage } from "./sync-processor";

describe("failureMessage", () => {
  it("explains a lost database connection and that nothing was deactivated", () => {
    const e = Object.assign(new Error("terminating connection due to administrator command"), { code: "57P01" });
    expect(failureMessage(e, "load")).toBe(
      "Lost the connection to the database during the load phase (terminating connection due to administrator command); the load was rolled back and nothing was deactivated. The next run repairs the roster.",
    );
    expect(failureMessage(new Error("Connection terminated unexpectedly"), "stage")).toMatch(/^Lost the connection to the database during the stage phase/);
  });

  it("names the phase of any other unexpected failure", () => {
    expect(failureMessage(new Error("boom"), "extract")).toBe("Sync failed unexpectedly during the extract phase: boom");
  });
});
