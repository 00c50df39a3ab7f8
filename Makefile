# Thin wrapper around CMake presets: `make demo` and `make check` are the
# two commands a newcomer needs.  WERROR=ON turns warnings into errors.
WERROR ?= OFF
JOBS ?= 2
CMAKE_ARGS = -DX2SIM_WERROR=$(WERROR)

.PHONY: all deps build demo check check-kernel check-asan check-tsan bench bench-fuzz install clean fuzz fuzz-afl

all: build

deps:
	@sh tools/install-deps.sh

build: deps
	cmake --preset dev $(CMAKE_ARGS) >/dev/null
	cmake --build --preset dev -j$(JOBS)

# The headline: IPIs through the slow path, the exhaustive verification of
# every shipped fastpath (exit status 1 is expected: the historical variants
# have mismatches, which is the point), the guest IPI benchmark, then
# Debian's own linux-source-6.1 through verify --kernel if it is installed.
demo: build
	./build/dev/x2sim demo --quiet
	./build/dev/x2sim verify --threads $(JOBS) --max-counterexamples 3 || test $$? -eq 1
	./build/dev/x2sim bench ipi --rounds 20000
	THREADS=$(JOBS) sh tests/kernel/demo-kernel.sh

check: build
	ctest --preset dev -j$(JOBS)

# Debian's real kernel trees (linux-source-6.1, linux-source-6.12, installed
# with apt-get when missing): verify --kernel on each (docs/kernel.md).
check-kernel: build
	THREADS=$(JOBS) sh tests/kernel/check-kernel.sh

check-asan: deps
	cmake --preset asan $(CMAKE_ARGS) >/dev/null
	cmake --build --preset asan -j$(JOBS)
	ctest --preset asan -j$(JOBS)

# ThreadSanitizer over the threaded sweep: test_verify, then a reduced
# verify of every variant on 2 threads (status 1 is expected: the historical
# variants mismatch; a race report exits 66 and fails).
TSAN_CONFIGS = x2apic-4,singlestep,mixed-modes,apicv,split-icr
check-tsan: deps
	cmake --preset tsan $(CMAKE_ARGS) >/dev/null
	cmake --build --preset tsan -j$(JOBS) --target test_verify x2sim_cli
	ctest --preset tsan
	TSAN_OPTIONS=halt_on_error=1 ./build/tsan/x2sim verify --reduced \
		--threads 2 --configs $(TSAN_CONFIGS) --max-counterexamples 1 \
		>/dev/null || test $$? -eq 1

bench: deps
	cmake --preset release $(CMAKE_ARGS) >/dev/null
	cmake --build --preset release -j$(JOBS)
	./build/release/bench_delivery
	./build/release/bench_verify
	./build/release/bench_guest
	./build/release/bench_kernel
	./build/release/bench_fuzz_icr
	./build/release/bench_guard

# Fuzzing (docs/fuzzing.md): the fuzz preset (clang, libFuzzer, ASan +
# UBSan), every target for FUZZ_SECONDS from its seed corpus; execs/s and
# coverage printed and kept in build/fuzz-libfuzzer/fuzz-bench.txt.
FUZZ_SECONDS ?= 60
fuzz: deps
	cmake --preset fuzz >/dev/null
	cmake --build --preset fuzz -j$(JOBS)
	sh tests/fuzz/run.sh $(FUZZ_SECONDS)

# Fuzzing throughput, both builds (bench/fuzz/run.sh): execs/s per target.
BENCH_FUZZ_SECONDS ?= 20
bench-fuzz: deps
	cmake --preset fuzz >/dev/null
	cmake --build --preset fuzz -j$(JOBS)
	cmake --preset fuzz-fast >/dev/null
	cmake --build --preset fuzz-fast -j$(JOBS)
	bash bench/fuzz/run.sh $(BENCH_FUZZ_SECONDS)

# AFL++ (installed here only, never by make check): one target, briefly.
AFL_TARGET ?= fuzz_icr
fuzz-afl:
	sh tests/fuzz/afl.sh $(AFL_TARGET) $(FUZZ_SECONDS)

PREFIX ?= /usr/local
install: deps
	cmake --preset release -DCMAKE_INSTALL_PREFIX=$(PREFIX) $(CMAKE_ARGS) >/dev/null
	cmake --build --preset release -j$(JOBS)
	cmake --install build/release

clean:
	rm -rf build
