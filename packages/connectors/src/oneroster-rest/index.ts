export { OneRosterRestConnector, type OneRosterRestConnectorOptions } from "./oneroster-connector";
export { OneRosterClient, oneRosterRoot, nextLink, ONEROSTER_V1P1_PATH, type OneRosterRecord, type OneRosterPage } from "./oneroster-client";
export { oauth1Authorizer, OAuth2ClientCredentials, type OAuth1SignatureMethod } from "./oneroster-auth";
export { mapSchool, mapClass, mapUser, mapEnrollment, mapAcademicSession, isSchoolOrg, refId, type Mapped, type ClassLookups, type SessionInfo } from "./oneroster-mapper";
export { createOneRosterApiConnector, buildOneRosterConnector, defaultTokenUrl, ONEROSTER_RATE_LIMIT, type OneRosterTuning } from "./create-oneroster-api-connector";
