export {
  generateDistrict,
  mutate,
  DISTRICT_SIZES,
  ArraySet,
  EnrollmentSet,
  type District,
  type DistrictSize,
  type DistrictParams,
  type MutateOptions,
  type MutationChanges,
  type MutationResult,
  type ExpectedEffect,
  type ExpectedEffects,
  type ExpectedKind,
  type GradeCode,
  type RecordSet,
  type SimClass,
  type SimCourse,
  type SimDistrictOrg,
  type SimEnrollment,
  type SimRole,
  type SimSchool,
  type SimSession,
  type SimUser,
  type Subject,
} from "./generator";
export type { HttpFaults, SftpFaults } from "./faults";
export type { PeerStats, HttpPeerControls, AdminDistrictRequest } from "./http/peer-server";
export { startCleverPeer, type CleverCredentials, type CleverPeer, type CleverPeerOptions } from "./clever/clever-peer";
export {
  startOneRosterPeer,
  ONEROSTER_ROOT,
  type ClassLinkCredentials,
  type ClassLinkPeerOptions,
  type OneRosterCredentials,
  type OneRosterFlavour,
  type OneRosterPeer,
  type OneRosterPeerOptions,
} from "./oneroster/oneroster-peer";
export { writeOneRosterCsv, ONEROSTER_CSV_HEADERS, type CsvExport, type CsvFileName, type WriteOneRosterCsvOptions } from "./csv/oneroster-csv";
export { startSftpPeer, hostKeyFingerprint, type SftpCredentials, type SftpPeer, type SftpPeerOptions, type SftpPeerStats } from "./sftp/sftp-peer";
export { startSimulator, type Simulator, type SimulatorOptions } from "./simulator";
