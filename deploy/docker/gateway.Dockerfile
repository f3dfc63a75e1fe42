# syntax=docker/dockerfile:1
# The gateway (python -m gateway): the chat API, the widget and the phone webhooks, the only part
# that faces the internet. Build from the repository root (docs/deployment.md):
#   docker build -f deploy/docker/gateway.Dockerfile -t muni-gateway:VERSION .
# No secret is baked in: MUNI_SECRET_KEY, MUNI_DATABASE_URL and Twilio's credentials come from the
# environment at run time (Kubernetes: secretKeyRef in deploy/k8s/gateway.yaml).

ARG PYTHON_IMAGE=python:3.11.11-slim-bookworm

FROM ${PYTHON_IMAGE} AS build
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1 \
    PYTHONDONTWRITEBYTECODE=1
RUN python -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH
WORKDIR /src
# Dependencies first (a layer that changes only with pyproject.toml); the gateway's image leaves out
# the knowledge stack it never imports (deploy/docker/requirements.py says which and why).
COPY pyproject.toml ./
COPY deploy/docker/requirements.py deploy/docker/
RUN python deploy/docker/requirements.py gateway pyproject.toml > requirements.txt \
    && pip install --requirement requirements.txt

FROM ${PYTHON_IMAGE} AS runtime
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PYTHONPATH=/app \
    MUNI_HOST=0.0.0.0 \
    MUNI_PORT=8080 \
    MUNI_VAR_DIR=/var/lib/muni
RUN groupadd --system --gid 10001 muni \
    && useradd --system --uid 10001 --gid muni --home-dir /app --no-create-home muni \
    && mkdir -p /var/lib/muni \
    && chown muni:muni /var/lib/muni
COPY --from=build /opt/venv /opt/venv
WORKDIR /app
# The gateway's packages and what they read at run time: the tenant data (knowledge/), the schema's
# migrations (conversation/migrations, run as the gateway starts), the console's templates (admin/).
COPY muni ./muni
COPY conversation ./conversation
COPY gateway ./gateway
COPY web ./web
COPY voice ./voice
COPY admin ./admin
COPY sms ./sms
COPY booking ./booking
COPY knowledge ./knowledge
USER 10001:10001
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8080/healthz', timeout=4)"]
CMD ["python", "-m", "gateway"]
