# Every target uses the project's own virtualenv (.venv), created on first use.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DATABASE_URL ?= sqlite:///incidents.db

.PHONY: run test test-unit test-api test-e2e fuzz lint format generate check-generated proto-check proto-baseline smoke bench bench-scale alertmanager clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

## run: migrate the SQLite file, make sure a dev team and key exist, print them, serve
run: $(STAMP)
	$(BIN)/incidents-service dev-setup
	$(BIN)/incidents-service serve

## alertmanager: Debian's prometheus-alertmanager, the real sender of tests/e2e/test_http_alertmanager_e2e.py
## (as root; elsewhere it prints the command). CI runs it; the test skips without it outside CI.
alertmanager:
	@if [ -x /usr/bin/prometheus-alertmanager ]; then echo "prometheus-alertmanager is installed"; \
	elif [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq prometheus-alertmanager; \
	else echo "run as root: apt-get update && apt-get install -y prometheus-alertmanager" && exit 1; fi

## test: the whole suite on SQLite and on PostgreSQL (INCIDENTS_TEST_POSTGRES_URL, default the local server)
test: $(STAMP)
	$(BIN)/pytest -q

## test-unit, test-api, test-e2e: one layer of the suite (tests/unit, tests/api, tests/e2e)
test-unit test-api test-e2e: $(STAMP)
	$(BIN)/pytest -q tests/$(@:test-%=%)

## fuzz: the hostile-request fuzz with many more examples per rpc than make test runs (both databases)
fuzz: $(STAMP)
	FUZZ_EXAMPLES=$${FUZZ_EXAMPLES:-300} $(BIN)/pytest -q tests/api/test_fuzz.py

lint: $(STAMP)
	$(BIN)/ruff check incidents_service tests bench scripts
	$(BIN)/ruff format --check incidents_service tests bench scripts
	$(BIN)/mypy

format: $(STAMP)
	$(BIN)/ruff check --fix incidents_service tests bench scripts
	$(BIN)/ruff format incidents_service tests bench scripts

## generate: protoc output (with .pyi stubs) into generated/, committed
generate: $(STAMP)
	rm -rf generated/com generated/incidents_service_api
	$(BIN)/python scripts/generate.py generated

## check-generated: fail when generated/ is stale against protos/
check-generated: $(STAMP)
	rm -rf .generated-check
	$(BIN)/python scripts/generate.py .generated-check
	diff -r -x __pycache__ .generated-check generated || \
		(echo "generated/ is stale: run 'make generate' and commit" && rm -rf .generated-check && exit 1)
	rm -rf .generated-check

## proto-check: buf lint, and buf breaking of each package against its baseline in protos/baseline/:
## the wire package against the published wire (wire-v1), the own package against its last release
proto-check: $(STAMP)
	cd protos && ../$(BIN)/buf lint
	cd protos && ../$(BIN)/buf breaking --against baseline/wire-v1.binpb --path com/coralogixapis
	cd protos && ../$(BIN)/buf breaking --against baseline/incidents-service-v1.binpb --path incidents_service_api

## proto-baseline: at a release, record the own package as the baseline later changes must stay compatible with
proto-baseline: $(STAMP)
	cd protos && ../$(BIN)/buf build --exclude-source-info --path incidents_service_api -o baseline/incidents-service-v1.binpb

## smoke: start a server on a scratch SQLite file and run the README's grpcurl calls against it
smoke: $(STAMP)
	$(BIN)/python scripts/smoke.py

## bench: throughput of the real rpcs beside the server's own ceiling (Health/Check), 100,000 incidents
bench: $(STAMP)
	$(BIN)/python -m bench.throughput

## bench-scale: query latency at 10,000 and 1,000,000 incidents on PostgreSQL, beside hand-written SQL
bench-scale: $(STAMP)
	$(BIN)/python -m bench.scale

clean:
	rm -rf $(VENV) .generated-check .pytest_cache .mypy_cache .ruff_cache
