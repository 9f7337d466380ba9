# Convenience targets; the scripts do the work so a fresh machine needs no make first.
.PHONY: run test build asan tsan fuzz bench clean
run:
	scripts/quickstart.sh
test:
	scripts/test.sh
build:
	cmake -S . -B build && cmake --build build -j$$(nproc)
asan:
	cmake -S . -B build-asan -DBACKCHECK_SANITIZE=address,undefined -DCMAKE_BUILD_TYPE=Debug && \
	cmake --build build-asan -j$$(nproc) && cd build-asan && ctest --output-on-failure -LE 'slow|browser'
tsan:
	cmake -S . -B build-tsan -DBACKCHECK_SANITIZE=thread -DCMAKE_BUILD_TYPE=Debug && \
	cmake --build build-tsan -j$$(nproc) && cd build-tsan && ctest --output-on-failure -L tsan
fuzz:
	CC=clang cmake -S . -B build-fuzz -DBACKCHECK_FUZZ=ON -DBACKCHECK_TESTS=OFF -DCMAKE_C_FLAGS="-fsanitize=fuzzer-no-link,address,undefined" && cmake --build build-fuzz -j$$(nproc)
clean:
	rm -rf build build-asan build-tsan build-fuzz
