"""Templates in ``envtemplates/``: their lines, parsed once per exact text, and their ``${NAME}`` keys."""

from __future__ import annotations

import functools
import io
from dataclasses import dataclass

from wizard.core.support.errors import ConfigError
from wizard.core.manifest.interpolate import check_references, references
from wizard.core.manifest.stack import Output, Stack
from wizard.core.support.files import shown_path


def leading_newlines(original: str) -> int:
    stripped = original.lstrip()
    return original[: len(original) - len(stripped)].count("\n")


@dataclass(frozen=True)
class _TemplateLine:
    text: str  # the line as written (comments, blanks), or "" for a binding
    key: str = ""
    expression: str = ""  # the value with ${NAME} references still in it


def read_template(stack: Stack, output: Output) -> list[_TemplateLine]:
    shown = shown_path(output.template, stack.root)
    try:
        text = output.template.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"cannot read template {shown}: {exc.strerror}",
                          f"fix [outputs.{output.name}] template in stack.toml", where=shown) from exc
    except UnicodeDecodeError as exc:
        raise ConfigError(f"template {shown} is not UTF-8 text (byte {exc.start})", "save it as UTF-8",
                          where=shown) from None
    check_references(text, stack.value_names, shown)
    return list(_parse_template(text, shown))


@functools.lru_cache(maxsize=32)
def _parse_template(text: str, shown: str) -> tuple[_TemplateLine, ...]:
    """A template's lines; keyed on its exact text, so a cached parse is never stale.

    One init reads each template three times (adopting, rendering, checking the result).
    """
    from dotenv.parser import parse_stream

    lines: list[_TemplateLine] = []
    for binding in parse_stream(io.StringIO(text)):
        original = binding.original.string
        number = binding.original.line + leading_newlines(original)
        if binding.error or (binding.key is not None and binding.value is None):
            raise ConfigError("template line is not KEY=VALUE", "fix the template line",
                              where=f"{shown}:{number}")
        if binding.key is None:
            body = original[:-1] if original.endswith("\n") else original
            lines.extend(_TemplateLine(line) for line in body.split("\n"))
            continue
        # Blank lines before a binding belong to the layout, keep them.
        lines.extend(_TemplateLine("") for _ in range(leading_newlines(original)))
        lines.append(_TemplateLine("", binding.key, binding.value or ""))
    return tuple(lines)


def direct_mappings(stack: Stack, output: Output) -> dict[str, str]:
    """Template keys whose whole value is one ``${NAME}``: key -> NAME."""
    mappings = {}
    for line in read_template(stack, output):
        refs = references(line.expression)
        if line.key and len(refs) == 1 and line.expression == f"${{{refs[0][1]}}}":
            mappings[line.key] = refs[0][1]
    return mappings

