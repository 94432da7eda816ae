"""The one masker: secrets never reach a line the user reads.

Server messages, quoted statements, library exceptions and tracebacks can all
carry a value the launcher handed over (a password inside a failing statement, a
DSN echoed by a driver). Rather than trust every producer, the one place that
prints errors (``cli.report``) passes its text through ``scrub``: secret values
the process has loaded, and the password part of any URL or ``password=``
conninfo, become ``********``. The same mask stands for a secret shown on purpose
(``mask``), for the password of a URL in a message (``mask_url``), and a database is
named in messages by ``connection_target``, which holds no password at all.
"""

from __future__ import annotations

import re
import threading
from typing import Iterable
from urllib.parse import quote

MASK = "********"
# Shorter values would mask ordinary words; the manifest's secrets are 8+ characters.
_MIN_LENGTH = 6
# A password already masked (all asterisks) is left as its producer wrote it.
_URL_PASSWORD = re.compile(r"(?P<head>[A-Za-z][A-Za-z0-9+.-]*://[^:/@\s]*):(?!\*+@)[^@\s]*@")
_CONNINFO_PASSWORD = re.compile(r"(?P<head>\bpassword\s*=\s*)(?:'(?:[^'\\]|\\.)*'|\S+)", re.IGNORECASE)

_known: set[str] = set()
_guard = threading.Lock()


def remember(values: Iterable[str]) -> None:
    """Values to mask from now on, in the forms they travel in (as is, and percent-encoded)."""
    with _guard:
        for value in values:
            if value and len(value) >= _MIN_LENGTH:
                _known.add(value)
                _known.add(quote(value, safe=""))


def remember_connection(dsn: str) -> None:
    """The password of a connection string (URL or conninfo), as written and decoded.

    Drivers quote a malformed DSN back in their errors ("invalid percent-encoded
    token: ..."), so its password is masked even where no URL shape surrounds it.
    """
    from urllib.parse import unquote, urlsplit

    found = []
    try:
        password = urlsplit(dsn).password if "://" in dsn else None
    except ValueError:
        password = None
    if password:
        found += [password, unquote(password)]
    found += [match.group(1).strip("'") for match in re.finditer(r"\bpassword\s*=\s*('(?:[^'\\]|\\.)*'|\S+)", dsn)]
    remember(found)


def mask(value: str) -> str:
    """A stand-in that shows a value exists without revealing any character of it."""
    return MASK if value else "(empty)"


def mask_url(url: str) -> str:
    """The URL with its password masked, safe to print or log; the rest as written."""
    scheme, separator, rest = url.partition("://")
    if not separator:
        return url
    # As pymongo splits a URI: hosts end at the first "/", credentials at the last "@".
    hosts, slash, tail = rest.partition("/")
    credentials, at, nodes = hosts.rpartition("@")
    if not at:
        return url
    user, colon, _password = credentials.partition(":")
    return f"{scheme}://{user}{':' + MASK if colon else ''}@{nodes}{slash}{tail}"


def connection_target(dsn: str) -> str:
    """user@host:port/dbname of a PostgreSQL DSN (URL or conninfo), for messages: never the password."""
    from psycopg.conninfo import conninfo_to_dict

    try:
        params = conninfo_to_dict(dsn)
    except Exception:  # noqa: BLE001 - a malformed DSN must not echo itself (it may hold a password)
        return "(unparsable connection string)"
    user = f"{params['user']}@" if params.get("user") else ""
    port = f":{params['port']}" if params.get("port") else ""
    return f"{user}{params.get('host', 'localhost')}{port}/{params.get('dbname', '')}"


def scrub(text: str, *connections: str) -> str:
    """``text`` with every remembered secret, every URL or conninfo password, and the passwords
    of ``connections`` (as written and percent-decoded, which drivers echo alone) masked."""
    from urllib.parse import unquote

    with _guard:
        known = sorted(_known, key=len, reverse=True)
    for url in connections:
        password = url.partition("://")[2].partition("/")[0].rpartition("@")[0].partition(":")[2]
        known = [secret for secret in (password, unquote(password)) if secret] + known
    for value in known:
        if value in text:
            text = text.replace(value, MASK)
    text = _URL_PASSWORD.sub(lambda match: f"{match.group('head')}:{MASK}@", text)
    return _CONNINFO_PASSWORD.sub(lambda match: f"{match.group('head')}{MASK}", text)
