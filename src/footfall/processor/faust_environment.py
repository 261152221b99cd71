"""Keep Faust's own environment variables out of the processor.

footfall's ``FOOTFALL_*`` settings are the only configuration of the processor. Faust
reads about 80 unprefixed variables of its own when the app is built (``BROKER_URL``,
``TOPIC_PARTITIONS``, ``APP_STORE``, ...): :func:`footfall.processor.faust_app.create_app`
gives the app an empty environment for those. A few more are read when ``faust`` is first
imported (``FAUST_LOOP`` even replaces the event loop); :func:`drop_faust_variables`
removes them from the process environment before that import, and says which it removed.
"""

from __future__ import annotations

from collections.abc import MutableMapping

__all__ = ["FAUST_IMPORT_VARIABLES", "drop_faust_variables"]

#: What faust-streaming 0.15 reads from ``os.environ`` at import time (faust/__init__.py,
#: faust/types/_env.py), with both of its prefixes.
FAUST_IMPORT_VARIABLES = frozenset(
    [
        f"{prefix}{name}"
        for prefix in ("FAUST_", "F_")
        for name in (
            "DATADIR",
            "LOOP",
            "DEBUG",
            "WORKDIR",
            "BLOCKING_TIMEOUT",
            "FORCE_BLOCKING_TIMEOUT",
            "CONSOLE_PORT",
            "STRICT",
            "WEB_PORT",
            "WEB_BIND",
            "WEB_TRANSPORT",
        )
    ]
    + ["F_F_WEB_BIND", "FAUST_F_WEB_BIND"]
)


def drop_faust_variables(environ: MutableMapping[str, str]) -> list[str]:
    """Remove the variables Faust reads at import from ``environ``; return their names."""
    found = sorted(name for name in FAUST_IMPORT_VARIABLES if name in environ)
    for name in found:
        del environ[name]
    return found
