# Showtime: live ticketing. `just serve` runs the app with demo data; `just test` runs every test.
set shell := ["bash", "-euo", "pipefail", "-c"]

py := ".venv/bin/python"

# list the recipes
default:
    @just --list

# create the virtualenv, install dependencies, build the web app (only what changed)
setup:
    tools/dev/bootstrap.sh

# serve on http://127.0.0.1:8000 with demo data (embedded Valkey and Stripe stand-in unless configured)
serve *ARGS: setup
    {{py}} -m backend.launcher.serve {{ARGS}}

# every test: Python unit + integration + end-to-end, and the web app's unit tests
test *ARGS: setup
    if [ -f frontend/package.json ]; then (cd frontend && npm test --silent); fi
    {{py}} -m pytest {{ARGS}}

# format Python sources
fmt: setup
    {{py}} -m ruff format server backend realtime db tools tests bench e2e
    {{py}} -m ruff check --fix server backend realtime db tools tests bench e2e

# lint Python sources, and check the package boundaries ([tool.importlinter] in pyproject.toml)
lint: setup
    {{py}} -m ruff check server backend realtime db tools tests bench e2e
    .venv/bin/lint-imports --no-cache

# type-check Python and TypeScript
typecheck: setup
    {{py}} -m mypy server backend realtime db
    if [ -f frontend/package.json ]; then (cd frontend && npm run --silent typecheck); fi

# apply database migrations
migrate: setup
    {{py}} -m db.manage migrate

# load demo data into an empty database
seed: setup migrate
    {{py}} -m db.manage seed --if-empty

# empty the database (SQLite file removed, or PostgreSQL schema dropped), then migrate and seed again
reset-db: setup
    {{py}} -m db.manage reset
    {{py}} -m db.manage migrate
    {{py}} -m db.manage seed

# walk every chain of the payments ledger against the signed checkpoints; fails naming the first row that does not match
verify-ledger: setup
    {{py}} -m backend.payments verify-ledger

# refund every paid order of cancelled shows as a process of its own (every server process runs the same job)
run-cancellations *ARGS: setup migrate
    {{py}} -m backend.payments run-cancellations {{ARGS}}

# a gate staff account for the scanner page (/scan): new (password printed once) or an existing profile promoted
create-scanner EMAIL: setup migrate
    {{py}} -m backend.accounts.staff create-scanner {{EMAIL}}

# the bearer token of a hand-held gate device that scans for one show (derived from SCANNER_TOKEN)
gate-token SHOW: setup
    {{py}} -m backend.tickets.gate_tokens {{SHOW}}

# an organizer account of the organization ORG_NAME (made if new): new (password printed once, or --password P) or an existing profile given the role
[positional-arguments]
create-organizer EMAIL ORG_NAME *ARGS: setup migrate
    {{py}} -m backend.organizer.staff create-organizer "$@"

# write the OpenAPI document (plus the WebSocket messages' schemas) to var/openapi.json and regenerate the web app's API types
openapi: setup
    {{py}} -m server.openapi_export var/openapi.json
    if [ -f frontend/package.json ]; then (cd frontend && npm run --silent gen:api); fi

# benchmarks (not tests): results go to docs/performance.md
bench: setup
    {{py}} bench/catalog.py
    {{py}} bench/holds.py
    {{py}} bench/live_map.py --server-cpus 0 --client-cpus 1
    {{py}} bench/seating_import.py

# settlement benches (not in CI; DATABASE_URL=postgresql://...): chains against a bare ceiling, and the closed loop of issue 22
bench-settlement: setup
    taskset -c 1 {{py}} bench/settlement_lock.py
    {{py}} bench/sellout.py

# check a show's waiting-room draw from a running server's published data (--url, --queue-id=ID --number N)
verify-draw SHOW *ARGS:
    {{py}} -m realtime.waiting_room.verify_draw {{SHOW}} {{ARGS}}

# mutation testing of one critical module (or each in turn) with Cosmic Ray, in a private copy (docs/mutation.md; not in CI)
mutate *ARGS: setup
    {{py}} -c 'import cosmic_ray' 2>/dev/null || {{py}} -m pip install --quiet -c constraints.txt -e '.[mutation]'
    nice -n 5 {{py}} -m tools.mutation {{ARGS}}
