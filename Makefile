# Guildhall: `make help` lists the targets.
.DEFAULT_GOAL := help
SHELL := bash
GO ?= go
BIN := bin/guildhall
export GOTOOLCHAIN := local

.PHONY: help run build test bench bench-load generate lint check db/migrations/new clean

help: ## list the targets
	@grep -hE '^[a-zA-Z/_-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-22s %s\n", $$1, $$2}'

run: build ## build and serve on 127.0.0.1:8080 (a private PostgreSQL when DATABASE_URL is unset)
	./$(BIN) serve --drain-delay 0

build: ## build bin/guildhall
	$(GO) build -o $(BIN) ./cmd/guildhall

test: ## run every test: unit, PostgreSQL, HTTP and headless-Chromium browser tests
	$(GO) test -count=1 -timeout 30m ./...

bench: ## run the benchmarks
	$(GO) test -run '^$$' -bench . -benchmem ./...

# bench-load knobs: BENCH_DURATION per page; BASELINE=<git rev> also builds
# that revision and measures it beside this tree in the same run;
# BENCH_SMALL=<groups> also measures this tree's pages on a site that small
# (0: not), to show each page's cost is flat in the data; BENCH_FLAGS
# passes more (--reuse, --server-url, --groups, --actions, --only,
# --profile …; see go run ./cmd/benchload -h).
BENCH_DURATION ?= 5s
BASELINE ?=
BENCH_SMALL ?= 1000
BENCH_FLAGS ?=

bench-load: build ## seed 100k groups / 1M memberships / a 10k queue, load every page at 16 clients beside a one-query yardstick, print the table (BASELINE=rev compares)
	$(GO) build -o bin/benchload ./cmd/benchload
	@bins="--bin after=$(BIN)"; \
	if [ -n "$(BASELINE)" ]; then \
		dir=$$(mktemp -d); git archive "$(BASELINE)" | tar -x -C $$dir && \
		(cd $$dir && $(GO) build -o guildhall ./cmd/guildhall) || exit 1; \
		bins="--bin before=$$dir/guildhall $$bins"; \
	fi; \
	./bin/benchload $$bins --duration $(BENCH_DURATION) --small-groups $(BENCH_SMALL) $(BENCH_FLAGS)

generate: ## regenerate the templ components
	$(GO) tool templ generate

lint: ## gofmt, go vet and golangci-lint
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	$(GO) tool -modfile=tools/go.mod golangci-lint run ./...

check: ## what CI checks besides tests: generated code current, gofmt, go vet
	$(GO) tool templ generate
	@git diff --exit-code -- '*_templ.go' || { echo "generated templ code is stale: run make generate and commit"; exit 1; }
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...

db/migrations/new: ## create the next numbered migration: make db/migrations/new name=add_things
	@test -n "$(name)" || { echo "usage: make db/migrations/new name=what_it_does"; exit 1; }
	@last=$$(ls migrations/*.sql 2>/dev/null | sed -E 's#migrations/0*([0-9]+)_.*#\1#' | sort -n | tail -1); \
	next=$$(printf '%05d' $$(( $${last:-0} + 1 ))); f=migrations/$${next}_$(name).sql; \
	printf -- '-- +goose Up\n\n-- +goose Down\n' > $$f; echo "created $$f"

clean: ## remove the built binary (the data directory .guildhall is kept)
	rm -rf bin
