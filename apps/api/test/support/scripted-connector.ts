import type { CanonicalSchool, CanonicalUser, ExtractBatch, ExtractResult, SisConnector } from "@sis-sync/roster";
import { ConnectorError } from "@sis-sync/roster";

/** A connector double for lifecycle tests: yields `pages` pages, waiting `pageDelayMs` before each. */
export function scriptedConnector({ pages = 3, pageDelayMs = 0, failWith }: { pages?: number; pageDelayMs?: number; failWith?: string } = {}): SisConnector {
  return {
    async test() {
      return { success: true, message: "Scripted connector" };
    },
    async *extract(ctx): AsyncGenerator<ExtractBatch, ExtractResult, void> {
      const school: CanonicalSchool = { externalId: "s1", name: "School One", schoolNumber: "1", ncesId: null, raw: {} };
      yield { kind: "schools", records: [school] };
      for (let p = 0; p < pages; p++) {
        await new Promise<void>((resolve, reject) => {
          const onAbort = () => {
            clearTimeout(t);
            reject(new ConnectorError("CANCELLED", "Cancelled"));
          };
          const t = setTimeout(() => {
            ctx.signal.removeEventListener("abort", onAbort);
            resolve();
          }, pageDelayMs);
          ctx.signal.addEventListener("abort", onAbort, { once: true });
        });
        if (failWith) throw new ConnectorError("UNREACHABLE", failWith);
        const users: CanonicalUser[] = [
          { externalId: `u${p}`, role: "teacher", givenName: "T", familyName: `P${p}`, email: `t${p}@example.org`, username: null, studentNumber: null, grades: [], schoolExternalIds: ["s1"], raw: {} },
        ];
        yield { kind: "users", records: users };
      }
      return { nextCursor: null };
    },
  };
}
