import { createBullBoard } from "@bull-board/api";
import { BullMQAdapter } from "@bull-board/api/bullMQAdapter";
import { ExpressAdapter } from "@bull-board/express";
import cookieParser from "cookie-parser";
import { Router, type RequestHandler } from "express";
import type { Queue } from "bullmq";
import { bearerToken } from "../auth/auth.middleware";
import { ROLES, type VerifyToken } from "../auth/jwt-verifier";
import { forbidden, unauthorized } from "../errors/http-errors";

export const ADMIN_COOKIE = "sis_admin_session";
const COOKIE_MAX_AGE_MS = 15 * 60_000;

/**
 * Bull Board has no auth of its own: it sits behind a PLATFORM_ADMIN check that accepts the
 * bearer token or a short-lived httpOnly cookie set by POST /admin/session (browsers can't
 * send a bearer header on navigation).
 */
export function bullBoardRouter(queue: Queue, verify: VerifyToken, secureCookies: boolean): Router {
  const router = Router();
  router.use(cookieParser());

  const requirePlatformAdmin: RequestHandler = async (req, _res, next) => {
    const token = bearerToken(req.headers.authorization) ?? (req.cookies?.[ADMIN_COOKIE] as string | undefined);
    if (!token) throw unauthorized("Sign in as a PLATFORM_ADMIN to open the queue dashboard");
    const claims = await verify(token).catch(() => undefined);
    if (!claims) throw unauthorized("The token is invalid or expired");
    if (!claims.roles.includes(ROLES.platformAdmin)) throw forbidden("Only PLATFORM_ADMIN may open the queue dashboard");
    next();
  };

  router.post("/admin/session", requirePlatformAdmin, (req, res) => {
    res.cookie(ADMIN_COOKIE, bearerToken(req.headers.authorization) ?? req.cookies?.[ADMIN_COOKIE], {
      httpOnly: true,
      sameSite: "strict",
      secure: secureCookies,
      path: "/admin",
      maxAge: COOKIE_MAX_AGE_MS,
    });
    res.status(204).end();
  });
  router.delete("/admin/session", (_req, res) => {
    res.clearCookie(ADMIN_COOKIE, { path: "/admin" });
    res.status(204).end();
  });

  const serverAdapter = new ExpressAdapter();
  serverAdapter.setBasePath("/admin/queues");
  createBullBoard({ queues: [new BullMQAdapter(queue)], serverAdapter });
  router.use("/admin/queues", requirePlatformAdmin, serverAdapter.getRouter() as Router);
  return router;
}
