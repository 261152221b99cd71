"""Action templates: ``{{name}}`` placeholders, escaped for where the value lands.

A placeholder names a condition field, ``visitor_id``, ``rule.id``, ``rule.name``,
``event.type`` or ``event.time`` (spaces inside the braces are allowed). There are no
expressions, filters, attribute access or code. A missing value renders empty.

Escaping modes (:class:`Escape`):

- ``URL``: the value is percent-encoded entirely (``/``, ``?``, ``&``, ``#`` included);
- ``HEADER``: line breaks and other control characters become spaces (headers, subjects,
  log lines, names);
- ``ADDRESS``: like HEADER, and ``,`` ``;`` ``<`` ``>`` are dropped, so a value can never
  add a recipient;
- ``TEXT``: the value as it is (mail bodies, chat messages);
- JSON values (bodies, payloads) are rendered by :func:`render_json`: a string that is
  exactly one placeholder becomes the value with its JSON type (number, string), other
  strings are rendered as TEXT; the worker JSON-encodes the result.
"""

from __future__ import annotations

import enum
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any
from urllib.parse import quote

import orjson

from footfall.rules._report import Report, show
from footfall.rules.fields import FIELDS

__all__ = [
    "PLACEHOLDERS",
    "Escape",
    "Template",
    "parse_json_template",
    "parse_template",
    "render_json",
    "text_of",
]

PLACEHOLDERS: frozenset[str] = frozenset(FIELDS) | {
    "rule.id",
    "rule.name",
    "event.type",
    "event.time",
}

MAX_JSON_DEPTH = 32
_CONTROL = re.compile(r"[\x00-\x1f\x7f\x85\u2028\u2029]")
_ADDRESS_DROP = re.compile(r"[,;<>]")


class Escape(enum.Enum):
    URL = "url"
    HEADER = "header"
    ADDRESS = "address"
    TEXT = "text"


def text_of(value: object) -> str:
    """The text spelling of a JSON fact value in a template."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if value.is_integer():
            return str(int(value))
        return f"{value:.2f}".rstrip("0").rstrip(".")
    return orjson.dumps(value, default=str).decode()


@lru_cache(maxsize=16384)
def _url_quote(text: str) -> str:
    """Percent-encoded text (values repeat: visitor ids, pages, names)."""
    return quote(text, safe="")


def _escape(text: str, mode: Escape) -> str:
    if mode is Escape.TEXT:
        return text
    if mode is Escape.URL:
        return _url_quote(text)
    if not text.isprintable():  # every character _CONTROL matches is unprintable
        text = _CONTROL.sub(" ", text)
    if mode is Escape.ADDRESS:
        return _ADDRESS_DROP.sub("", text).strip()
    return text


@dataclass(frozen=True, slots=True)
class Template:
    """A parsed template: literal text and placeholder names, alternating."""

    source: str
    parts: tuple[tuple[bool, str], ...]  # (is_placeholder, literal text or name)
    #: the placeholder names, in order (derived from ``parts``)
    names: tuple[str, ...] = field(init=False, repr=False, compare=False)
    #: ``parts`` with control characters in the literals replaced (HEADER, ADDRESS):
    #: escaping each piece equals escaping the whole rendered text
    _cleaned: tuple[tuple[bool, str], ...] = field(init=False, repr=False, compare=False)
    _cleaned_source: str = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "names", tuple(text for is_name, text in self.parts if is_name))
        cleaned = tuple(
            (is_name, text if is_name else _CONTROL.sub(" ", text)) for is_name, text in self.parts
        )
        object.__setattr__(self, "_cleaned", cleaned)
        object.__setattr__(self, "_cleaned_source", _CONTROL.sub(" ", self.source))

    @property
    def single(self) -> str | None:
        """The placeholder name when the template is exactly one placeholder."""
        if len(self.parts) == 1 and self.parts[0][0]:
            return self.parts[0][1]
        return None

    def render(self, values: Mapping[str, object], mode: Escape) -> str:
        plain = mode is Escape.TEXT or mode is Escape.URL
        if not self.names:
            return self.source if plain else self._cleaned_source
        parts = self.parts if plain else self._cleaned
        get = values.get
        out = []
        for is_name, text in parts:
            if is_name:
                value = get(text)
                out.append(_escape(value if value.__class__ is str else text_of(value), mode))
            else:
                out.append(text)
        return "".join(out)


def parse_template(text: str, path: str, report: Report) -> Template | None:
    """Parse ``text``; report unknown placeholders and unclosed braces at ``path``."""
    parts: list[tuple[bool, str]] = []
    pos = 0
    ok = True
    # Each "{{" up to the first "}}" after it, found with str.find: linear even in
    # "{{{{{{..." (a lazy regular expression rescans the rest for every unclosed "{{").
    while True:
        start = text.find("{{", pos)
        end = text.find("}}", start + 2) if start >= 0 else -1
        if end < 0:
            break
        if start > pos:
            parts.append((False, text[pos:start]))
        name = text[start + 2 : end].strip()
        if name not in PLACEHOLDERS:
            report.add(
                path,
                f"unknown placeholder {{{{{_cut(name)}}}}}" if name else "empty placeholder {{}}",
            )
            ok = False
        parts.append((True, name))
        pos = end + 2
    if pos < len(text):
        parts.append((False, text[pos:]))
    if any(not is_name and "{{" in literal for is_name, literal in parts):
        report.add(path, "unclosed '{{' (placeholders read {{name}})")
        ok = False
    return Template(text, tuple(parts)) if ok else None


def _cut(name: str) -> str:
    return name if len(name) <= 60 else name[:57] + "..."


def parse_json_template(value: object, path: str, report: Report, depth: int = 0) -> Any:
    """Validate every template inside a JSON value; return the value with strings parsed."""
    if depth > MAX_JSON_DEPTH:
        report.add(path, f"the JSON value nests deeper than {MAX_JSON_DEPTH} levels")
        return None
    if isinstance(value, str):
        return parse_template(value, path, report)
    if isinstance(value, list):
        return [
            parse_json_template(v, f"{path}[{i}]", report, depth + 1) for i, v in enumerate(value)
        ]
    if isinstance(value, Mapping):
        out = {}
        for k, v in value.items():
            if not isinstance(k, str):
                report.add(path, f"JSON object keys must be strings, got {show(k)}")
                continue
            out[k] = parse_json_template(v, f"{path}.{k}", report, depth + 1)
        return out
    if value is None or isinstance(value, bool | int | float):
        if isinstance(value, float) and not math.isfinite(value):
            report.add(path, f"{value} is not a JSON value")
        return value
    report.add(path, f"not a JSON value: {show(str(value))}")
    return None


def render_json(value: Any, values: Mapping[str, object]) -> Any:
    """Render a value returned by :func:`parse_json_template`."""
    if isinstance(value, Template):
        name = value.single
        if name is not None:
            got = values.get(name)
            return "" if got is None else got
        return value.render(values, Escape.TEXT)
    if isinstance(value, list):
        return [render_json(v, values) for v in value]
    if isinstance(value, dict):
        return {k: render_json(v, values) for k, v in value.items()}
    return value
