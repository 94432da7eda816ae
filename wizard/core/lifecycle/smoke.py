"""A smoke test of a running Supabase: do the generated keys and auth actually work?

Through Kong, as the frontend and the backend would: sign up a throwaway user with the
anon key, read a row through the REST API as that user, then delete the user with the
service-role key. Each step is yielded as it finishes so front ends can show progress.
The user is deleted even when the read fails, so a failed check leaves nothing behind.
"""

from __future__ import annotations

import secrets
import time
from dataclasses import asdict, dataclass
from typing import Any, Callable, Iterator, Mapping

DEFAULT_TABLE = "profiles"
# Requests go to the loopback port Kong publishes, never to a container address.
GATEWAY_HOST = "127.0.0.1"
TIMEOUT_SECONDS = 15


@dataclass(frozen=True)
class CheckStep:
    """One step of the check: what was tried, whether it worked, and what was seen."""

    name: str
    ok: bool
    detail: str
    seconds: float

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def gateway_url(values: Mapping[str, str]) -> str:
    """Kong as seen from this machine: the port the supabase group publishes."""
    return f"http://{GATEWAY_HOST}:{values['KONG_HTTP_PORT']}"


def api_keys(values: Mapping[str, str]) -> tuple[str, str]:
    """(public key, server key) as clients hold them: the opaque keys once the stack uses
    the new API keys (SUPABASE_NEW_API_KEYS), the legacy anon/service_role JWTs before."""
    if values.get("SUPABASE_NEW_API_KEYS") == "true" and values.get("SUPABASE_PUBLISHABLE_KEY"):
        return values["SUPABASE_PUBLISHABLE_KEY"], values["SUPABASE_SECRET_KEY"]
    return values["ANON_KEY"], values["SERVICE_ROLE_KEY"]


def run_check(url: str, anon_key: str, service_role_key: str, *, table: str = DEFAULT_TABLE
              ) -> Iterator[CheckStep]:
    """Yield the sign-up, read and cleanup steps in order.

    The read is skipped when sign-up failed; the cleanup runs whenever a user was
    created, even after a failed read.
    """
    import httpx

    with httpx.Client(timeout=TIMEOUT_SECONDS) as http:
        yield from _steps(url, anon_key, service_role_key, table, http)


def _steps(url: str, anon_key: str, service_role_key: str, table: str, http: Any) -> Iterator[CheckStep]:
    from supabase import create_client
    from supabase.lib.client_options import SyncClientOptions

    def client(key: str):
        # No token refresh thread, no session written anywhere, no retries: a one-shot client.
        options = SyncClientOptions(auto_refresh_token=False, persist_session=False, httpx_client=http,
                                    postgrest_client_retry=False)
        return create_client(url, key, options)

    email = f"launcher-check-{secrets.token_hex(6)}@example.com"
    password = secrets.token_urlsafe(24)
    user = client(anon_key)

    step, response = _timed("sign-up", lambda: user.auth.sign_up({"email": email, "password": password}), url)
    user_id = response.user.id if response is not None and response.user else None
    if step.ok and user_id is None:
        step = CheckStep("sign-up", False, "auth answered without a user", step.seconds)
    elif step.ok and response.session is None:
        step = CheckStep("sign-up", False, f"{email} created but not signed in: e-mail confirmation is on "
                         "(set ENABLE_EMAIL_AUTOCONFIRM=true for local development)", step.seconds)
    elif step.ok:
        step = CheckStep("sign-up", True, f"signed up {email} with the anon key", step.seconds)
    yield step

    if step.ok:
        # The client now sends the new user's access token: row level security applies.
        read, result = _timed("read", lambda: user.table(table).select("*").limit(1).execute(), url)
        if read.ok:
            rows = len(result.data or [])
            detail = (f"{rows} row of public.{table} visible to the new user" if rows else
                      f"no row of public.{table} visible to the new user (are the seeds applied?)")
            read = CheckStep("read", rows > 0, detail, read.seconds)
        yield read

    # Every request error is caught in _timed, so a created user is always removed here.
    if user_id is not None:
        admin = client(service_role_key)
        cleanup, _ = _timed("cleanup", lambda: admin.auth.admin.delete_user(user_id), url)
        if cleanup.ok:
            cleanup = CheckStep("cleanup", True, f"deleted {email} with the service role key", cleanup.seconds)
        yield cleanup


def _timed(name: str, action: Callable[[], Any], url: str) -> tuple[CheckStep, Any]:
    """Run one request; any failure becomes a failed step with a one-line reason."""
    import httpx

    started = time.monotonic()
    try:
        result = action()
    except Exception as error:  # noqa: BLE001 - auth and REST errors of every kind end the step
        if _caused_by(error, httpx.TransportError):
            reason = f"cannot reach Kong at {url} ({_describe(error)}): is the supabase group up?"
        else:
            reason = _describe(error)
        return CheckStep(name, False, reason, _since(started)), None
    return CheckStep(name, True, "", _since(started)), result


def _caused_by(error: BaseException | None, kind: type[BaseException]) -> bool:
    # The auth client wraps connection errors in its own retryable error.
    while error is not None:
        if isinstance(error, kind):
            return True
        error = error.__cause__ or error.__context__
    return False


def _describe(error: Exception) -> str:
    # The client libraries' errors carry the server's message and status, never the keys.
    message = getattr(error, "message", None) or str(error) or type(error).__name__
    status = getattr(error, "status", None) or getattr(error, "code", None)
    return f"{message} (HTTP {status})" if isinstance(status, int) else str(message)


def _since(started: float) -> float:
    return round(time.monotonic() - started, 3)
