"""The setting kinds (string, port, url, bool, int, host): what each accepts, in canonical form.

``SETTING_KINDS`` is the one list of them: the manifest check accepts exactly its
names. Used by the manifest check (a default must fit its own kind), by ``init``
for every answer, and by the prompts and the wizard for live validation and for
the editor each kind gets (``SettingKind``'s fields).
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from types import MappingProxyType
from typing import Callable, Mapping
from urllib.parse import urlsplit

from wizard.core.support import envvalue
from wizard.core.manifest.model import SettingSpec

TRUE_WORDS = {"true", "yes", "on", "1"}
FALSE_WORDS = {"false", "no", "off", "0"}
_HOST = re.compile(r"^(?=.{1,253}$)([A-Za-z0-9_]([A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?)"
                   r"(\.[A-Za-z0-9_]([A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?)*\.?$")


@dataclass(frozen=True)
class SettingKind:
    """A kind of setting: its canonical form of a value, and what an editor for it may offer."""

    name: str
    # The value in canonical form; raises ValueError with a reason that may quote the value.
    canonical: Callable[[str], str]
    is_port: bool = False  # a TCP port on 127.0.0.1: checked for being free, moved to a free one
    is_url: bool = False  # an address another service is reached at
    digits_only: bool = False  # an editor may refuse any key but a digit
    choices: tuple[str, ...] = ()  # the only canonical values, when the kind itself fixes them


def setting_kind(spec: SettingSpec) -> SettingKind:
    """The kind of a loaded setting (the manifest check admits no other name)."""
    return SETTING_KINDS.get(spec.kind, _STRING)


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
    value = setting_kind(spec).canonical(value)
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


_STRING = SettingKind("string", _string)
SETTING_KINDS: Mapping[str, SettingKind] = MappingProxyType({kind.name: kind for kind in (
    _STRING,
    SettingKind("port", _port, is_port=True, digits_only=True),
    SettingKind("url", _url, is_url=True),
    SettingKind("bool", _bool, choices=("true", "false")),
    SettingKind("int", _int, digits_only=True),
    SettingKind("host", _host),
)})


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
