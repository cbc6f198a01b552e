# Build, test, example and benchmark entry points for retort.
#
#   make                 build ./retort
#   make test            unit tests (Check) and CLI integration tests (real SQLite files, real PostgreSQL)
#   make test SANITIZE=1 the same, built with AddressSanitizer + UndefinedBehaviorSanitizer
#   make example         run migrations_example/ against SQLite
#   make bench           benchmark script, figures as ratios against sqlite3 measured in the same run
#   make install PREFIX=/usr/local
#
# Every target that needs Debian packages checks for them first: as root it installs
# what is missing, otherwise it prints the exact apt-get line and fails.

CC      ?= cc
PREFIX  ?= /usr/local
SANITIZE ?=
VALGRIND ?=

ifeq ($(SANITIZE),1)
BUILD   := build-san
SANFLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
OPT     := -O1
else
BUILD   := build
SANFLAGS :=
OPT     := -O2
endif

PG_INCDIR := $(shell pg_config --includedir 2>/dev/null || echo /usr/include/postgresql)
CPPFLAGS += -I$(PG_INCDIR) -Ilib -D_DEFAULT_SOURCE -D_POSIX_C_SOURCE=200809L
CFLAGS  ?= $(OPT) -g
CFLAGS  += -std=c11 -Wall -Wextra -Wshadow -Wstrict-prototypes -Wformat=2 $(SANFLAGS)
LDFLAGS += $(SANFLAGS)
LIBS    := -lpq -lsqlite3 -lyaml -lpg_query -lcrypto -pthread -lm
CHECK_LIBS := -lcheck_pic -lsubunit -lrt -lm -pthread

# Debian packages: what building needs, and what testing adds.
DEB_BUILD := gcc make pkg-config libc6-dev libpq-dev libsqlite3-dev libyaml-dev libssl-dev \
             libpg-query-dev libprotobuf-c-dev
DEB_TEST  := check sqlite3 postgresql postgresql-client procps util-linux python3 strace \
             python3-alembic python3-sqlalchemy \
             $(if $(filter 1,$(VALGRIND)),valgrind)
DEB_BENCH := sqlite3 time
DEB_FUZZ  := clang libclang-rt-14-dev

