"""Size limits of rule files and rules, so that no input can crash validation or make it slow.

Validation runs on whatever a file or the ``rules`` topic holds. These limits keep its
time and memory proportional to a small, fixed budget whatever the input:

- a file is read only up to :data:`MAX_FILE_BYTES` (1 MiB);
- a YAML file holds at most :data:`MAX_FILE_NODES` values as written;
- a YAML document may use anchors and aliases (``&name`` / ``*name``, merge keys
  ``<<: *name``), but expanding its aliases adds at most :data:`MAX_ALIAS_VALUES` values
  to it, and it nests at most :data:`MAX_NESTING` levels; an alias inside the value it
  refers to is refused (a "billion laughs" document is refused before it is built);
- a rule has at most :data:`MAX_RULE_VALUES` values (every list, object, key and scalar,
  aliases expanded), nests at most :data:`MAX_NESTING` levels, and every integer in it is
  in :data:`INT_MIN` .. :data:`INT_MAX` (what a 64-bit JSON encoder writes exactly).

:func:`check_rule_size` checks a rule (an already-parsed value, from a file or the topic)
without recursion and stops at the budget, so even a cyclic or hugely shared structure
costs at most :data:`MAX_RULE_VALUES` steps.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from footfall.rules._report import Report, at

__all__ = [
    "INT_MAX",
    "INT_MIN",
    "MAX_ALIAS_VALUES",
    "MAX_FILE_BYTES",
    "MAX_FILE_NODES",
    "MAX_NESTING",
    "MAX_PATTERN_CHARS",
    "MAX_RULE_VALUES",
    "MAX_WORDS",
    "MAX_WORDS_CHARS",
    "check_rule_size",
    "int_range_problem",
]

#: A rule file is refused beyond this many bytes (1 MiB).
MAX_FILE_BYTES = 1024 * 1024
#: Values (nodes) of one YAML file as written, aliases not expanded.
MAX_FILE_NODES = 100_000
#: Values the aliases of one YAML document may add when expanded.
MAX_ALIAS_VALUES = 100_000
#: Values of one rule (lists, objects, keys and scalars, aliases expanded).
MAX_RULE_VALUES = 100_000
#: Nesting levels of a document or rule (conditions nest at most 32 groups, JSON bodies
#: 32 levels; this bound is above both).
MAX_NESTING = 100
#: The smallest and largest integer a rule may hold.
INT_MIN = -(2**63)
INT_MAX = 2**64 - 1
#: ``matches``: characters of one regular expression.
MAX_PATTERN_CHARS = 10_000
#: ``contains_words``: words or phrases of one list, and their characters in all.
MAX_WORDS = 10_000
MAX_WORDS_CHARS = 100_000


def int_range_problem(value: int) -> str | None:
    """The message for an integer a rule cannot hold, or None when it is in range."""
    if INT_MIN <= value <= INT_MAX:
        return None
    if value.bit_length() <= 256:
        spelled = str(value)
    else:  # str() of a huge int is slow, and refused beyond 4300 digits
        spelled = f"an integer of about {int(value.bit_length() * 0.30103) + 1} digits"
    return (
        f"integer out of range: {spelled} (integers go from -2^63 to 2^64-1, "
        f"{INT_MIN} to {INT_MAX})"
    )


def check_rule_size(raw: object, report: Report) -> bool:
    """Check the size, nesting and integers of a whole rule; False when a limit is broken.

    Problems are reported at their path. At most :data:`MAX_RULE_VALUES` values are
    visited, depth first, without recursion.
    """
    ok = True
    seen = 1
    # (value, keys from the rule down to it); the path is spelled only for a problem
    stack: list[tuple[object, tuple[str | int, ...], int]] = [(raw, (), 0)]
    while stack:
        value, keys, depth = stack.pop()
        if depth > MAX_NESTING:
            report.add(_path(keys), f"the rule nests deeper than {MAX_NESTING} levels")
            return False
        if isinstance(value, bool):
            continue
        if isinstance(value, int):
            problem = int_range_problem(value)
            if problem is not None:
                report.add(_path(keys), problem)
                ok = False
            continue
        if isinstance(value, Mapping):
            seen += 2 * len(value)
        elif isinstance(value, list | tuple):
            seen += len(value)
        else:
            continue
        if seen > MAX_RULE_VALUES:
            what = (
                f"this object has {len(value):,} keys"
                if isinstance(value, Mapping)
                else (f"this list has {len(value):,} items")
            )
            report.add(
                _path(keys),
                f"the rule has more than {MAX_RULE_VALUES:,} values in all ({what}; YAML "
                "aliases count each time they are used)",
            )
            return False
        if isinstance(value, Mapping):
            items: list[tuple[Any, Any]] = list(value.items())
            for key, item in reversed(items):
                stack.append((item, (*keys, key) if isinstance(key, str) else keys, depth + 1))
                stack.append((key, keys, depth + 1))
        else:
            assert isinstance(value, list | tuple)
            for i in range(len(value) - 1, -1, -1):
                stack.append((value[i], (*keys, i), depth + 1))
    return ok


def _path(keys: tuple[str | int, ...]) -> str:
    path = ""
    for key in keys:
        path = at(path, key)
    return path
