# syntax=docker/dockerfile:1
# The gateway (python -m gateway): the chat API, the widget and the phone webhooks, the only part
# that faces the internet. Build from the repository root (docs/deployment.md):
#   docker build -f deploy/docker/gateway.Dockerfile -t muni-gateway:VERSION .
# No secret is baked in: MUNI_SECRET_KEY, MUNI_DATABASE_URL and Twilio's credentials come from the
# environment at run time (Kubernetes: secretKeyRef in deploy/k8s/gateway.yaml).
# The safety screen's model (multilingual-e5-small for ONNX Runtime, int8) is built in a stage of its
# own with torch from TORCH_INDEX_URL, as the action server's image builds its model; only the built
# folder reaches the gateway, which never imports torch.

ARG PYTHON_IMAGE=python:3.11.11-slim-bookworm

FROM ${PYTHON_IMAGE} AS model
ARG TORCH_VERSION=2.13.0
ARG TORCH_INDEX_URL=https://download.pytorch.org/whl/cpu
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1 \
    PYTHONDONTWRITEBYTECODE=1
RUN python -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH
WORKDIR /src
RUN pip install --index-url "${TORCH_INDEX_URL}" "torch==${TORCH_VERSION}"
COPY pyproject.toml ./
COPY deploy/docker/requirements.py deploy/docker/
RUN python deploy/docker/requirements.py actions pyproject.toml > requirements.txt \
    && pip install --requirement requirements.txt
COPY knowledge/setup ./knowledge/setup
COPY muni ./muni
COPY safety ./safety
RUN touch knowledge/__init__.py \
    && PYTHONPATH=/src python knowledge/setup/build_e5.py /tmp/multilingual-e5-small \
    && python -W ignore -m safety.setup.build_e5_int8 /tmp/multilingual-e5-small /opt/models/multilingual-e5-small-int8

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
    MUNI_VAR_DIR=/var/lib/muni \
    MUNI_SAFETY_MODEL=/opt/models/multilingual-e5-small-int8
RUN groupadd --system --gid 10001 muni \
    && useradd --system --uid 10001 --gid muni --home-dir /app --no-create-home muni \
    && mkdir -p /var/lib/muni \
    && chown muni:muni /var/lib/muni
COPY --from=build /opt/venv /opt/venv
COPY --from=model /opt/models /opt/models
WORKDIR /app
# The gateway's packages and what they read at run time: the tenant data (knowledge/), the schema's
# migrations (conversation/migrations, run as the gateway starts), the console's templates (admin/),
# the safety screen's patterns and examples (safety/). tests/deploy/test_images.py starts the
# gateway's code with only these packages of the project importable.
COPY muni ./muni
COPY safety ./safety
COPY crisis ./crisis
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
