"""Actions of a rule (SPEC §5): kinds, their parameters, validation and rendering.

An action compiles into a :class:`CompiledAction` whose ``render(values)`` returns the
parameters the command carries, templates rendered and escaped for where they land.
``kind``, ``max_frequency`` and ``per`` are not parameters. Defaults filled in when
rendering: ``call_web_page`` always carries ``method`` (default ``GET``) and ``timeout``
(seconds, default 10); any other optional parameter left out of the rule is left out of
the rendered parameters (the worker applies its documented default).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from footfall.logpaths import log_path_problem
from footfall.rules._report import Report, at, show
from footfall.rules.templates import (
    Escape,
    Template,
    parse_json_template,
    parse_template,
    render_json,
)
from footfall.rules.values import ValueProblem, parse_finite_duration, parse_positive_duration

__all__ = [
    "ACTION_KINDS",
    "ACTION_PARAMETERS",
    "MAX_ACTIONS",
    "PROVIDER_NAME",
    "CompiledAction",
    "compile_action",
    "url_problem",
    "valid_email",
]

MAX_ACTIONS = 10
DEFAULT_TIMEOUT = 10.0
METHODS = ("GET", "POST", "PUT")

Renderer = Callable[[Mapping[str, object]], Any]

#: kind -> parameter names (required ones listed in _REQUIRED).
ACTION_PARAMETERS: Mapping[str, tuple[str, ...]] = {
    "call_web_page": ("url", "method", "headers", "body", "timeout"),
    "log_to_file": ("file", "line"),
    "notify_external_provider": ("provider", "payload"),
    "purge_from_list": (),
    "remove_from_list": (),
    "send_email": ("to", "cc", "bcc", "subject", "body", "reply_to"),
    "send_live_chat_invitation": ("message", "department", "agent"),
    "use_my_notification_profile": ("subject", "body"),
}
ACTION_KINDS: frozenset[str] = frozenset(ACTION_PARAMETERS)
_REQUIRED: Mapping[str, tuple[str, ...]] = {
    "call_web_page": ("url",),
    "log_to_file": ("file",),
    "notify_external_provider": ("provider",),
    "send_email": ("to",),
}
_COMMON = ("kind", "max_frequency", "per")
_HEADER_NAME = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+")
PROVIDER_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,127}")
_EMAIL = re.compile(r"[^@\s<>,;\"]+@[^@\s<>,;\"]+\.[^@\s<>,;\"]+")
_NAMED_EMAIL = re.compile(r"[^<>]*<([^<>]+)>")


@dataclass(frozen=True, slots=True)
class CompiledAction:
    """One validated action of a rule.

    ``max_frequency`` is in seconds (0 = every time); ``per`` is ``rule`` or ``visitor``.
    """

    index: int
    kind: str
    max_frequency: float
    per: str
    params: Mapping[str, Any] = field(repr=False)
    _renderers: tuple[tuple[str, Renderer], ...] = field(repr=False, compare=False)

    def render(self, values: Mapping[str, object]) -> dict[str, Any]:
        """The parameters, templates rendered; ``values`` maps placeholders to JSON values."""
        return {name: fn(values) for name, fn in self._renderers}


def compile_action(raw: object, index: int, path: str, report: Report) -> CompiledAction | None:
    """Validate one action at ``path`` (e.g. ``actions[0]``); None when invalid."""
    if not isinstance(raw, Mapping):
        report.add(path, f"expected an action object with a 'kind', got {show(raw)}")
        return None
    before = len(report)
    kind = raw.get("kind")
    if kind is None:
        report.add(path, "missing key 'kind'")
        return None
    if not isinstance(kind, str) or kind not in ACTION_KINDS:
        report.add(
            at(path, "kind"),
            f"unknown action kind {show(kind)} (use {', '.join(sorted(ACTION_KINDS))})",
        )
        return None
    allowed = ACTION_PARAMETERS[kind]
    for key in raw:
        if key not in allowed and key not in _COMMON:
            hint = (
                f" ({kind} takes {', '.join(allowed)})"
                if allowed
                else f" ({kind} takes no parameters)"
            )
            report.add(path, f"unknown parameter {show(key)}{hint}")
    for key in _REQUIRED.get(kind, ()):
        if key not in raw:
            report.add(path, f"missing parameter {key!r}")
    max_frequency = 0.0
    if "max_frequency" in raw:
        try:
            max_frequency = parse_finite_duration(raw["max_frequency"])
        except ValueProblem as exc:
            report.add(at(path, "max_frequency"), str(exc))
    per = raw.get("per", "rule")
    if per not in ("rule", "visitor"):
        report.add(at(path, "per"), f"expected 'rule' or 'visitor', got {show(per)}")
    renderers: list[tuple[str, Renderer]] = []
    _PARAMS[kind](raw, path, report, renderers)
    if len(report) > before:
        return None
    params = {k: v for k, v in raw.items() if k not in _COMMON}
    return CompiledAction(index, kind, max_frequency, str(per), params, tuple(renderers))


# -- parameter compilers, one per kind ------------------------------------------------

_Out = list[tuple[str, Renderer]]


def _text(
    raw: Mapping[str, Any], name: str, path: str, report: Report, out: _Out, mode: Escape
) -> None:
    if name not in raw:
        return
    value = raw[name]
    if not isinstance(value, str):
        report.add(at(path, name), f"expected a string, got {show(value)}")
        return
    template = parse_template(value, at(path, name), report)
    if template is not None:
        out.append((name, lambda values: template.render(values, mode)))


def _json(raw: Mapping[str, Any], name: str, path: str, report: Report, out: _Out) -> None:
    if name not in raw:
        return
    parsed = parse_json_template(raw[name], at(path, name), report)
    out.append((name, lambda values: render_json(parsed, values)))


def _addresses(
    raw: Mapping[str, Any], name: str, path: str, report: Report, out: _Out, *, single: bool
) -> None:
    if name not in raw:
        return
    value = raw[name]
    npath = at(path, name)
    if single:
        items = [value]
        if not isinstance(value, str):
            report.add(npath, f"expected an email address, got {show(value)}")
            return
    else:
        if not isinstance(value, list) or (name == "to" and not value):
            report.add(
                npath,
                f"expected a {'non-empty ' if name == 'to' else ''}list of email addresses, "
                f"got {show(value)}",
            )
            return
        items = value
    templates: list[Template] = []
    for i, item in enumerate(items):
        ipath = npath if single else at(npath, i)
        if not isinstance(item, str):
            report.add(ipath, f"expected an email address, got {show(item)}")
            continue
        template = parse_template(item, ipath, report)
        if template is None:
            continue
        if not template.names and not valid_email(item):
            report.add(ipath, f"not an email address: {show(item)}")
            continue
        templates.append(template)
    if single and templates:
        (one,) = templates
        out.append((name, lambda values: one.render(values, Escape.ADDRESS)))
    elif not single:
        out.append(
            (name, lambda values: [r for t in templates if (r := t.render(values, Escape.ADDRESS))])
        )


def valid_email(text: str) -> bool:
    """Whether ``text`` is an address (``a@example.com`` or ``Name <a@example.com>``)."""
    named = _NAMED_EMAIL.fullmatch(text.strip())
    return bool(_EMAIL.fullmatch(named.group(1) if named else text.strip()))


def _call_web_page(raw: Mapping[str, Any], path: str, report: Report, out: _Out) -> None:
    if "url" in raw:
        url = raw["url"]
        upath = at(path, "url")
        if not isinstance(url, str):
            report.add(upath, f"expected a URL, got {show(url)}")
        elif (problem := url_problem(url)) is not None:
            report.add(upath, problem)
        else:
            _text(raw, "url", path, report, out, Escape.URL)
    method = raw.get("method", "GET")
    if not isinstance(method, str) or method.upper() not in METHODS:
        report.add(at(path, "method"), f"expected GET, POST or PUT, got {show(method)}")
        method = "GET"
    method = method.upper()
    out.append(("method", lambda values: method))
    if "headers" in raw:
        _headers(raw["headers"], at(path, "headers"), report, out)
    if "body" in raw:
        if method == "GET":
            report.add(at(path, "body"), "a body needs method POST or PUT")
        _json(raw, "body", path, report, out)
    timeout = DEFAULT_TIMEOUT
    if "timeout" in raw:
        try:
            timeout = parse_positive_duration(raw["timeout"])
        except ValueProblem as exc:
            report.add(at(path, "timeout"), str(exc))
    out.append(("timeout", lambda values: timeout))


def url_problem(url: str) -> str | None:
    if url != url.strip() or any(c.isspace() for c in url):
        return "a URL cannot contain spaces (percent-encode them)"
    scheme, sep, rest = url.partition("://")
    if not sep or scheme.lower() not in ("http", "https"):
        return f"only http:// and https:// URLs are allowed, got {show(url)}"
    authority = re.split(r"[/?#]", rest, maxsplit=1)[0]
    if "{{" in authority or "}}" in authority:
        return "the host of a URL cannot contain placeholders"
    try:
        host = urlsplit(url.replace("{{", "").replace("}}", "")).hostname
    except ValueError:
        host = None
    if not host:
        return f"the URL has no host: {show(url)}"
    return None


def _headers(value: object, path: str, report: Report, out: _Out) -> None:
    if not isinstance(value, Mapping):
        report.add(path, f"expected a mapping of header names to values, got {show(value)}")
        return
    templates: dict[str, Template] = {}
    for name, text in value.items():
        if not isinstance(name, str) or not _HEADER_NAME.fullmatch(name):
            report.add(path, f"invalid header name {show(name)}")
            continue
        hpath = at(path, name)
        if not isinstance(text, str):
            report.add(hpath, f"expected a string, got {show(text)}")
            continue
        template = parse_template(text, hpath, report)
        if template is not None:
            templates[name] = template
    out.append(
        (
            "headers",
            lambda values: {k: t.render(values, Escape.HEADER) for k, t in templates.items()},
        )
    )


def _log_to_file(raw: Mapping[str, Any], path: str, report: Report, out: _Out) -> None:
    if "file" in raw:
        file = raw["file"]
        fpath = at(path, "file")
        problem = _log_path_problem(file)
        if problem is not None:
            report.add(fpath, problem)
        else:
            out.append(("file", lambda values: file))
    _text(raw, "line", path, report, out, Escape.HEADER)


def _log_path_problem(file: object) -> str | None:
    """The worker's own definition of a log path (footfall.logpaths), and no placeholders."""
    if isinstance(file, str) and "{{" in file:
        return "a log file path cannot contain placeholders"
    return log_path_problem(file)


