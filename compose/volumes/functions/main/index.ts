// The edge runtime's main service (functions profile): routes /<name>/... to the user
// function in ../<name>/index.ts. Put functions next to this folder; Kong serves them
// under /functions/v1/<name>.
//
// FUNCTIONS_VERIFY_JWT=true (VERIFY_JWT here) makes this service refuse, with 401, every
// request without a valid JWT: HS256 with JWT_SECRET, and ES256 with JWT_JWKS when the new
// API keys are on. When false (the default, as upstream) each function checks for itself.

import { bearerToken, verifyJwt } from "./verify_jwt.js";

const VERIFY_JWT = Deno.env.get("VERIFY_JWT") === "true";
const KEYS = {
  secret: Deno.env.get("JWT_SECRET") ?? "",
  jwks: JSON.parse(Deno.env.get("JWT_JWKS") || '{"keys":[]}'),
};

function unauthorized(msg: string): Response {
  return Response.json({ msg }, { status: 401 });
}

Deno.serve(async (request: Request) => {
  if (VERIFY_JWT && request.method !== "OPTIONS") {
    let token: string;
    try {
      token = bearerToken(request);
    } catch (error) {
      return unauthorized(String(error));
    }
    const verdict = await verifyJwt(token, KEYS);
    if (!verdict.ok) {
      return unauthorized(`Invalid JWT: ${verdict.reason}`);
    }
  }
  const url = new URL(request.url);
  const name = url.pathname.split("/")[1];
  if (!name || name === "main") {
    return Response.json({ msg: "missing function name in request" }, { status: 400 });
  }
  try {
    const worker = await EdgeRuntime.userWorkers.create({
      servicePath: `/home/deno/functions/${name}`,
      memoryLimitMb: 150,
      workerTimeoutMs: 60_000,
      noModuleCache: false,
      envVars: Object.entries(Deno.env.toObject()),
    });
    return await worker.fetch(request);
  } catch (error) {
    return Response.json({ msg: String(error) }, { status: 500 });
  }
});
