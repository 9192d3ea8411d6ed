# ctrace - see README.md.  `make` builds, `make test` runs every test,
# `make demo` traces the bundled example.  V=1 shows commands, DEBUG=1 and
# ASAN=1 change the build, O=DIR puts it elsewhere.

PREFIX  ?= /usr/local
bindir  ?= $(PREFIX)/bin
libdir  ?= $(PREFIX)/lib
includedir ?= $(PREFIX)/include
mandir  ?= $(PREFIX)/share/man
pkgconfigdir ?= $(libdir)/pkgconfig
VERSION  = 0.1
O       ?= build

CC      ?= cc
INSTALL ?= install

# our flags come first so the user's CFLAGS can override them
WARN     = -Wall -Wextra -Werror -Wno-unused-parameter
OPT      = -O2 -g
ifeq ($(DEBUG),1)
OPT      = -O0 -g3
endif
# ASAN=1: everything with ASan and UBSan (make test ASAN=1 O=build-asan:
# the e2e helpers see the runtime libctrace.so needs and preload it
# first).  gcc warns falsely on instrumented code (-Wformat-overflow in
# spill.c), so warnings stay warnings there.
ifeq ($(ASAN),1)
OPT     += -fsanitize=address,undefined -fno-omit-frame-pointer
WARN    += -Wno-error
endif
# TSAN=1: the collector, the analyzer and the unit tests with TSan (make
# test TSAN=1 O=build-tsan).  Not the preload: it runs inside programs
# built without TSan, where TSan's runtime cannot be loaded late, so it
# is built plainly (the filter-out in the PIC and library rules).
ifeq ($(TSAN),1)
OPT     += -fsanitize=thread
WARN    += -Wno-error
endif
NOTSAN   = $(filter-out -fsanitize=thread,$(1))
# the one version string (util/version.h): --version of every program
VERSION_DEF = -DCTRACE_VERSION='"$(VERSION)"'
# the build's libraries, as pkg-config names them (scripts/deps.sh build
# checks them before the first compile and names what is missing)
PKG_CONFIG ?= pkg-config
pc_cflags = $(shell $(PKG_CONFIG) --cflags $(1) 2>/dev/null)
pc_libs   = $(or $(shell $(PKG_CONFIG) --libs $(1) 2>/dev/null),$(2))
# -MMD: each object's header dependencies, read back by the -include below
BASE_CFLAGS = -std=gnu11 $(WARN) $(OPT) -D_GNU_SOURCE $(VERSION_DEF) -I. -Iformat -Iutil -I$(O)/gen \
	      $(call pc_cflags,liblz4 libdw libprotobuf-c zlib) -MMD -MP
ALL_CFLAGS  = $(BASE_CFLAGS) $(CFLAGS)
ALL_LDFLAGS = $(OPT) $(LDFLAGS)

ifneq ($(V),1)
Q  = @
QP = @printf '  %-8s %s\n'
else
Q  =
QP = @true
endif

