# cthreading: the two commands and their friends. CMake does the building;
# this file only picks build directories and flags.
#   make run      build and run the guided tour (examples/tour)
#   make test     plain, ASan+UBSan and TSan builds, each through CTest
#   make bench    side-by-side benchmarks (QUICK=1 for a short run)
#   make stress   the test suite with CT_STRESS=100 (100x longer loops)
#   make install  PREFIX=/usr/local DESTDIR=
#   make format   clang-format every source file
#   make clean

PREFIX ?= /usr/local
JOBS   ?= $(shell nproc 2>/dev/null || echo 2)
BUILD  := $(CURDIR)/build
CMAKE_COMMON := -DCMAKE_BUILD_TYPE=RelWithDebInfo
CTEST  := ctest --output-on-failure --no-tests=error -j $(JOBS)

.PHONY: all run test test-plain test-asan test-tsan bench stress install \
        format format-check clean deps deps-bench

all: $(BUILD)/plain/Makefile
	cmake --build $(BUILD)/plain -j $(JOBS)

deps:
	@sh scripts/deps.sh build

deps-bench:
	@sh scripts/deps.sh bench

$(BUILD)/plain/Makefile: | deps
	cmake -S . -B $(BUILD)/plain $(CMAKE_COMMON) -DCMAKE_C_COMPILER=gcc

$(BUILD)/asan/Makefile: | deps
	cmake -S . -B $(BUILD)/asan $(CMAKE_COMMON) -DCMAKE_C_COMPILER=clang \
	      -DCT_SANITIZE=address

$(BUILD)/tsan/Makefile: | deps
	cmake -S . -B $(BUILD)/tsan $(CMAKE_COMMON) -DCMAKE_C_COMPILER=gcc \
	      -DCT_SANITIZE=thread

run: all
	$(BUILD)/plain/examples/tour/tour

# Each build runs even if an earlier one failed; the summary has one line
# per build and says which failed, and how.
test: deps
	@rm -f $(BUILD)/summary.*; mkdir -p $(BUILD); rc=0; \
	for b in plain asan tsan; do \
	    $(MAKE) --no-print-directory test-$$b || rc=1; \
	    [ -f $(BUILD)/summary.$$b ] || \
	        echo "$$b   FAIL (configure failed)" > $(BUILD)/summary.$$b; \
	done; \
	echo; echo "==== make test summary ===="; \
	cat $(BUILD)/summary.plain $(BUILD)/summary.asan $(BUILD)/summary.tsan; \
	exit $$rc

# $(1): build name. Builds, runs CTest, writes $(BUILD)/summary.$(1).
define run_suite
	@rm -f $(BUILD)/$(1)/ctest.log; \
	 if ! cmake --build $(BUILD)/$(1) -j $(JOBS); then \
	     printf '%-6s FAIL (build failed)\n' $(1) > $(BUILD)/summary.$(1); \
	     exit 1; \
	 fi; \
	 cd $(BUILD)/$(1) && $(CTEST) 2>&1 | tee ctest.log; \
	 rc=$${PIPESTATUS[0]}; \
	 line=$$(grep -E 'tests passed|tests failed' ctest.log | tail -1); \
	 printf '%-6s %s %s\n' $(1) "$$( [ $$rc = 0 ] && echo PASS || echo FAIL)" \
	   "$${line:-(ctest did not run)}" > $(BUILD)/summary.$(1); \
	 exit $$rc
endef

SHELL := /bin/bash

test-plain: $(BUILD)/plain/Makefile
	$(call run_suite,plain)
test-asan: $(BUILD)/asan/Makefile
	$(call run_suite,asan)
test-tsan: $(BUILD)/tsan/Makefile
	$(call run_suite,tsan)

# 100x longer loops; every test's timeout is scaled to match.
stress: deps
	cmake -S . -B $(BUILD)/stress $(CMAKE_COMMON) -DCMAKE_C_COMPILER=gcc \
	      -DCT_TIMEOUT_SCALE=60
	cmake --build $(BUILD)/stress -j $(JOBS)
	cd $(BUILD)/stress && CT_STRESS=100 $(CTEST) -j 1

bench: deps-bench
	cmake -S . -B $(BUILD)/bench -DCMAKE_BUILD_TYPE=Release \
	      -DCMAKE_C_COMPILER=gcc -DCT_BUILD_TESTS=OFF -DCT_BENCH_FULL=ON
	cmake --build $(BUILD)/bench -j $(JOBS)
	QUICK=$(QUICK) sh bench/run.sh $(BUILD)/bench

install: all
	DESTDIR=$(DESTDIR) cmake --install $(BUILD)/plain --prefix $(PREFIX)

format:
	clang-format -i $$(git ls-files '*.c' '*.h' '*.cpp')

format-check: deps
	clang-format --dry-run -Werror $$(git ls-files '*.c' '*.h' '*.cpp')

clean:
	rm -rf $(BUILD)
