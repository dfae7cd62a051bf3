/** All peers at once over one district: what `pnpm sim` runs and what end-to-end tests start. */
import { DISTRICT_SIZES, generateDistrict, type District, type DistrictSize } from "./generator";
import type { HttpFaults, SftpFaults } from "./faults";
import { startCleverPeer, type CleverPeer } from "./clever/clever-peer";
import { startOneRosterPeer, type ClassLinkCredentials, type OneRosterPeer } from "./oneroster/oneroster-peer";
import { startSftpPeer, type SftpPeer } from "./sftp/sftp-peer";

export interface SimulatorOptions {
  /** The district to serve; otherwise one is generated from size (default "tiny") and seed (default 1). */
  district?: District;
  size?: DistrictSize;
  seed?: number;
  faults?: { clever?: HttpFaults; oneroster?: HttpFaults; classlink?: HttpFaults; sftp?: SftpFaults };
}

export interface Simulator {
  district: District;
  clever: CleverPeer;
  oneroster: OneRosterPeer;
  classlink: OneRosterPeer<ClassLinkCredentials>;
  sftp: SftpPeer;
  /** Serves the next day's district on every peer (the SFTP peer also publishes a delta). */
  setDistrict(district: District): Promise<void>;
  close(): Promise<void>;
}

export async function startSimulator(options: SimulatorOptions = {}): Promise<Simulator> {
  const district = options.district ?? generateDistrict({ ...DISTRICT_SIZES[options.size ?? "tiny"], seed: options.seed ?? 1 });
  const faults = options.faults ?? {};
  const [clever, oneroster, classlink, sftp] = await Promise.all([
    startCleverPeer({ district, faults: faults.clever }),
    startOneRosterPeer({ district, faults: faults.oneroster }),
    startOneRosterPeer({ district, flavour: "classlink", faults: faults.classlink }),
    startSftpPeer({ district, faults: faults.sftp }),
  ]);
  const simulator: Simulator = {
    district,
    clever,
    oneroster,
    classlink,
    sftp,
    async setDistrict(next) {
      simulator.district = next;
      clever.setDistrict(next);
      oneroster.setDistrict(next);
      classlink.setDistrict(next);
      await sftp.setDistrict(next);
    },
    async close() {
      await Promise.all([clever.close(), oneroster.close(), classlink.close(), sftp.close()]);
    },
  };
  return simulator;
}
