// Integration tests talk to real services; they never run with production settings.
process.env.NODE_ENV = process.env.NODE_ENV === "production" ? "test" : (process.env.NODE_ENV ?? "test");
process.env.SIS_ALLOW_PRIVATE_HOSTS = "true";
process.env.LOG_LEVEL = process.env.LOG_LEVEL ?? "warn";
