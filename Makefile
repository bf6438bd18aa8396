# The one test command (README.md): vet, then every test with the race detector. Under CI=true
# a missing external tool (openssl, curl, PostgreSQL) fails the run instead of skipping.
GO ?= go

.PHONY: test build vet bench fuzz

build:
	$(GO) build -o bin/anchor ./cmd/anchor

vet:
	$(GO) vet ./...

test: vet
	$(GO) test -race -count=1 -timeout 20m ./...

# Hot-path micro-benchmarks, reported as ratios to raw signing measured in the same run.
bench:
	$(GO) test -run '^$$' -bench . -benchmem -count 1 ./issuance/ ./ca/ ./store/ ./crl/

# A short run of every fuzz target (each FUZZTIME), for changes to parsers.
FUZZTIME ?= 10s
fuzz:
	@for pkg in $$($(GO) list ./...); do \
	  for f in $$($(GO) test -list '^Fuzz' $$pkg 2>/dev/null | grep '^Fuzz'); do \
	    echo "== $$pkg $$f"; $(GO) test -run '^$$' -fuzz "^$$f$$" -fuzztime $(FUZZTIME) $$pkg || exit 1; \
	  done; \
	done
