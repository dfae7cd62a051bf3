import { ConnectorError } from "@sis-sync/roster";

/** Default cap on pages per collection: far beyond any real district at sane page sizes. */
export const DEFAULT_MAX_PAGES = 100_000;

/**
 * Counts pages of one collection and stops a source whose paging never ends (a server that
 * ignores `offset`, a cursor that loops) with a clear error instead of running forever.
 */
export class PageGuard {
  private pages = 0;

  constructor(
    private readonly sourceName: string,
    private readonly collection: string,
    private readonly maxPages: number = DEFAULT_MAX_PAGES,
  ) {}

  /** Call once per page fetched; throws BAD_RESPONSE past the cap. */
  next(): number {
    this.pages += 1;
    if (this.pages > this.maxPages) {
      throw new ConnectorError(
        "BAD_RESPONSE",
        `${this.sourceName} kept returning pages of ${this.collection} after ${this.maxPages} pages; stopping (paging never ended)`,
      );
    }
    return this.pages;
  }

  get count(): number {
    return this.pages;
  }
}
