# The two commands: `make dev` runs the portal, `make test` runs every test.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

# Local runs default to development mode; CI and production set their own environment.
export DEBUG ?= true

.PHONY: install dev test lint format security deploy-check bandit audit bench bench-provisioning bench-observability bench-golden-paths bench-feedback bench-newcomer bench-load bench-all lock image manifests clean

install: $(STAMP)

# Development installs both locks; the image (Dockerfile) installs requirements.lock alone.
$(STAMP): requirements.lock requirements-dev.lock
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --require-hashes \
	  -r requirements.lock -r requirements-dev.lock
	@touch $(STAMP)

dev: install
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py seed_demo
	exec $(BIN)/python manage.py dev

# pytest exits 5 when a selection matches no test: say so instead of failing obscurely.
test: install lint
	@$(BIN)/python -m pytest $(PYTEST_ARGS); rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "pytest: no tests matched PYTEST_ARGS='$(PYTEST_ARGS)'"; exit 0; fi; exit $$rc

lint: install
	$(BIN)/ruff format --check .
	$(BIN)/ruff check .
	$(BIN)/python manage.py makemigrations --check --dry-run

# Security checks (CI runs them after the tests): Django's deploy check on production settings,
# bandit on our code (high severity), pip-audit of the lock file.
security: deploy-check bandit audit

deploy-check: install
	DEBUG=false ALLOWED_HOSTS=portal.example.com CSRF_TRUSTED_ORIGINS=https://portal.example.com \
	SECRET_KEY=$$($(BIN)/python -c 'import secrets; print(secrets.token_urlsafe(50))') \
	  $(BIN)/python manage.py check --deploy --fail-level WARNING

bandit: install
	$(BIN)/bandit --quiet --recursive catalog provisioning observability feedback idp_portal \
	  --exclude '*/migrations/*' --severity-level high

# Fails on a known vulnerability; says "NOT checked" (and passes) when the advisory service is
# unreachable, which pip-audit alone reports as "No known vulnerabilities found".
audit: install
	$(BIN)/python .ci/audit_dependencies.py

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

# Catalog benchmark on PostgreSQL (BENCH_DATABASE_URL, default postgres://postgres@127.0.0.1:5432/idp_bench);
# writes docs/benchmarks.md. Options: make bench BENCH_ARGS="--help".
bench: install
	$(BIN)/python -m tests.bench.run $(BENCH_ARGS)

# The other benchmarks, each rewriting its own section of docs/benchmarks.md; see --help.
bench-provisioning: install
	$(BIN)/python -m tests.bench.provisioning_bench $(BENCH_ARGS)

bench-observability: install
	$(BIN)/python -m tests.bench.observability_bench $(BENCH_ARGS)

bench-golden-paths: install
	$(BIN)/python -m tests.bench.golden_path_bench $(BENCH_ARGS)

bench-feedback: install
	$(BIN)/python -m tests.bench.feedback_bench $(BENCH_ARGS)

# Journey 1 timed in Chromium on the whole portal (actions and seconds, sign-in to "deployed to
# staging"); BENCH_ARGS="--screenshots docs/screenshots" also saves the README's pictures.
bench-newcomer: install
	$(BIN)/python -m tests.bench.newcomer_bench $(BENCH_ARGS)

# The whole portal under load (gunicorn, 2 Celery workers, PostgreSQL, Redis, moto) driven by
# locust at 1–100 users, on the catalog of `make bench`; about 10 min. BENCH_ARGS="--smoke" checks it.
bench-load: install
	$(BIN)/python -m tests.bench.load_bench $(BENCH_ARGS)

bench-all: bench bench-provisioning bench-observability bench-golden-paths bench-feedback bench-newcomer

# Re-resolve both pinned, hashed lock files after editing pyproject.toml: requirements.lock
# (production) and requirements-dev.lock (test tools on top, same versions; see .ci/lock.py).
# Needs no installed venv, so it also works when a new package is not installable yet.
lock:
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check uv==0.13.9
	$(BIN)/python .ci/lock.py $(BIN)/uv

# The production image (needs a Docker daemon; without one, tests/idp_portal/test_image.py
# replays its steps). IMAGE=registry.example.com/platform/idp-portal:1.0.0 to tag it for a push.
IMAGE ?= idp-portal:dev
image:
	docker build -t $(IMAGE) .

# What `kubectl apply -k` would send, one file per overlay in var/manifests/ (to read or diff).
manifests:
	@mkdir -p var/manifests
	@for env in staging production; do \
	  kubectl kustomize deploy/overlays/$$env > var/manifests/$$env.yaml && echo "var/manifests/$$env.yaml"; \
	done

clean:
	rm -rf $(VENV) var
