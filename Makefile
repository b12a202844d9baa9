# taskscope — the one Makefile.
#
#   make            build everything (the taskscope binary, libraries, fixtures, examples)
#   make run        install missing Debian packages, build, and start the main job
#   make check      install, build and run every test (plus the runtime under TSan and ASan/UBSan)
#   make bench      benchmarks, each printed beside its anchor measured in the same run
#   make deps       install missing Debian packages (as root), or print the apt-get line
#   make install    install the binary and man pages under $(PREFIX)
#   make clean      remove build/
#
# Variables: V=1 shows commands; SAN=1 builds with ASan+UBSan, SAN=thread with TSan;
# WERROR=0 lets warnings through. Outputs go under build/<variant>/, generated BPF code under build/gen/.

.DELETE_ON_ERROR:
# Keep every intermediate (skeletons, fixture objects): deleting them made each make run
# regenerate the skeletons and recompile everything that includes them.
.SECONDARY:
.SUFFIXES:
MAKEFLAGS += --no-builtin-rules
SHELL := /bin/bash

# ---- variant -------------------------------------------------------------------------------------
SAN ?=
ifeq ($(SAN),1)
  VARIANT := san
  SANFLAGS := -fsanitize=address,undefined -fno-sanitize-recover=all
else ifeq ($(SAN),thread)
  VARIANT := tsan
  SANFLAGS := -fsanitize=thread
else
  VARIANT := rel
  SANFLAGS :=
endif
BUILD := build/$(VARIANT)
GEN := build/gen

Q := $(if $(filter 1,$(V)),,@)
say = $(if $(Q),@printf '  %-8s %s\n' '$(1)' '$(2)';)

# ---- toolchain and flags -------------------------------------------------------------------------
CXX := g++
CC := gcc
CLANG := clang
BPFTOOL := $(firstword $(wildcard /usr/sbin/bpftool /sbin/bpftool) bpftool)
WERROR ?= 1
WARN := -Wall -Wextra $(if $(filter 1,$(WERROR)),-Werror)
# GCC documents -Wmaybe-uninitialized as unreliable under sanitizers (false positives in std::regex).
ifneq ($(SANFLAGS),)
  WARN += -Wno-maybe-uninitialized
endif
OPT := -O2 -g -fno-omit-frame-pointer
# Frames larger than a page probe each page as they grow, so no frame can jump a goroutine's stack
# guard into a neighbour's stack (runtime/HACKING.md, "Fixed stacks").
HARDEN := -fstack-clash-protection
DEPFLAGS := -MMD -MP -DTS_BUILD_DIR='"$(abspath $(BUILD))"'
CPPFLAGS := -Ibase -Ilib -Itools -Iruntime/include -I$(GEN) $(DEPFLAGS)
CXXFLAGS := -std=c++20 $(OPT) $(HARDEN) $(WARN) -pthread $(SANFLAGS)
CFLAGS := -std=gnu11 $(OPT) $(HARDEN) $(WARN) -pthread $(SANFLAGS)
LDFLAGS := -pthread $(SANFLAGS)
LDLIBS := -lproc2 -lbpf -lelf -lz -ldw -lseccomp -lcap -lncursesw -ltinfo -lsqlite3 -lzstd -lstdc++
# cpp-httplib (with OpenSSL, brotli, zlib as Debian builds it) is linked into the HTTP server plugin
# alone, which `export` loads (lib/export/http_server.h): loading it cost every process 2.9 ms.
# The tests link it too, for their HTTP client. Its includers need the defines Debian built it with.
HTTPLIB_LIBS := -lcpp-httplib
# (class layouts depend on them), though export serves plain HTTP only.
$(BUILD)/pic/plugins/http/httplib_server.o $(BUILD)/obj/tests/export/export_live_test.o $(BUILD)/obj/tests/export/prometheus_test.o: CPPFLAGS += $(shell pkg-config --cflags cpp-httplib)

