export { generateDistrict, DISTRICT_SIZES, type District, type DistrictSize } from "./district";
export { mutate, type MutateOptions, type MutationChanges, type MutationResult } from "./mutate";
export { EnrollmentSet } from "./enrollment-set";
export { firstIndexAfter, firstIndexNotBefore, filterIndexes } from "./record-set";
export { dayTimestamp } from "./ids";
export * from "./types";
