# syntax=docker/dockerfile:1
# The portal's image. One image, four roles chosen by the command (deploy/base/): gunicorn
# serving the web pages (the default), the Celery worker, Celery beat and the migration Job.
# Only requirements.lock is installed: no test or development tool reaches production.
# Build: docker build -t idp-portal .   (the steps are replayed by tests/idp_portal/test_image.py)
ARG PYTHON_IMAGE=python:3.11-slim-bookworm

# --- builder: a virtual environment with the locked runtime dependencies ---------------------
FROM ${PYTHON_IMAGE} AS builder
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONDONTWRITEBYTECODE=1
COPY requirements.lock /tmp/requirements.lock
# Hashes checked, wheels only: every locked package ships a wheel for CPython 3.11 on Linux, so
# no compiler is needed and nothing is built from a source archive at install time.
RUN python -m venv /opt/venv \
 && /opt/venv/bin/pip install --no-cache-dir --require-hashes --only-binary=:all: --no-deps \
      -r /tmp/requirements.lock

# --- runtime -------------------------------------------------------------------------------
FROM ${PYTHON_IMAGE} AS runtime
# git: the git driver and the golden-path merge call git's plumbing commands. The base image's
# tag is the pin; Debian's stable security updates for git are wanted, not frozen out.
# hadolint ignore=DL3008
RUN apt-get update \
 && apt-get install -y --no-install-recommends git \
 && rm -rf /var/lib/apt/lists/* \
 && groupadd --system --gid 10001 portal \
 && useradd --system --uid 10001 --gid portal --home-dir /app --no-create-home \
      --shell /usr/sbin/nologin portal \
 && mkdir -p /var/lib/portal \
 && chown portal:portal /var/lib/portal
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    DJANGO_SETTINGS_MODULE=idp_portal.settings \
    IDP_DATA_DIR=/var/lib/portal \
    STATIC_ROOT=/app/staticfiles \
    HOME=/tmp
COPY --from=builder /opt/venv /opt/venv
WORKDIR /app
# Code belongs to root and is read-only for the portal's user, even without a read-only root.
COPY manage.py pyproject.toml ./
COPY idp_portal ./idp_portal
COPY catalog ./catalog
COPY provisioning ./provisioning
COPY observability ./observability
COPY feedback ./feedback
COPY templates ./templates
COPY static ./static
COPY deploy/gunicorn.conf.py ./deploy/gunicorn.conf.py
# Static files are collected (hashed and compressed) now, so pods never write them. Production
# settings refuse to load without a secret key: this one exists only for this step and is not
# kept in the image. Byte-code is compiled now because a read-only root cannot hold it later.
RUN DEBUG=false \
    SECRET_KEY=build-time-only-collectstatic-key-not-a-secret-not-used-at-run-time \
    IDP_DATA_DIR=/tmp/build-data \
    python manage.py collectstatic --noinput --verbosity 0 \
 && python -m compileall -q /app \
 && rm -rf /tmp/build-data
USER 10001:10001
EXPOSE 8000
# Liveness only (no database): the same path the cluster's liveness probe uses. slim has no
# curl, so Python asks; "localhost" must stay in ALLOWED_HOSTS (deploy/base/configmap.yaml).
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
  CMD ["python", "-c", "import urllib.request as u; u.urlopen('http://localhost:8000/healthz', timeout=4)"]
ENTRYPOINT ["gunicorn", "--config", "deploy/gunicorn.conf.py"]
CMD ["idp_portal.wsgi"]
