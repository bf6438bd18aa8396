# The one test command (README.md): vet, then every test with the race detector. Under CI=true
# a missing external tool (openssl, curl, PostgreSQL) fails the run instead of skipping.
GO ?= go

.PHONY: test build vet bench bench-micro fuzz

build:
	$(GO) build -o bin/anchor ./cmd/anchor

# The macOS and Windows code paths (trust stores) cannot run here; they must at least build.
vet:
	$(GO) vet ./...
	GOOS=darwin $(GO) vet ./truststore/ ./internal/cli/ && GOOS=windows $(GO) vet ./truststore/ ./internal/cli/
	GOOS=darwin $(GO) build ./... && GOOS=windows $(GO) build ./...

test: vet
	$(GO) test -race -count=1 -timeout 20m ./...

# End to end: a real `anchor serve` on loopback, REST issuance and OCSP under concurrent
# clients, each beside its baseline from the same run (the machine is shared and noisy), then
# the ratios. BENCHTIME per benchmark.
BENCHTIME ?= 5s
bench:
	$(GO) test -run '^$$' -bench . -benchtime $(BENCHTIME) -count 1 ./internal/e2e/ | tee bench.out
	@awk '/^Benchmark/ { n=$$1; sub(/-[0-9]+$$/, "", n); sub(/^Benchmark/, "", n); ns[n]=$$3 } \
	  END { \
	    if (!ns["RESTIssue"] || !ns["OCSP"] || !ns["CSRCheck"] || !ns["Lint"]) { print "bench: missing results"; exit 1 } \
	    printf "\nthroughput (per second, all cores)\n"; \
	    for (k in ns) printf "  %-18s %10.0f/s\n", k, 1e9/ns[k]; \
	    printf "REST issuance: %.0f%% of x509.CreateCertificate, %.0f%% of raw signing\n", 100*ns["CreateCertificate"]/ns["RESTIssue"], 100*ns["SignRaw"]/ns["RESTIssue"]; \
	    floor = ns["CSRCheck"] + ns["Lint"] + ns["SignRaw"]; \
	    printf "  floor: CSR check + lints + one signature alone = %.0f%% of x509.CreateCertificate\n", 100*ns["CreateCertificate"]/floor; \
	    printf "         (CSR check %.0f%%, lints %.0f%%, signature %.0f%% of one CreateCertificate)\n", 100*ns["CSRCheck"]/ns["CreateCertificate"], 100*ns["Lint"]/ns["CreateCertificate"], 100*ns["SignRaw"]/ns["CreateCertificate"]; \
	    printf "OCSP:          %.0f%% of a trivial handler with a body of the same size\n", 100*ns["TrivialHandler"]/ns["OCSP"] }' bench.out

# Hot-path micro-benchmarks, reported as ratios to raw signing measured in the same run.
bench-micro:
	$(GO) test -run '^$$' -bench . -benchmem -count 1 ./issuance/ ./ca/ ./store/ ./crl/ ./ocspresponder/

# A short run of every fuzz target (each FUZZTIME), for changes to parsers.
FUZZTIME ?= 10s
fuzz:
	@for pkg in $$($(GO) list ./...); do \
	  for f in $$($(GO) test -list '^Fuzz' $$pkg 2>/dev/null | grep '^Fuzz'); do \
	    echo "== $$pkg $$f"; $(GO) test -run '^$$' -fuzz "^$$f$$" -fuzztime $(FUZZTIME) $$pkg || exit 1; \
	  done; \
	done
