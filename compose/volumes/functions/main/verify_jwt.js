// JWT verification for the functions' main service, in plain JavaScript on Web Crypto
// only: the edge runtime (Deno) imports it from index.ts, and the launcher's tests run the
// very same file under Node, since Deno cannot be installed on the test machines.
//
// HS256 tokens verify with JWT_SECRET (the legacy keys, and user sessions auth signs with
// it); ES256 tokens verify with the EC key of JWT_JWKS whose kid the token names (the new
// keys). Any other algorithm, "none" included, is refused.

const encoder = new TextEncoder();

function decodeSegment(segment) {
  const base64 = segment.replace(/-/g, "+").replace(/_/g, "/") + "=".repeat((4 - (segment.length % 4)) % 4);
  const binary = atob(base64);
  return Uint8Array.from(binary, (char) => char.charCodeAt(0));
}

function decodeJson(segment) {
  return JSON.parse(new TextDecoder().decode(decodeSegment(segment)));
}

// The token of an `Authorization: Bearer <token>` header; throws with a reason otherwise.
export function bearerToken(request) {
  const header = request.headers.get("authorization");
  if (!header) throw new Error("Missing authorization header");
  const [scheme, token] = header.split(" ");
  if (scheme !== "Bearer" || !token) throw new Error("Auth header is not 'Bearer {token}'");
  return token;
}

// { ok: true, claims } or { ok: false, reason }. `keys` is { secret, jwks } (jwks: {keys: [...]}).
export async function verifyJwt(token, keys, subtle = globalThis.crypto.subtle, now = Date.now() / 1000) {
  const parts = token.split(".");
  if (parts.length !== 3) return { ok: false, reason: "not a JWT" };
  let header, claims;
  try {
    header = decodeJson(parts[0]);
    claims = decodeJson(parts[1]);
  } catch {
    return { ok: false, reason: "not a JWT" };
  }
  const data = encoder.encode(`${parts[0]}.${parts[1]}`);
  const signature = decodeSegment(parts[2]);
  let valid = false;
  if (header.alg === "HS256") {
    if (!keys.secret) return { ok: false, reason: "no HS256 secret configured" };
    const key = await subtle.importKey("raw", encoder.encode(keys.secret), { name: "HMAC", hash: "SHA-256" },
      false, ["verify"]);
    valid = await subtle.verify("HMAC", key, signature, data);
  } else if (header.alg === "ES256") {
    const jwk = (keys.jwks?.keys ?? []).find((k) => k.kty === "EC" && k.kid === header.kid);
    if (!jwk) return { ok: false, reason: "unknown signing key" };
    const key = await subtle.importKey("jwk", { kty: "EC", crv: jwk.crv, x: jwk.x, y: jwk.y },
      { name: "ECDSA", namedCurve: "P-256" }, false, ["verify"]);
    valid = await subtle.verify({ name: "ECDSA", hash: "SHA-256" }, key, signature, data);
  } else {
    return { ok: false, reason: `algorithm ${header.alg} is not accepted` };
  }
  if (!valid) return { ok: false, reason: "invalid signature" };
  if (typeof claims.exp !== "number" || claims.exp <= now) return { ok: false, reason: "expired" };
  if (typeof claims.nbf === "number" && claims.nbf > now) return { ok: false, reason: "not yet valid" };
  return { ok: true, claims };
}