FORMAT_SRC    = $(wildcard format/*.c)
UTIL_SRC      = $(wildcard util/*.c)
PRELOAD_SRC   = $(wildcard preload/*.c)
COLLECTOR_SRC = $(wildcard collector/*.c)
ANALYZER_SRC  = $(wildcard analyzer/*.c)
# protobuf messages the analyzer writes (pprof, Perfetto): trimmed copies
# of the upstream .proto files, compiled by protoc-c into $(O)/gen
PROTO_SRC     = $(wildcard analyzer/proto/*.proto)
PROTO_GEN     = $(patsubst analyzer/proto/%.proto,$(O)/gen/%.pb-c.c,$(PROTO_SRC))
UNIT_SRC      = $(wildcard tests/unit/test-*.c)
FIXTURE_SRC   = $(filter-out tests/fixtures/lib%,$(wildcard tests/fixtures/*.c))
FIXLIB_SRC    = $(wildcard tests/fixtures/lib*.c)
BENCH_SRC     = $(filter-out bench/gen-%,$(wildcard bench/*.c))
BENCHGEN_SRC  = $(wildcard bench/gen-*.c)
# files of the html report, embedded in ctrace-analyze as C arrays
HTML_ASSETS   = $(wildcard analyzer/html/*)
EXAMPLE_SRC   = $(wildcard examples/*.c)

# the preload links only the event encoder and the wire messages: no lz4,
# no allocation
PRELOAD_FORMAT = format/events.c format/wire.c

obj = $(patsubst %.c,$(O)/obj/%.o,$(1))
# compile-and-link rules name their dependency file after the program
DEPF = -MF $@.d -MT $@
pic = $(patsubst %.c,$(O)/pic/%.o,$(1))

LIB       = $(O)/lib/libctrace.so
COLLECTOR = $(O)/bin/ctrace-collector
ANALYZER  = $(O)/bin/ctrace-analyze
FRONTEND  = $(O)/bin/ctrace
UNITS     = $(patsubst tests/unit/%.c,$(O)/tests/%,$(UNIT_SRC))
FIXTURES  = $(patsubst tests/fixtures/%.c,$(O)/fixtures/%,$(FIXTURE_SRC)) \
	    $(patsubst tests/fixtures/%.c,$(O)/fixtures/%.so,$(FIXLIB_SRC))
BENCHES   = $(patsubst bench/%.c,$(O)/bench/%,$(BENCH_SRC)) \
	    $(patsubst bench/%.c,$(O)/bench/%,$(BENCHGEN_SRC))
EXAMPLES  = $(patsubst examples/%.c,$(O)/examples/%,$(EXAMPLE_SRC))

SHARED_OBJ = $(call obj,$(FORMAT_SRC) $(UTIL_SRC))
LIBS       = $(call pc_libs,liblz4,-llz4)
DW_LIBS    = $(call pc_libs,libdw libelf zlib,-ldw -lelf -lz)
ANA_LIBS   = $(LIBS) $(call pc_libs,libprotobuf-c zlib,-lprotobuf-c -lz) -lm

.PHONY: all deps test check bench demo install uninstall clean fixtures examples
# the programs only: the examples (libpng) are built by make demo and
# make test, which also install the test tools (make deps)
all: $(LIB) $(COLLECTOR) $(ANALYZER) $(FRONTEND)

deps:
	$(Q)sh scripts/deps.sh

$(O)/obj/%.o: %.c | deps-ok
	$(QP) CC $<
	$(Q)mkdir -p $(dir $@)
	$(Q)$(CC) $(ALL_CFLAGS) -c $< -o $@

$(O)/pic/%.o: %.c | deps-ok
	$(QP) CC-PIC $<
	$(Q)mkdir -p $(dir $@)
	$(Q)$(CC) $(call NOTSAN,$(ALL_CFLAGS)) -fPIC -fvisibility=hidden -ftls-model=initial-exec -c $< -o $@

# the build's dependencies checked once per build tree, so a missing
# library is named plainly instead of failing deep inside a compile; it
# installs nothing (make deps does)
.PHONY: deps-ok
deps-ok: $(O)/.deps-ok
$(O)/.deps-ok: scripts/deps.sh
	$(Q)sh scripts/deps.sh build
	$(Q)mkdir -p $(O) && touch $@

# a new VERSION reaches the programs that print it
$(call obj,analyzer/main.c collector/main.c): Makefile

$(LIB): $(call pic,$(PRELOAD_SRC) $(PRELOAD_FORMAT))
	$(QP) LD $@
	$(Q)mkdir -p $(dir $@)
	$(Q)$(CC) -shared $(call NOTSAN,$(ALL_LDFLAGS)) -Wl,--no-undefined -Wl,-z,nodelete -o $@ $^ -ldl -lpthread

# the collector symbolizes with elfutils (libdw, libelf)
$(COLLECTOR): $(call obj,$(COLLECTOR_SRC)) $(SHARED_OBJ)
	$(QP) LD $@
	$(Q)mkdir -p $(dir $@)
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $^ $(LIBS) $(DW_LIBS)

$(O)/gen/%.pb-c.c $(O)/gen/%.pb-c.h: analyzer/proto/%.proto | deps-ok
	$(QP) PROTOC $<
	$(Q)mkdir -p $(O)/gen
	$(Q)protoc-c --proto_path=analyzer/proto --c_out=$(O)/gen $<

# generated code is not ours: no -Werror, no extra warnings
$(O)/gen/%.o: $(O)/gen/%.c
	$(QP) CC $<
	$(Q)$(CC) -std=gnu11 $(OPT) -I$(O)/gen $(CFLAGS) -c $< -o $@

$(O)/gen/html-assets.c: $(HTML_ASSETS) scripts/embed.sh | deps-ok
	$(QP) EMBED $@
	$(Q)mkdir -p $(O)/gen
	$(Q)sh scripts/embed.sh $(HTML_ASSETS) > $@.tmp && mv $@.tmp $@

$(call obj,$(ANALYZER_SRC)): $(PROTO_GEN)

$(ANALYZER): $(call obj,$(ANALYZER_SRC)) $(PROTO_GEN:.c=.o) $(O)/gen/html-assets.o $(SHARED_OBJ)
	$(QP) LD $@
	$(Q)mkdir -p $(dir $@)
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $^ $(ANA_LIBS)

$(FRONTEND): scripts/ctrace
	$(Q)mkdir -p $(dir $@)
	$(Q)cp $< $@ && chmod 755 $@

$(O)/tests/%: tests/unit/%.c $(SHARED_OBJ) tests/unit/tap.h
	$(QP) CC $<
	$(Q)mkdir -p $(dir $@)
	$(Q)$(CC) $(ALL_CFLAGS) $(DEPF) $(ALL_LDFLAGS) -o $@ $< $(SHARED_OBJ) $(LIBS)

# test-states runs the analyzer's state accounting on made-up events
STATES_UNIT_OBJ = $(call obj,analyzer/states.c analyzer/model.c \
		  analyzer/symbols.c analyzer/trace.c)
$(O)/tests/test-states: tests/unit/test-states.c $(STATES_UNIT_OBJ) $(SHARED_OBJ) tests/unit/tap.h
	$(QP) CC $<
	$(Q)mkdir -p $(dir $@)
	$(Q)$(CC) $(ALL_CFLAGS) $(DEPF) $(ALL_LDFLAGS) -o $@ $< $(STATES_UNIT_OBJ) $(SHARED_OBJ) $(LIBS)

# test-model checks the state model (model.c) and states.c's intervals
$(O)/tests/test-model: tests/unit/test-model.c $(STATES_UNIT_OBJ) $(SHARED_OBJ) tests/unit/tap.h
	$(QP) CC $<
	$(Q)mkdir -p $(dir $@)
	$(Q)$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) -o $@ $< $(STATES_UNIT_OBJ) $(SHARED_OBJ) $(LIBS)

# test-spill sorts records through the analyzer's external sort
SPILL_UNIT_OBJ = $(call obj,analyzer/spill.c)
$(O)/tests/test-spill: tests/unit/test-spill.c $(SPILL_UNIT_OBJ) $(SHARED_OBJ) tests/unit/tap.h
	$(QP) CC $<
	$(Q)mkdir -p $(dir $@)
	$(Q)$(CC) $(ALL_CFLAGS) $(DEPF) $(ALL_LDFLAGS) -o $@ $< $(SPILL_UNIT_OBJ) $(SHARED_OBJ) $(LIBS)

# fixtures are the user's programs: built plainly, as a user would
$(O)/fixtures/%: tests/fixtures/%.c | deps-ok
	$(QP) CC $<
	$(Q)mkdir -p $(dir $@)
	$(Q)$(CC) -std=gnu11 -O1 -g -Wall -D_GNU_SOURCE -Iinclude -MMD -MP $(DEPF) -o $@ $< -pthread -ldl

$(O)/bench/%: bench/%.c | deps-ok
	$(QP) CC $<
	$(Q)mkdir -p $(dir $@)
	$(Q)$(CC) -std=gnu11 -O2 -g -Wall -D_GNU_SOURCE -o $@ $< -pthread

# the peers' workloads (bench/workloads/, vendored unchanged) are built
# as their own Makefile builds them; the shorter stem makes this rule
# win over $(O)/bench/%.  uftrace traces their library calls, so no -pg
$(O)/bench/workloads/%: bench/workloads/%.c bench/workloads/common.h
	$(QP) CC $<
	$(Q)mkdir -p $(dir $@)
	$(Q)gcc -O2 -pthread -g -Wall -Wextra -o $@ $<

# examples are user programs too, built against only include/ctrace.h
$(O)/examples/%: examples/%.c examples/common.h include/ctrace.h | deps-ok
	$(QP) CC $<
	$(Q)mkdir -p $(dir $@)
	$(Q)$(CC) -std=gnu11 -O2 -g -Wall -Wextra -Werror -D_GNU_SOURCE -Iinclude -o $@ $< -pthread -lpng -lm

$(O)/fixtures/%.so: tests/fixtures/%.c | deps-ok
	$(QP) CC-SO $<
	$(Q)mkdir -p $(dir $@)
	$(Q)$(CC) -std=gnu11 -O1 -g -Wall -D_GNU_SOURCE -fPIC -shared -o $@ $< -pthread

# bench/gen-*.c are tools (trace generators): they link the format module
$(O)/bench/gen-%: bench/gen-%.c $(SHARED_OBJ)
	$(QP) CC $<
	$(Q)mkdir -p $(dir $@)
	$(Q)$(CC) $(ALL_CFLAGS) $(DEPF) $(ALL_LDFLAGS) -o $@ $< $(SHARED_OBJ) $(LIBS)

# ---- fuzzing: tests/fuzz ----
# `make fuzz` builds each harness with clang's libFuzzer, ASan and UBSan
# and runs it FUZZ_TIME seconds (new inputs go to $(O)/fuzz/corpus-*,
# crashes to $(O)/fuzz/crash-*; the saved corpus is only read).  `make
# test` replays tests/fuzz/corpus with replay.c under gcc's ASan and UBSan,
# so it needs no clang.  Both builds compile their own sanitized objects.
FUZZ_TIME ?= 60
FUZZ_CC   ?= clang
# the replay prefers clang too: gcc's UBSan misses null+0 (out.c had one)
REPLAY_CC ?= $(shell command -v $(FUZZ_CC) >/dev/null 2>&1 && \
		echo $(FUZZ_CC) || echo $(CC))
FUZZ_HARNESSES = trace-file trace-records collector-msg
FUZZ_SAN  = -fsanitize=address,undefined -fno-sanitize-recover=all \
	    -fno-omit-frame-pointer
# no -Werror: warnings are the main build's business, not a sanitizer's
FUZZ_CFLAGS = -std=gnu11 -Wall -O1 -g -D_GNU_SOURCE $(VERSION_DEF) -I. -Iformat -Iutil \
	      -Ianalyzer -Icollector -Itests/fuzz -I$(O)/gen -MMD -MP
FUZZ_ANA_SRC = tests/fuzz/analyses.c $(ANALYZER_SRC) $(FORMAT_SRC) $(UTIL_SRC)
FUZZ_ANA_GEN = $(PROTO_GEN) $(O)/gen/html-assets.c
FUZZ_COL_SRC = collector/client.c collector/intern.c $(FORMAT_SRC) $(UTIL_SRC)
fuzzobj = $(patsubst %.c,$(O)/fuzz/$(1)/%.o,$(2)) \
	  $(patsubst $(O)/gen/%.c,$(O)/fuzz/$(1)/gen/%.o,$(3))
FUZZ_BINS    = $(patsubst %,$(O)/fuzz/fuzz-%,$(FUZZ_HARNESSES))
FUZZ_REPLAYS = $(patsubst %,$(O)/fuzz/replay-%,$(FUZZ_HARNESSES))

# the analyzer's main() gives way to the harness's
$(O)/fuzz/lf/analyzer/main.o $(O)/fuzz/rp/analyzer/main.o: \
	FUZZ_DEFS = -Dmain=ana_main
# lf: libFuzzer's objects (clang); rp: the replay's (REPLAY_CC)
$(O)/fuzz/lf/%.o: %.c | $(FUZZ_ANA_GEN)
	$(QP) FUZZ-CC $<
	$(Q)mkdir -p $(dir $@)
	$(Q)$(FUZZ_CC) $(FUZZ_CFLAGS) $(FUZZ_DEFS) $(FUZZ_SAN) \
		-fsanitize=fuzzer-no-link -c $< -o $@
$(O)/fuzz/lf/gen/%.o: $(O)/gen/%.c
	$(QP) FUZZ-CC $<
	$(Q)mkdir -p $(dir $@)
	$(Q)$(FUZZ_CC) $(FUZZ_CFLAGS) $(FUZZ_SAN) -c $< -o $@
$(O)/fuzz/rp/%.o: %.c | $(FUZZ_ANA_GEN)
	$(QP) SAN-CC $<
	$(Q)mkdir -p $(dir $@)
	$(Q)$(REPLAY_CC) $(FUZZ_CFLAGS) $(FUZZ_DEFS) $(FUZZ_SAN) -c $< -o $@
$(O)/fuzz/rp/gen/%.o: $(O)/gen/%.c
	$(QP) SAN-CC $<
	$(Q)mkdir -p $(dir $@)
	$(Q)$(REPLAY_CC) $(FUZZ_CFLAGS) $(FUZZ_SAN) -c $< -o $@

$(O)/fuzz/fuzz-trace-file $(O)/fuzz/fuzz-trace-records: $(O)/fuzz/fuzz-%: \
		$(O)/fuzz/lf/tests/fuzz/%.o \
		$(call fuzzobj,lf,$(FUZZ_ANA_SRC),$(FUZZ_ANA_GEN))
	$(QP) FUZZ-LD $@
	$(Q)$(FUZZ_CC) $(FUZZ_SAN) -fsanitize=fuzzer -o $@ $^ $(ANA_LIBS)
$(O)/fuzz/replay-trace-file $(O)/fuzz/replay-trace-records: $(O)/fuzz/replay-%: \
		$(O)/fuzz/rp/tests/fuzz/%.o $(O)/fuzz/rp/tests/fuzz/replay.o \
		$(call fuzzobj,rp,$(FUZZ_ANA_SRC),$(FUZZ_ANA_GEN))
	$(QP) SAN-LD $@
	$(Q)$(REPLAY_CC) $(FUZZ_SAN) -o $@ $^ $(ANA_LIBS)
$(O)/fuzz/fuzz-collector-msg: $(O)/fuzz/lf/tests/fuzz/collector-msg.o \
		$(call fuzzobj,lf,$(FUZZ_COL_SRC))
	$(QP) FUZZ-LD $@
	$(Q)$(FUZZ_CC) $(FUZZ_SAN) -fsanitize=fuzzer -o $@ $^ $(LIBS)
$(O)/fuzz/replay-collector-msg: $(O)/fuzz/rp/tests/fuzz/collector-msg.o \
		$(O)/fuzz/rp/tests/fuzz/replay.o $(call fuzzobj,rp,$(FUZZ_COL_SRC))
	$(QP) SAN-LD $@
	$(Q)$(REPLAY_CC) $(FUZZ_SAN) -o $@ $^ $(LIBS)

# mkseed makes a trace-records seed of a real trace
$(O)/fuzz/mkseed: tests/fuzz/mkseed.c $(SHARED_OBJ)
	$(QP) CC $<
	$(Q)mkdir -p $(dir $@)
	$(Q)$(CC) $(ALL_CFLAGS) $(DEPF) $(ALL_LDFLAGS) -o $@ $< $(SHARED_OBJ) $(LIBS)

.PHONY: fuzz fuzz-build fuzz-replay fuzz-cc
fuzz-cc:
	@command -v $(FUZZ_CC) >/dev/null 2>&1 || sh scripts/deps.sh fuzz
	@command -v $(FUZZ_CC) >/dev/null 2>&1 || { echo "fuzz: $(FUZZ_CC) \
	not found: make fuzz needs clang with libFuzzer (sh scripts/deps.sh \
	fuzz installs it as root)" >&2; exit 1; }
fuzz-build: fuzz-cc
	$(Q)$(MAKE) -s --no-print-directory $(FUZZ_BINS)
fuzz-replay: $(FUZZ_REPLAYS)
# -rss_limit_mb: an input that makes the analyzer hold 1 GiB is a finding
fuzz: fuzz-build
	$(Q)for h in $(FUZZ_HARNESSES); do \
		mkdir -p $(O)/fuzz/corpus-$$h && \
		echo "fuzz: $$h for $(FUZZ_TIME) s" && \
		$(O)/fuzz/fuzz-$$h -max_total_time=$(FUZZ_TIME) \
			-max_len=65536 -rss_limit_mb=1024 -timeout=20 \
			-close_fd_mask=3 -print_final_stats=1 \
			-artifact_prefix=$(O)/fuzz/crash-$$h- \
			$(O)/fuzz/corpus-$$h tests/fuzz/corpus/$$h \
			2>$(O)/fuzz/$$h.log || { tail -40 $(O)/fuzz/$$h.log; \
			exit 1; }; \
		grep -E '^stat::number_of_executed_units|^#[0-9]+.*DONE' \
			$(O)/fuzz/$$h.log; \
	done

fixtures: $(FIXTURES)
examples: $(EXAMPLES)

check: all $(UNITS) $(FIXTURES)
	$(Q)O=$(O) sh tests/run.sh unit

# gen-trace makes the analyzer's known-totals test trace, the peers'
# workloads are run by 052-bench-peers (quick mode); deps first, so
# a fresh machine gets the test tools (as root) or is told which
test: deps
	$(Q)$(MAKE) --no-print-directory all $(UNITS) $(FIXTURES) $(EXAMPLES) \
		$(O)/bench/gen-trace $(PEER_BINS) $(FUZZ_REPLAYS)
	$(Q)O=$(O) sh tests/run.sh all

# PEERS=1: the same workloads under ctrace and the tracers users would
# pick instead (bench/peers.sh; as root it installs them first)
PEER_PROGS = malloc_churn mutex_contend pipe_io thread_spawn mandel
PEER_BINS  = $(PEER_PROGS:%=$(O)/bench/workloads/%)
.PHONY: bench-peers
ifeq ($(PEERS),1)
bench: bench-peers
else
bench: all $(BENCHES)
	$(Q)O=$(O) sh bench/run.sh
endif
bench-peers: all $(PEER_BINS)
	$(Q)sh scripts/deps.sh peers || \
		echo "bench: the rows of the tools missing say not installed" >&2
	$(Q)O=$(O) sh bench/peers.sh

demo: deps
	$(Q)$(MAKE) --no-print-directory all $(FIXTURES) $(EXAMPLES)
	$(Q)O=$(O) sh scripts/demo.sh

install: all
	$(INSTALL) -d $(DESTDIR)$(bindir) $(DESTDIR)$(libdir) \
		$(DESTDIR)$(includedir) $(DESTDIR)$(mandir)/man1 \
		$(DESTDIR)$(mandir)/man3 $(DESTDIR)$(mandir)/man5 \
		$(DESTDIR)$(pkgconfigdir)
	$(INSTALL) -m 755 $(FRONTEND) $(COLLECTOR) $(ANALYZER) $(DESTDIR)$(bindir)
	$(INSTALL) -m 755 $(LIB) $(DESTDIR)$(libdir)
	$(INSTALL) -m 644 include/ctrace.h $(DESTDIR)$(includedir)
	# pkg-config file for programs that include ctrace.h, written with
	# this install's paths (-ldl: dlsym is in libdl before glibc 2.34)
	sed -e 's|@prefix@|$(PREFIX)|' -e 's|@includedir@|$(includedir)|' \
		-e 's|@version@|$(VERSION)|' include/ctrace.pc.in \
		> $(DESTDIR)$(pkgconfigdir)/ctrace.pc
	chmod 644 $(DESTDIR)$(pkgconfigdir)/ctrace.pc
	$(INSTALL) -m 644 man/*.1 $(DESTDIR)$(mandir)/man1
	$(INSTALL) -m 644 man/*.3 $(DESTDIR)$(mandir)/man3
	$(INSTALL) -m 644 man/*.5 $(DESTDIR)$(mandir)/man5

uninstall:
	rm -f $(DESTDIR)$(bindir)/ctrace $(DESTDIR)$(bindir)/ctrace-collector \
		$(DESTDIR)$(bindir)/ctrace-analyze $(DESTDIR)$(libdir)/libctrace.so \
		$(DESTDIR)$(includedir)/ctrace.h $(DESTDIR)$(pkgconfigdir)/ctrace.pc
	cd man && for f in *.1; do rm -f $(DESTDIR)$(mandir)/man1/$$f; done
	cd man && for f in *.3; do rm -f $(DESTDIR)$(mandir)/man3/$$f; done
	cd man && for f in *.5; do rm -f $(DESTDIR)$(mandir)/man5/$$f; done

clean:
	rm -rf $(O)

# what each object includes, written by -MMD at its last compile
-include $(shell find $(O) -name '*.d' 2>/dev/null)
