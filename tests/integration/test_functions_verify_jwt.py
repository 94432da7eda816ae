"""compose/volumes/functions/main: JWT verification when VERIFY_JWT is true.

Deno (the edge runtime) cannot be installed here, so the verification module, plain
JavaScript on Web Crypto (verify_jwt.js), runs under Node against tokens PyJWT signs;
index.ts itself is checked by reading it (it gates every non-OPTIONS request on the module).
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import time
from pathlib import Path

import jwt
import pytest

from tests.conftest import missing_part
from wizard.core.manifest.kinds.asymmetric_keys import generate_jwks, public_jwks, sign_es256

pytestmark = pytest.mark.integration

MAIN = Path(__file__).resolve().parents[2] / "compose" / "volumes" / "functions" / "main"
SECRET = "s" * 40

HARNESS = """
import { webcrypto } from "node:crypto";
import { verifyJwt, bearerToken } from "%s";
const cases = JSON.parse(await new Promise((done) => {
  let text = ""; process.stdin.on("data", (c) => text += c); process.stdin.on("end", () => done(text));
}));
const out = {};
for (const [name, c] of Object.entries(cases)) {
  const request = new Request("http://functions/hello", { headers: c.header ? { authorization: c.header } : {} });
  let token;
  try { token = bearerToken(request); } catch (e) { out[name] = { ok: false, reason: String(e) }; continue; }
  const verdict = await verifyJwt(token, c.keys, webcrypto.subtle);
  out[name] = { ok: verdict.ok, reason: verdict.reason ?? "", role: verdict.claims?.role ?? "" };
}
console.log(JSON.stringify(out));
"""


def run_cases(cases: dict) -> dict:
    node = shutil.which("node")
    if not node:
        missing_part("node not installed")
    script = HARNESS % (MAIN / "verify_jwt.js").as_uri()
    result = subprocess.run([node, "--input-type=module", "-e", script], input=json.dumps(cases),
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_hs256_and_es256_tokens_are_verified_and_forgeries_refused():
    pair = generate_jwks(SECRET)
    other = generate_jwks(SECRET)
    keys = {"secret": SECRET, "jwks": json.loads(public_jwks(pair))}
    now = int(time.time())
    hs = jwt.encode({"role": "anon", "iat": now, "exp": now + 600}, SECRET, algorithm="HS256")
    es = sign_es256(pair, "service_role", "supabase", 1)
    # Signed by another pair under the same kid: only the key material can tell.
    kid = jwt.get_unverified_header(es)["kid"]
    forged_key = json.loads(other)[0]
    forged = jwt.encode({"role": "service_role", "iat": now, "exp": now + 600},
                        jwt.PyJWK({**forged_key, "kid": kid}, algorithm="ES256").key, algorithm="ES256",
                        headers={"kid": kid})
    header, payload, signature = hs.split(".")
    tampered_payload = jwt.utils.base64url_encode(json.dumps({"role": "service_role", "iat": now,
                                                              "exp": now + 600}).encode()).decode()
    cases = {
        "hs256": {"header": f"Bearer {hs}", "keys": keys},
        "es256": {"header": f"Bearer {es}", "keys": keys},
        "es256_without_jwks": {"header": f"Bearer {es}", "keys": {"secret": SECRET, "jwks": {"keys": []}}},
        "wrong_secret": {"header": f"Bearer {jwt.encode({'exp': now + 600}, 'x' * 40, algorithm='HS256')}",
                         "keys": keys},
        "forged_es256": {"header": f"Bearer {forged}", "keys": keys},
        "tampered": {"header": f"Bearer {header}.{tampered_payload}.{signature}", "keys": keys},
        "expired": {"header": f"Bearer {jwt.encode({'exp': now - 5}, SECRET, algorithm='HS256')}", "keys": keys},
        "alg_none": {"header": f"Bearer {jwt.encode({'exp': now + 600}, None, algorithm='none')}", "keys": keys},
        "no_header": {"header": "", "keys": keys},
        "not_bearer": {"header": f"Basic {hs}", "keys": keys},
    }
    out = run_cases(cases)
    assert out["hs256"] == {"ok": True, "reason": "", "role": "anon"}
    assert out["es256"] == {"ok": True, "reason": "", "role": "service_role"}
    assert out["es256_without_jwks"]["reason"] == "unknown signing key"
    assert out["wrong_secret"]["reason"] == "invalid signature"
    assert out["forged_es256"]["reason"] == "invalid signature"
    assert out["tampered"]["reason"] == "invalid signature"
    assert out["expired"]["reason"] == "expired"
    assert out["alg_none"]["reason"] == "algorithm none is not accepted"
    assert "Missing authorization header" in out["no_header"]["reason"]
    assert "is not 'Bearer {token}'" in out["not_bearer"]["reason"]


def test_index_gates_every_request_but_options_on_verify_jwt():
    """index.ts, read (no Deno here): VERIFY_JWT on means a failed verdict returns 401 before any worker."""
    source = (MAIN / "index.ts").read_text()
    assert 'import { bearerToken, verifyJwt } from "./verify_jwt.js";' in source
    assert re.search(r'const VERIFY_JWT = Deno\.env\.get\("VERIFY_JWT"\) === "true";', source)
    assert re.search(r'jwks: JSON\.parse\(Deno\.env\.get\("JWT_JWKS"\)', source)
    gate = source.index('if (VERIFY_JWT && request.method !== "OPTIONS")')
    assert gate < source.index("userWorkers.create")
    block = source[gate:source.index("userWorkers.create")]
    assert "if (!verdict.ok)" in block and "return unauthorized(" in block
    assert "status: 401" in source
