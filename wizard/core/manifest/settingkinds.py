"""The setting kinds (string, port, url, bool, int, host): what each accepts, in canonical form.

``SETTING_KINDS`` is the one list of them: the manifest check accepts exactly its
names. Used by the manifest check (a default must fit its own kind), by ``init``
for every answer, and by the prompts and the wizard for live validation.
"""

from __future__ import annotations

import ipaddress
import re
from typing import Callable, Mapping
from urllib.parse import urlsplit

from wizard.core.support import envvalue
from wizard.core.manifest.model import SettingSpec

TRUE_WORDS = {"true", "yes", "on", "1"}
FALSE_WORDS = {"false", "no", "off", "0"}
_HOST = re.compile(r"^(?=.{1,253}$)([A-Za-z0-9_]([A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?)"
                   r"(\.[A-Za-z0-9_]([A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?)*\.?$")


def validate_setting(spec: SettingSpec, value: str) -> str:
    """The value in canonical form (bools as true/false, numbers without padding).

    Raises ValueError with a reason that may be shown to the user: settings are
    not secret, so the reason can quote the value.
    """
    if "\n" in value or "\r" in value:
        raise ValueError("must be one line")
    unwritable = envvalue.problem(value)
    if unwritable:
        raise ValueError(unwritable)
    value = SETTING_KINDS.get(spec.kind, _string)(value)
    if spec.choices and value not in spec.choices:
        raise ValueError(f"{value!r} is not one of: {', '.join(spec.choices)}")
    return value


def _string(value: str) -> str:
    return value


def _port(value: str) -> str:
    number = _integer(value)
    if not 1 <= number <= 65535:
        raise ValueError(f"{value!r} is not a port number (1-65535)")
    return str(number)


def _int(value: str) -> str:
    return str(_integer(value))


def _bool(value: str) -> str:
    word = value.strip().lower()
    if word not in TRUE_WORDS | FALSE_WORDS:
        raise ValueError(f"{value!r} is not a boolean (true/false, yes/no, on/off, 1/0)")
    return "true" if word in TRUE_WORDS else "false"


def _url(value: str) -> str:
    parts = urlsplit(value)
    if not parts.scheme or not parts.netloc:
        raise ValueError(f"{value!r} is not a URL like http://host:port")
    return value


def _host(value: str) -> str:
    if not _is_host(value):
        raise ValueError(f"{value!r} is not a host name or IP address")
    return value


# kind -> its canonical form of a value (raising ValueError with the reason when it does not fit).
SETTING_KINDS: Mapping[str, Callable[[str], str]] = {
    "string": _string, "port": _port, "url": _url, "bool": _bool, "int": _int, "host": _host,
}


def _integer(value: str) -> int:
    try:
        return int(value.strip(), 10)
    except ValueError:
        raise ValueError(f"{value!r} is not a whole number") from None


def _is_host(value: str) -> bool:
    try:
        ipaddress.ip_address(value)
        return True
    except ValueError:
        return bool(_HOST.match(value))