# ---- Debian packages the project needs (make deps) -------------------------------------------------
DEB_PKGS := g++ make pkg-config procps libproc2-dev libcli11-dev catch2 nlohmann-json3-dev \
  libbpf-dev bpftool clang llvm libelf-dev zlib1g-dev libdw-dev elfutils systemtap-sdt-dev libseccomp-dev libcap-dev \
  libncurses-dev tmux golang-go libsqlite3-dev libzstd-dev sqlite3 libcpp-httplib-dev libc6-dbg prometheus
BENCH_PKGS := libboost-fiber-dev libboost-context-dev bpftrace htop gdb atop

# ---- sources ---------------------------------------------------------------------------------------
BASE_SRCS := $(sort $(shell find base -name '*.cpp'))
LIB_SRCS := $(sort $(shell find lib -name '*.cpp'))
TOOL_SRCS := $(sort $(filter-out tools/main.cpp,$(shell find tools -name '*.cpp')))
RT_SRCS := $(sort $(wildcard runtime/src/*.cpp runtime/src/*.S))
BPF_SRCS := $(sort $(wildcard bpf/*.bpf.c))
UNIT_TEST_SRCS := $(sort $(filter-out tests/runtime/% tests/bench/% tests/fixtures/%,$(shell find tests -name '*_test.cpp')))
RT_TEST_SRCS := $(sort $(wildcard tests/runtime/*_test.cpp))
SUPPORT_SRCS := $(sort $(wildcard tests/support/*.cpp))
FIXTURE_SRCS := $(sort $(wildcard tests/fixtures/*.c tests/fixtures/*.cpp))
BENCH_SRCS := $(sort $(wildcard tests/bench/*.cpp))
EXAMPLE_SRCS := $(sort $(wildcard runtime/examples/*.cpp))

obj = $(patsubst %,$(BUILD)/obj/%.o,$(basename $(1)))
SKELS := $(BPF_SRCS:bpf/%.bpf.c=$(GEN)/%.skel.h)
BASE_A := $(BUILD)/lib/libtsbase.a
LIB_A := $(BUILD)/lib/libtaskscope.a
TOOLS_A := $(BUILD)/lib/libtstools.a
GORO_A := $(BUILD)/lib/libgoro.a
BIN := $(BUILD)/bin/taskscope
HTTP_PLUGIN := $(BUILD)/lib/taskscope/http.so
UNIT_TESTS := $(BUILD)/bin/unit_tests
RT_TESTS := $(BUILD)/bin/runtime_tests
# Go fixtures: tests/fixtures/go_<name>/ (a main package), built by the go tool, also stripped (-s -w).
GO_FIXTURE_DIRS := $(sort $(patsubst %/main.go,%,$(wildcard tests/fixtures/go_*/main.go)))
GO_FIXTURES := $(foreach d,$(GO_FIXTURE_DIRS),$(BUILD)/fixtures/$(notdir $(d)) $(BUILD)/fixtures/$(notdir $(d))_stripped)
FIXTURES := $(foreach f,$(FIXTURE_SRCS),$(BUILD)/fixtures/$(basename $(notdir $(f)))) $(GO_FIXTURES)
# taskscope stack's chain fixtures are also built without debug information and as non-PIE.
FIXTURE_VARIANTS := $(addprefix $(BUILD)/fixtures/,stack_chain_nodebug stack_chain_nopie stack_chain_nopie_nodebug \
  stack_chain_cpp_nodebug)