def _notify(raw: Mapping[str, Any], path: str, report: Report, out: _Out) -> None:
    if "provider" in raw:
        provider = raw["provider"]
        if not isinstance(provider, str) or not PROVIDER_NAME.fullmatch(provider):
            report.add(at(path, "provider"), f"expected a provider name, got {show(provider)}")
        else:
            out.append(("provider", lambda values: provider))
    _json(raw, "payload", path, report, out)


def _none(raw: Mapping[str, Any], path: str, report: Report, out: _Out) -> None:
    return None


def _send_email(raw: Mapping[str, Any], path: str, report: Report, out: _Out) -> None:
    for name in ("to", "cc", "bcc"):
        _addresses(raw, name, path, report, out, single=False)
    _addresses(raw, "reply_to", path, report, out, single=True)
    _text(raw, "subject", path, report, out, Escape.HEADER)
    _text(raw, "body", path, report, out, Escape.TEXT)


def _invitation(raw: Mapping[str, Any], path: str, report: Report, out: _Out) -> None:
    _text(raw, "message", path, report, out, Escape.TEXT)
    _text(raw, "department", path, report, out, Escape.HEADER)
    _text(raw, "agent", path, report, out, Escape.HEADER)


def _profile(raw: Mapping[str, Any], path: str, report: Report, out: _Out) -> None:
    _text(raw, "subject", path, report, out, Escape.HEADER)
    _text(raw, "body", path, report, out, Escape.TEXT)


_PARAMS: Mapping[str, Callable[[Mapping[str, Any], str, Report, _Out], None]] = {
    "call_web_page": _call_web_page,
    "log_to_file": _log_to_file,
    "notify_external_provider": _notify,
    "purge_from_list": _none,
    "remove_from_list": _none,
    "send_email": _send_email,
    "send_live_chat_invitation": _invitation,
    "use_my_notification_profile": _profile,
}
