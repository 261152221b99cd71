# footfall: one image for every service (processor, worker, traffic, admin commands,
# and the local SMTP/webhook sinks with `python -m footfall.devsinks`).
#
#   docker build -t footfall .
#   docker run --rm footfall --help
# The build stage compiles the core with mypyc (setup.py; the full image has gcc), so the
# processor and `footfall simulate` run the compiled engine (docs/performance.md). mypyc
# type-checks against the dependencies: they are installed first (footfall itself is not).
FROM python:3.11 AS build
WORKDIR /src
COPY pyproject.toml setup.py README.md ./
COPY src ./src
RUN pip install --no-cache-dir ".[rocksdb,compile]" && pip uninstall -y footfall
RUN FOOTFALL_COMPILE=1 pip wheel --no-cache-dir --no-build-isolation --wheel-dir /wheels ".[rocksdb]"

FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    FOOTFALL_STATE_DIR=/var/lib/footfall/state \
    FOOTFALL_LOG_DIR=/var/lib/footfall/logs
COPY --from=build /wheels /wheels
RUN pip install --no-cache-dir --no-index --find-links=/wheels "footfall[rocksdb]" \
    && rm -rf /wheels \
    && useradd --system --uid 10001 --user-group --home-dir /var/lib/footfall --create-home footfall \
    && mkdir -p /var/lib/footfall/state /var/lib/footfall/logs /var/lib/footfall/sinks \
    && chown -R footfall:footfall /var/lib/footfall
COPY examples /opt/footfall/examples
USER 10001:10001
WORKDIR /var/lib/footfall
# 6066: processor (Who's On page, API, metrics); 6067: worker (metrics, health)
EXPOSE 6066 6067
ENTRYPOINT ["footfall"]
CMD ["--help"]
