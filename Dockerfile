# footfall: one image for every service (processor, worker, traffic, admin commands,
# and the local SMTP/webhook sinks with `python -m footfall.devsinks`).
#
#   docker build -t footfall .
#   docker run --rm footfall --help
#
# Three stages, so that a code edit rebuilds only what it must:
#   deps   the dependencies, from pyproject.toml alone: wheels for the image, and the
#          same installed for the compile step (mypyc type-checks against them)
#   build  the footfall wheel with the core compiled by mypyc (setup.py; the full
#          Python image has gcc), so the processor and `footfall simulate` run the
#          compiled engine (docs/performance.md)
#   image  python slim with the dependency wheels installed in one layer (kept while
#          pyproject.toml does not change) and footfall's wheel in the next; the wheels
#          are bind-mounted from the other stages, never copied into a layer
# Base images: the Debian release is part of the tag, so that both stages build on the
# same system (pin digests in your registry mirror for reproducible builds).
ARG PYTHON_BUILD_IMAGE=python:3.11-bookworm
ARG PYTHON_IMAGE=python:3.11-slim-bookworm

FROM ${PYTHON_BUILD_IMAGE} AS deps
WORKDIR /src
COPY pyproject.toml ./
# the dependencies and extras pyproject.toml pins, without footfall itself
RUN python -c 'import tomllib; p = tomllib.load(open("pyproject.toml", "rb"))["project"]; print("\n".join(p["dependencies"] + p["optional-dependencies"]["rocksdb"]))' > /tmp/runtime.txt \
    && python -c 'import tomllib; print("\n".join(tomllib.load(open("pyproject.toml", "rb"))["project"]["optional-dependencies"]["compile"]))' > /tmp/compile.txt \
    && pip wheel --no-cache-dir --wheel-dir /deps -r /tmp/runtime.txt \
    && pip install --no-cache-dir --no-index --find-links /deps -r /tmp/runtime.txt \
    && pip install --no-cache-dir -r /tmp/compile.txt

FROM deps AS build
COPY setup.py README.md ./
COPY src ./src
RUN FOOTFALL_COMPILE=1 pip wheel --no-cache-dir --no-deps --no-build-isolation --wheel-dir /wheel . \
    && cd /wheel && sha256sum footfall-*.whl > /footfall-wheel.sha256

FROM ${PYTHON_IMAGE} AS image
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    FOOTFALL_STATE_DIR=/var/lib/footfall/state \
    FOOTFALL_LOG_DIR=/var/lib/footfall/logs
RUN --mount=type=bind,from=deps,source=/deps,target=/deps \
    pip install --no-cache-dir --no-index --find-links=/deps /deps/*.whl \
    && useradd --system --uid 10001 --user-group --home-dir /var/lib/footfall --create-home footfall \
    && mkdir -p /var/lib/footfall/state /var/lib/footfall/logs /var/lib/footfall/sinks \
    && chown -R footfall:footfall /var/lib/footfall
# the wheel's checksum (a few bytes) ties the next layer to the wheel's content: some
# builders (buildah) leave the sources of a bind mount out of their layer cache
COPY --from=build /footfall-wheel.sha256 /usr/local/share/footfall/wheel.sha256
RUN --mount=type=bind,from=build,source=/wheel,target=/wheel \
    pip install --no-cache-dir --no-index --no-deps /wheel/footfall-*.whl
COPY examples /opt/footfall/examples
USER 10001:10001
WORKDIR /var/lib/footfall
# 6066: processor (Who's On page, API, metrics); 6067: worker (metrics, health)
EXPOSE 6066 6067
ENTRYPOINT ["footfall"]
CMD ["--help"]
