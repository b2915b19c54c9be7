# Thin wrapper over CMake + ctest. The two commands of the quick start:
#   make demo   installs what is missing, builds, syncs two sandbox shops
#   make test   installs what is missing, builds, runs every test
BUILD      ?= build
BUILD_SAN  ?= build-san
JOBS       ?= $(shell nproc 2>/dev/null || echo 2)
CMAKE_ARGS ?=
BUILD_FUZZ ?= build-fuzz
FUZZ_SECONDS ?= 60
FUZZ_CC    ?= clang
FUZZ_TARGETS ?= link retry_after call_limit shopify_page amazon_page dates cli rest_spec rest_page

.PHONY: all build deps test test-unit test-e2e test-san soak demo bench format check-format clean fuzz

all: build

deps:
	@./scripts/deps.sh

$(BUILD)/CMakeCache.txt:
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo $(CMAKE_ARGS)

build: deps $(BUILD)/CMakeCache.txt
	cmake --build $(BUILD) -j $(JOBS)

# Every test: unit, fuzz-corpus replay and end-to-end on the normal build,
# then all of them again under AddressSanitizer + UBSan (but the valgrind run,
# which cannot host a sanitized binary, and the benchmark run).
test: build
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS)
	$(MAKE) --no-print-directory test-san

test-unit: build
	cd $(BUILD) && ctest --output-on-failure -L unit -j $(JOBS)

test-e2e: build
	cd $(BUILD) && ctest --output-on-failure -L e2e

test-san: deps
	cmake -S . -B $(BUILD_SAN) -DCMAKE_BUILD_TYPE=Debug -DMS_SANITIZE=ON $(CMAKE_ARGS) >/dev/null
	cmake --build $(BUILD_SAN) -j $(JOBS)
	cd $(BUILD_SAN) && ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
	  ctest --output-on-failure -j $(JOBS) -E 't090|t110'

# The long version of the crash loop: 1,000 SIGKILLs instead of 50.
soak: build
	MS_BIN=$(CURDIR)/$(BUILD)/marketsync MS_SRC=$(CURDIR) MS_TEST_TMP=$(CURDIR)/$(BUILD)/tmp \
	  MS_KILLS=$${MS_KILLS:-1000} bash tests/e2e/t080-crash-loop.sh

demo: build
	./scripts/demo.sh $(BUILD)/marketsync

bench: build
	./bench/run.sh $(BUILD)/marketsync

format:
	clang-format -i $$(git ls-files 'src/*.c' 'src/*.h' 'tests/*.c' 'bench/*.c')

check-format:
	clang-format --dry-run -Werror $$(git ls-files 'src/*.c' 'src/*.h' 'tests/*.c' 'bench/*.c')

clean:
	rm -rf $(BUILD) $(BUILD_SAN) $(BUILD_FUZZ)

# Time-boxed fuzzing with libFuzzer (clang, ASan + UBSan), in its own build
# directory: each target of FUZZ_TARGETS runs FUZZ_SECONDS seconds, starting
# from the seed corpus in tests/fuzz/corpus/NAME/. New inputs go to
# $(BUILD_FUZZ)/corpus/NAME/ and crashes to $(BUILD_FUZZ)/findings/NAME/,
# never into the tree. A crash stops the run and prints how to reproduce it.
#   make fuzz FUZZ_SECONDS=300 FUZZ_TARGETS="link shopify_page"
fuzz: deps
	@command -v $(FUZZ_CC) >/dev/null || { echo "make fuzz needs clang with libFuzzer:" \
	  "sudo apt-get install -y clang libclang-rt-14-dev (or set FUZZ_CC)" >&2; exit 1; }
	cmake -S . -B $(BUILD_FUZZ) -DCMAKE_C_COMPILER=$(FUZZ_CC) -DCMAKE_BUILD_TYPE=RelWithDebInfo \
	  -DMS_FUZZ=ON -DMS_WERROR=OFF $(CMAKE_ARGS) >/dev/null
	cmake --build $(BUILD_FUZZ) -j $(JOBS) --target fuzz_all
	@for t in $(FUZZ_TARGETS); do \
	  mkdir -p $(BUILD_FUZZ)/corpus/$$t $(BUILD_FUZZ)/findings/$$t || exit 1; \
	  echo "== fuzz_$$t: $(FUZZ_SECONDS) s"; \
	  $(BUILD_FUZZ)/fuzz_$$t -max_total_time=$(FUZZ_SECONDS) -timeout=25 -print_final_stats=1 \
	    -artifact_prefix=$(BUILD_FUZZ)/findings/$$t/ \
	    $(BUILD_FUZZ)/corpus/$$t tests/fuzz/corpus/$$t 2>$(BUILD_FUZZ)/findings/$$t/log.txt; \
	  rc=$$?; grep -E '^(stat::|Done|==[0-9]+==ERROR|SUMMARY)' $(BUILD_FUZZ)/findings/$$t/log.txt; \
	  if [ $$rc -ne 0 ]; then \
	    tail -n 60 $(BUILD_FUZZ)/findings/$$t/log.txt; \
	    echo "fuzz_$$t found a crash: see $(BUILD_FUZZ)/findings/$$t/ (log.txt); replay it with"; \
	    echo "  $(BUILD_FUZZ)/fuzz_$$t $(BUILD_FUZZ)/findings/$$t/crash-*"; exit 1; \
	  fi; \
	done