FIXTURES += $(FIXTURE_VARIANTS)
BENCHES := $(foreach f,$(BENCH_SRCS),$(BUILD)/bench/$(basename $(notdir $(f))))
EXAMPLES := $(foreach f,$(EXAMPLE_SRCS),$(BUILD)/examples/$(basename $(notdir $(f))))
# What `taskscope bench` runs beside the binary (lib/costs/paths.h): a static exec helper and the
# Go row's source, laid out under BUILD as under PREFIX.
BENCH_EXEC := $(BUILD)/libexec/taskscope/bench-exec
BENCH_GO := $(patsubst tools/bench_go/%,$(BUILD)/share/taskscope/bench-go/%,$(wildcard tools/bench_go/*))

.PHONY: all run check bench deps bench-deps install clean tests runtime-tests help
.DEFAULT_GOAL := all

all: $(BIN) $(HTTP_PLUGIN) $(BENCH_EXEC) $(BENCH_GO) $(FIXTURES) $(EXAMPLES)

help:
	@sed -n '3,13p' Makefile | sed 's/^# \{0,1\}//'

# ---- dependencies ------------------------------------------------------------------------------------
# deps installs what is missing when run as root, and otherwise prints the one apt-get line to run.
# A policy-rc.d (unless the machine has one) keeps packages' daemons (prometheus, atop) from starting:
# tests start their own, on free ports.
define install_pkgs
	@missing=""; for p in $(1); do \
	  dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q 'ok installed' || missing="$$missing $$p"; \
	done; \
	[ -z "$$missing" ] && exit 0; \
	if [ "$$(id -u)" = 0 ]; then \
	  echo "deps: installing$$missing"; \
	  policy=/usr/sbin/policy-rc.d; own=""; \
	  if [ ! -e $$policy ]; then printf '#!/bin/sh\nexit 101\n' >$$policy && chmod 755 $$policy && own=1; fi; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
	  rc=$$?; [ -z "$$own" ] || rm -f $$policy; \
	  [ $$rc = 0 ] || { echo "deps: apt-get install failed for:$$missing" >&2; exit 1; }; \
	else \
	  echo "deps: missing Debian packages; as root run: apt-get install -y$$missing" >&2; exit 1; \
	fi
endef

deps:
	$(call install_pkgs,$(DEB_PKGS))

bench-deps: deps
	$(call install_pkgs,$(BENCH_PKGS))

# ---- the main job, tests, benchmarks -----------------------------------------------------------------
# run starts the main job: the live viewer, taskscope top (one text frame when not on a terminal).
RUN_ARGS ?= top
run: deps
	@$(MAKE) --no-print-directory all
	$(BIN) $(RUN_ARGS)

tests: $(BIN) $(HTTP_PLUGIN) $(BENCH_EXEC) $(BENCH_GO) $(FIXTURES) $(EXAMPLES) $(UNIT_TESTS) $(RT_TESTS)

runtime-tests: $(RT_TESTS) $(FIXTURES) $(EXAMPLES)

# check runs every test binary; the runner prints one closing "N passed, N failed" line.
# In the plain build it also runs the runtime tests under TSan and under ASan/UBSan (separate builds).
check: deps
	@$(MAKE) --no-print-directory tests
ifeq ($(VARIANT),rel)
	@$(MAKE) --no-print-directory SAN=thread runtime-tests
	@$(MAKE) --no-print-directory SAN=1 runtime-tests
	@tests/support/run-tests $(UNIT_TESTS) $(RT_TESTS) build/tsan/bin/runtime_tests build/san/bin/runtime_tests
else
	@tests/support/run-tests $(UNIT_TESTS) $(RT_TESTS)
endif

bench: bench-deps
	@$(MAKE) --no-print-directory all $(BENCHES)
	@tests/bench/run-all $(BUILD)

# ---- install -------------------------------------------------------------------------------------------
PREFIX ?= /usr/local
install: $(BIN) $(HTTP_PLUGIN) $(BENCH_EXEC) $(BENCH_GO)
	install -D -m 755 $(BIN) $(DESTDIR)$(PREFIX)/bin/taskscope
	install -D -m 644 $(HTTP_PLUGIN) $(DESTDIR)$(PREFIX)/lib/taskscope/http.so
	install -d $(DESTDIR)$(PREFIX)/share/man/man1
	install -m 644 man/*.1 $(DESTDIR)$(PREFIX)/share/man/man1/
	install -D -m 755 $(BENCH_EXEC) $(DESTDIR)$(PREFIX)/libexec/taskscope/bench-exec
	install -D -m 644 -t $(DESTDIR)$(PREFIX)/share/taskscope/bench-go $(BENCH_GO)
	install -d $(DESTDIR)$(PREFIX)/lib/systemd/system
	sed 's|@PREFIX@|$(PREFIX)|g' systemd/taskscope-record.service > $(DESTDIR)$(PREFIX)/lib/systemd/system/taskscope-record.service

clean:
	rm -rf build

# ---- BPF: x.bpf.c -> x.bpf.o -> x.skel.h -------------------------------------------------------------
$(GEN)/vmlinux.h:
	$(call say,BTF,$@)mkdir -p $(@D) && $(BPFTOOL) btf dump file /sys/kernel/btf/vmlinux format c > $@

$(GEN)/%.bpf.o: bpf/%.bpf.c $(GEN)/vmlinux.h $(wildcard bpf/*.h)
	$(call say,BPF,$@)$(CLANG) -g -O2 -target bpf -D__TARGET_ARCH_x86 -I$(GEN) -Ibpf -Wall -Werror \
	  -c $< -o $@.tmp && $(BPFTOOL) gen object $@ $@.tmp && rm -f $@.tmp

$(GEN)/%.skel.h: $(GEN)/%.bpf.o
	$(call say,SKEL,$@)$(BPFTOOL) gen skeleton $< > $@

# ---- C++ -----------------------------------------------------------------------------------------------
$(BUILD)/obj/%.o: %.cpp | $(SKELS)
	$(call say,CXX,$<)mkdir -p $(@D) && $(CXX) $(CPPFLAGS) $(CXXFLAGS) -c $< -o $@

$(BUILD)/obj/%.o: %.c
	$(call say,CC,$<)mkdir -p $(@D) && $(CC) $(CPPFLAGS) $(CFLAGS) -c $< -o $@

# Position-independent objects, for the HTTP server plugin.
$(BUILD)/pic/%.o: %.cpp
	$(call say,CXX,$< (pic))mkdir -p $(@D) && $(CXX) $(CPPFLAGS) $(CXXFLAGS) -fPIC -c $< -o $@

$(HTTP_PLUGIN): $(BUILD)/pic/plugins/http/httplib_server.o $(BUILD)/pic/lib/export/conn_pool.o
	$(call say,LD,$@)mkdir -p $(@D) && $(CXX) $(LDFLAGS) -shared -o $@ $^ $(HTTPLIB_LIBS)

$(BUILD)/obj/%.o: %.S
	$(call say,AS,$<)mkdir -p $(@D) && $(CC) $(CPPFLAGS) $(SANFLAGS) -c $< -o $@

# The floors see only what lies below them: base/ sees itself, runtime/ sees base/ and its own
# headers, so an #include from lib/ in either fails to build (runtime/HACKING.md, docs/ARCHITECTURE.md).
$(call obj,$(BASE_SRCS)): CPPFLAGS := -Ibase $(DEPFLAGS)
$(call obj,$(RT_SRCS)): CPPFLAGS := -Ibase -Iruntime/include $(DEPFLAGS)
# This fixture shows what the guard alone catches in code built without stack-clash probes.
$(BUILD)/obj/tests/fixtures/goro_overflow_noprobe.o: CXXFLAGS += -fno-stack-clash-protection

$(BASE_A): $(call obj,$(BASE_SRCS))
$(LIB_A): $(call obj,$(LIB_SRCS))
$(TOOLS_A): $(call obj,$(TOOL_SRCS))
$(GORO_A): $(call obj,$(RT_SRCS))
$(BUILD)/lib/%.a:
	$(call say,AR,$@)mkdir -p $(@D) && rm -f $@ && ar rcs $@ $^

# Subcommands register themselves from static objects, so the tools archive is linked whole.
# libgoro: `bench` measures goro's own goroutines (lib/costs/goro_rows.cpp).
$(BIN): $(call obj,tools/main.cpp) $(TOOLS_A) $(LIB_A) $(GORO_A) $(BASE_A)
	$(call say,LD,$@)mkdir -p $(@D) && $(CXX) $(LDFLAGS) -o $@ $< -Wl,--whole-archive $(TOOLS_A) -Wl,--no-whole-archive $(LIB_A) $(GORO_A) $(BASE_A) $(LDLIBS)

$(UNIT_TESTS): $(call obj,$(UNIT_TEST_SRCS) $(SUPPORT_SRCS)) $(TOOLS_A) $(LIB_A) $(GORO_A) $(BASE_A)
	$(call say,LD,$@)mkdir -p $(@D) && $(CXX) $(LDFLAGS) -o $@ $(call obj,$(UNIT_TEST_SRCS) $(SUPPORT_SRCS)) \
	  -Wl,--whole-archive $(TOOLS_A) -Wl,--no-whole-archive $(LIB_A) $(GORO_A) $(BASE_A) $(LDLIBS) $(HTTPLIB_LIBS)

# Static and without sanitizers: the exec row times the kernel's exec, not a dynamic loader.
$(BENCH_EXEC): tools/bench_exec_helper.c
	$(call say,CC,$@)mkdir -p $(@D) && $(CC) -std=gnu11 -O2 $(WARN) -static -o $@ $<

$(BUILD)/share/taskscope/bench-go/%: tools/bench_go/%
	$(call say,CP,$@)mkdir -p $(@D) && cp $< $@

# The runtime tests link only the runtime: they are what the TSan and ASan builds cover.
$(RT_TESTS): $(call obj,$(RT_TEST_SRCS) $(SUPPORT_SRCS)) $(GORO_A) $(BASE_A)
	$(call say,LD,$@)mkdir -p $(@D) && $(CXX) $(LDFLAGS) -o $@ $(call obj,$(RT_TEST_SRCS) $(SUPPORT_SRCS)) $(GORO_A) $(BASE_A) $(LDLIBS)

# Fixtures are standalone programs; goro_*.cpp fixtures link the goro runtime.
$(BUILD)/fixtures/%: $(BUILD)/obj/tests/fixtures/%.o $(GORO_A) $(BASE_A)
	$(call say,LD,$@)mkdir -p $(@D) && $(CXX) $(LDFLAGS) -o $@ $< $(if $(filter goro_%,$*),$(GORO_A) $(BASE_A)) $(LDLIBS)

VARIANT_FLAGS_nodebug := -g0 -DSTACK_NODEBUG
VARIANT_FLAGS_nopie := -fno-pie -DSTACK_NOPIE
VARIANT_FLAGS_nopie_nodebug := -fno-pie -g0 -DSTACK_NODEBUG -DSTACK_NOPIE
$(BUILD)/obj/variants/stack_chain_%.o: tests/fixtures/stack_chain.c
	$(call say,CC,$@)mkdir -p $(@D) && $(CC) $(CPPFLAGS) $(CFLAGS) $(VARIANT_FLAGS_$*) -c $< -o $@
$(BUILD)/obj/variants/stack_chain_cpp_%.o: tests/fixtures/stack_chain_cpp.cpp
	$(call say,CXX,$@)mkdir -p $(@D) && $(CXX) $(CPPFLAGS) $(CXXFLAGS) $(VARIANT_FLAGS_$*) -c $< -o $@
$(FIXTURE_VARIANTS): $(BUILD)/fixtures/%: $(BUILD)/obj/variants/%.o
	$(call say,LD,$@)mkdir -p $(@D) && $(CXX) $(LDFLAGS) $(if $(findstring nopie,$*),-no-pie) -o $@ $< $(LDLIBS)

# What the Go fixtures share (a module each one replaces with ../gofix).
GO_FIXTURE_SHARED := $(wildcard tests/fixtures/gofix/*.go tests/fixtures/gofix/go.mod)
# Offline, as tests/bench/go-anchors: no module download, the build cache under build/.
GO_ENV := GOCACHE=$(abspath build/go/cache) GOPATH=$(abspath build/go/path) GOFLAGS=-mod=mod GOPROXY=off GO111MODULE=on
$(BUILD)/fixtures/go_%: tests/fixtures/go_%/main.go tests/fixtures/go_%/go.mod $(GO_FIXTURE_SHARED)
	$(call say,GO,$@)mkdir -p $(@D) && cd $(<D) && $(GO_ENV) go build -o $(abspath $@) .

$(BUILD)/fixtures/go_%_stripped: tests/fixtures/go_%/main.go tests/fixtures/go_%/go.mod $(GO_FIXTURE_SHARED)
	$(call say,GO,$@)mkdir -p $(@D) && cd $(<D) && $(GO_ENV) go build -ldflags='-s -w' -o $(abspath $@) .

$(BUILD)/examples/%: $(BUILD)/obj/runtime/examples/%.o $(GORO_A) $(BASE_A)
	$(call say,LD,$@)mkdir -p $(@D) && $(CXX) $(LDFLAGS) -o $@ $< $(GORO_A) $(BASE_A) $(LDLIBS)

$(BUILD)/bench/%: $(BUILD)/obj/tests/bench/%.o $(LIB_A) $(GORO_A) $(BASE_A)
	$(call say,LD,$@)mkdir -p $(@D) && $(CXX) $(LDFLAGS) -o $@ $< $(LIB_A) $(GORO_A) $(BASE_A) $(LDLIBS) \
	  $(if $(filter boost_%,$*),-lboost_fiber -lboost_context)

# top_cost drives top and htop in tmux sessions: it links the tests' support (Fixture, TmuxSession).
$(BUILD)/bench/top_cost: $(BUILD)/obj/tests/bench/top_cost.o $(call obj,tests/support/support.cpp tests/support/tmux.cpp) $(LIB_A) $(GORO_A) $(BASE_A)
	$(call say,LD,$@)mkdir -p $(@D) && $(CXX) $(LDFLAGS) -o $@ $(filter %.o,$^) $(LIB_A) $(GORO_A) $(BASE_A) $(LDLIBS)

# bench_rows runs taskscope bench as the tests run programs (tests/support).
$(BUILD)/bench/bench_rows: $(BUILD)/obj/tests/bench/bench_rows.o $(BUILD)/obj/tests/support/support.o $(LIB_A) $(GORO_A) $(BASE_A)
	$(call say,LD,$@)mkdir -p $(@D) && $(CXX) $(LDFLAGS) -o $@ $(filter %.o,$^) $(LIB_A) $(GORO_A) $(BASE_A) $(LDLIBS)

# stack_bench starts its fixtures and the tools it compares as the tests do (tests/support).
$(BUILD)/bench/stack_bench: $(BUILD)/obj/tests/bench/stack_bench.o $(BUILD)/obj/tests/support/support.o $(LIB_A) $(GORO_A) $(BASE_A)
	$(call say,LD,$@)mkdir -p $(@D) && $(CXX) $(LDFLAGS) -o $@ $(filter %.o,$^) $(LIB_A) $(GORO_A) $(BASE_A) $(LDLIBS)

# named_bench starts its fixture as the tests do (tests/support).
$(BUILD)/bench/named_bench: $(BUILD)/obj/tests/bench/named_bench.o $(BUILD)/obj/tests/support/support.o $(LIB_A) $(GORO_A) $(BASE_A)
	$(call say,LD,$@)mkdir -p $(@D) && $(CXX) $(LDFLAGS) -o $@ $(filter %.o,$^) $(LIB_A) $(GORO_A) $(BASE_A) $(LDLIBS)

-include $(shell find build/$(VARIANT) -name '*.d' 2>/dev/null)
