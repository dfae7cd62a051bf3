export { createClassLinkConnector, classLinkRoot, CLASSLINK_PROXY_ORIGIN } from "./create-classlink-connector";