LIB_SRCS := $(sort $(wildcard lib/*.c))
CMD_SRCS := $(sort $(wildcard cmd/*.c))
LIB_OBJS := $(LIB_SRCS:%.c=$(BUILD)/%.o)
CMD_OBJS := $(CMD_SRCS:%.c=$(BUILD)/%.o)
UNIT_SRCS := $(sort $(wildcard tests/unit/check_*.c))
UNIT_BINS := $(UNIT_SRCS:tests/unit/%.c=$(BUILD)/tests/%)

.PHONY: all deps deps-test deps-bench deps-fuzz test unit cli fuzz fuzz-replay fuzz-short stress \
        stress-crash stress-alloc stress-fault example bench install clean
.DEFAULT_GOAL := all

all: $(BUILD)/.deps-build retort

# One dpkg-query call, then apt-get for whatever is missing (root), or the line to run (others).
define ensure_debs
	@missing=$$(for p in $(1); do \
	    dpkg-query -W -f='$${db:Status-Abbrev}' $$p 2>/dev/null | grep -q '^ii' || printf '%s ' $$p; done); \
	if [ -n "$$missing" ]; then \
	    if [ "$$(id -u)" = 0 ]; then \
	        echo "installing missing Debian packages: $$missing"; \
	        export DEBIAN_FRONTEND=noninteractive; \
	        apt-get install -y --no-install-recommends $$missing >/dev/null || \
	        { apt-get update >/dev/null && apt-get install -y --no-install-recommends $$missing >/dev/null; } || \
	        { echo "error: apt-get install failed for: $$missing" >&2; exit 1; }; \
	    else \
	        echo "error: missing Debian packages; run as root:" >&2; \
	        echo "  apt-get install -y $$missing" >&2; exit 1; \
	    fi; \
	fi
endef

$(BUILD)/.deps-build:
	$(call ensure_debs,$(DEB_BUILD))
	@mkdir -p $(BUILD) && touch $@

deps: $(BUILD)/.deps-build

deps-test: $(BUILD)/.deps-build
	$(call ensure_debs,$(DEB_TEST))

deps-fuzz: $(BUILD)/.deps-build
	$(call ensure_debs,$(DEB_FUZZ))

deps-bench: $(BUILD)/.deps-build
	$(call ensure_debs,$(DEB_BENCH) python3 postgresql postgresql-client util-linux)

$(BUILD)/%.o: %.c | $(BUILD)/.deps-build
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) -MMD -MP -c -o $@ $<

$(BUILD)/libretort.a: $(LIB_OBJS)
	@rm -f $@
	ar rcs $@ $^

$(BUILD)/retort: $(CMD_OBJS) $(BUILD)/libretort.a
	$(CC) $(LDFLAGS) -o $@ $(CMD_OBJS) $(BUILD)/libretort.a $(LIBS)

retort: $(BUILD)/retort
	@if [ "$(BUILD)" = build ]; then cp $(BUILD)/retort retort.tmp && mv -f retort.tmp retort; fi

$(BUILD)/tests/check_%: tests/unit/check_%.c tests/unit/unit.h $(BUILD)/libretort.a
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) -Itests/unit -MMD -MP -o $@ $< $(BUILD)/libretort.a $(LIBS) $(CHECK_LIBS)

# VALGRIND=1: each suite in one process (CK_FORK=no) under valgrind, definite leaks fatal.
UNIT_RUNNER = $(if $(filter 1,$(VALGRIND)),env CK_FORK=no valgrind -q --leak-check=full --errors-for-leak-kinds=definite --error-exitcode=99)

unit: deps-test $(UNIT_BINS)
	@RETORT_TESTS_DIR=$(CURDIR)/tests sh tests/pg/with-pg.sh sh -c \
	    'fail=0; for t in "$$@"; do $(UNIT_RUNNER) "$$t" || fail=1; done; \
	    [ $$fail = 0 ] || { echo "unit tests failed" >&2; exit 1; }' unit $(UNIT_BINS)

# One throwaway PostgreSQL server for the whole CLI suite; SQLite tests ignore it.
cli: deps-test $(BUILD)/retort
	@RETORT=$(CURDIR)/$(BUILD)/retort VALGRIND=$(VALGRIND) \
	    sh tests/pg/with-pg.sh sh tests/cli/run-all.sh $(T)

# Fuzzing (tests/fuzz/README.md): the regression inputs and seed corpora, then 20 s per
# libFuzzer target, are part of make test; make fuzz runs FUZZ_SECONDS per target.
FUZZ_SECONDS  ?= 600
FUZZ_PARALLEL ?= 1

fuzz: deps-fuzz
	@FUZZ_PARALLEL=$(FUZZ_PARALLEL) sh tests/fuzz/run.sh $(FUZZ_SECONDS)

fuzz-replay: deps-fuzz
	@sh tests/fuzz/run.sh --replay

fuzz-short: fuzz-replay
	@FUZZ_PARALLEL=2 sh tests/fuzz/run.sh 20

test: unit cli fuzz-short

# make stress: the long reliability runs: crash safety and concurrency (about 15 minutes,
# on a throwaway PostgreSQL server), allocation failures under valgrind, database calls
# failed at every point, and an hour of fuzzing per target.
stress-crash: deps-test $(BUILD)/retort
	@RETORT=$(CURDIR)/$(BUILD)/retort STRESS_SUMMARY=$(CURDIR)/build/stress-summary.txt \
	    sh tests/pg/with-pg.sh sh tests/stress/run.sh $(STRESS_ARGS)

stress-alloc: deps-test $(BUILD)/retort
	$(call ensure_debs,valgrind)
	@RETORT=$(CURDIR)/$(BUILD)/retort sh tests/stress/alloc.sh

# Every exec, query and commit call of the example histories failed in turn (t3310 with
# FAULT_ALL=1), on SQLite and a throwaway PostgreSQL server.
stress-fault: deps-test $(BUILD)/retort
	@RETORT=$(CURDIR)/$(BUILD)/retort sh tests/pg/with-pg.sh sh tests/stress/fault.sh

stress: FUZZ_SECONDS = 3600
stress: stress-crash stress-alloc stress-fault fuzz

# make example: the SQLite example; make example PG=1: the PostgreSQL one, on a throwaway server.
example: $(BUILD)/.deps-build retort
ifeq ($(PG),1)
	$(call ensure_debs,postgresql postgresql-client util-linux)
	@RETORT=$(CURDIR)/$(BUILD)/retort sh tests/pg/with-pg.sh sh migrations_example_pg/run-example.sh
else
	@RETORT=$(CURDIR)/$(BUILD)/retort sh migrations_example/run-example.sh
endif

bench: deps-bench $(BUILD)/retort
	@RETORT=$(CURDIR)/$(BUILD)/retort sh tests/bench/bench.sh $(BENCH_ARGS)

install: $(BUILD)/retort
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/retort
	install -m 0755 $(BUILD)/retort $(DESTDIR)$(PREFIX)/bin/retort
	cp -R templates $(DESTDIR)$(PREFIX)/share/retort/
	chmod -R u=rwX,go=rX $(DESTDIR)$(PREFIX)/share/retort/templates

clean:
	rm -rf build build-san build-fuzz retort

-include $(LIB_OBJS:.o=.d) $(CMD_OBJS:.o=.d) $(UNIT_BINS:=.d)
