/**
 * What the HTTP peers share: the served district, request stats, the admin endpoint,
 * listening on loopback and closing with every socket (hung requests included).
 */
import express, { type Express } from "express";
import type { AddressInfo } from "node:net";
import type { Server } from "node:http";
import { DISTRICT_SIZES, generateDistrict, mutate, type District, type DistrictParams, type DistrictSize } from "../generator";
import { FaultState, type HttpFaults } from "../faults";

export interface PeerStats {
  /** Every request except /__admin ones. */
  requests: number;
  /** Requests per path (without query string). */
  byPath: Record<string, number>;
  /** Requests of the data API routes (what request-numbered faults count). */
  dataRequests: number;
}

export interface HttpPeerControls {
  setDistrict(district: District): void;
  setFaults(faults: HttpFaults): void;
  requestCount(): number;
  stats(): PeerStats;
  close(): Promise<void>;
}

export interface ListenOptions {
  /** Default 0: a free port. */
  port?: number;
}

/** Body of POST /__admin/district. */
export interface AdminDistrictRequest {
  size?: DistrictSize;
  seed?: number;
  params?: Partial<Omit<DistrictParams, "seed">>;
  /** Apply mutate this many times (mutate seed = seed + day). */
  days?: number;
}

export class PeerCore {
  readonly app: Express;
  readonly faults = new FaultState();
  private served: District;
  private total = 0;
  private readonly byPath = new Map<string, number>();

  constructor(district: District) {
    this.served = district;
    this.app = express();
    this.app.disable("x-powered-by");
    this.app.set("etag", false);
    this.app.use((req, _res, next) => {
      if (!req.path.startsWith("/__admin")) {
        this.total++;
        this.byPath.set(req.path, (this.byPath.get(req.path) ?? 0) + 1);
      }
      next();
    });
    this.mountAdmin();
  }

  get district(): District {
    return this.served;
  }

  setDistrict(district: District): void {
    this.served = district;
  }

  stats(): PeerStats {
    return { requests: this.total, byPath: Object.fromEntries(this.byPath), dataRequests: this.faults.requestNumber };
  }

  private mountAdmin(): void {
    const admin = express.Router();
    admin.use(express.json());
    admin.get("/stats", (_req, res) => {
      const d = this.served;
      res.json({
        ...this.stats(),
        faults: this.faults.current,
        district: {
          seed: d.params.seed,
          day: d.day,
          date: d.date,
          counts: { schools: d.schools.count, classes: d.classes.count, users: d.users.count, enrollments: d.enrollments.count },
        },
      });
    });
    admin.post("/faults", (req, res) => {
      this.faults.set((req.body ?? {}) as HttpFaults);
      res.json({ faults: this.faults.current });
    });
    admin.post("/district", (req, res) => {
      const body = (req.body ?? {}) as AdminDistrictRequest;
      const seed = body.seed ?? this.served.params.seed;
      const base = body.size ? DISTRICT_SIZES[body.size] : this.served.params;
      if (body.size && !base) {
        res.status(400).json({ message: `unknown size ${body.size}` });
        return;
      }
      let district = generateDistrict({ ...base, ...body.params, seed });
      for (let day = 1; day <= (body.days ?? 0); day++) district = mutate(district, { seed: seed + day }).district;
      this.served = district;
      res.json({ seed, day: district.day, users: district.users.count, classes: district.classes.count, enrollments: district.enrollments.count });
    });
    this.app.use("/__admin", admin);
  }

  async listen(options: ListenOptions): Promise<{ server: Server; origin: string }> {
    const server = await new Promise<Server>((resolve, reject) => {
      const s = this.app.listen(options.port ?? 0, "127.0.0.1", (err?: Error) => (err ? reject(err) : resolve(s)));
    });
    const { port } = server.address() as AddressInfo;
    return { server, origin: `http://127.0.0.1:${port}` };
  }
}

export function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}
