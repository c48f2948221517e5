# syntax=docker/dockerfile:1
# SafetyNet image. From the repository root: `docker build -t safetynet:0.1.0 .`
#
# Stage 1 (build) turns requirements.lock into wheels — every download checked against the
# lock's hashes, nothing unpinned — builds the project's own wheel and installs them all into
# a virtualenv at /opt/safetynet. Stage 2 (runtime) is a slim image holding that virtualenv
# and nothing else from the build, running as an unprivileged user.
ARG PYTHON_IMAGE=python:3.11-slim-bookworm

FROM ${PYTHON_IMAGE} AS build
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1
WORKDIR /src
COPY requirements.lock ./
RUN pip wheel --require-hashes --no-deps --wheel-dir /wheels -r requirements.lock
COPY pyproject.toml README.md LICENSE ./
COPY router ./router
COPY schedules ./schedules
COPY protocols ./protocols
COPY simulations ./simulations
# `pip check` fails the build if the lock is missing anything pyproject now asks for.
RUN pip wheel --no-deps --wheel-dir /wheels . \
    && python -m venv /opt/safetynet \
    && /opt/safetynet/bin/pip install --no-index --no-deps /wheels/*.whl \
    && /opt/safetynet/bin/pip check

FROM ${PYTHON_IMAGE} AS runtime
LABEL org.opencontainers.image.title="SafetyNet" \
      org.opencontainers.image.description="Crisis contact routing and coverage engine" \
      org.opencontainers.image.licenses="Apache-2.0"
# A fixed numeric uid/gid so Kubernetes' runAsNonRoot can check it and volumes can be chowned.
RUN groupadd --system --gid 10001 safetynet \
    && useradd --system --uid 10001 --gid safetynet --no-log-init \
       --home-dir /var/lib/safetynet --create-home --shell /usr/sbin/nologin safetynet
COPY --from=build /opt/safetynet /opt/safetynet
# The root filesystem may be read-only (Kubernetes): no bytecode writes at run time, logs to
# stdout unbuffered, and the only writable place the service needs is its data directory.
ENV PATH=/opt/safetynet/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    SAFETYNET_DATA_DIR=/var/lib/safetynet
WORKDIR /var/lib/safetynet
USER 10001:10001
EXPOSE 8080
# /healthz answers while the process serves; /readyz (the store) is for load balancers.
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8080/healthz', timeout=4)"]
ENTRYPOINT ["safetynet"]
CMD ["serve", "--host", "0.0.0.0", "--port", "8080"]
