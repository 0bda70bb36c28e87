# Project-wide build rules: warnings, sanitizers and the test helper every library uses.

add_library(chal_warnings INTERFACE)
target_compile_options(chal_warnings INTERFACE
    -Wall -Wextra -Wpedantic -Wconversion -Wshadow -Wnon-virtual-dtor -Wold-style-cast
    -Wcast-align -Woverloaded-virtual -Wno-sign-conversion
    # g++ 12 flags designated initializers that leave defaulted members out; that is the point of them.
    -Wno-missing-field-initializers
    $<$<BOOL:${CHAL_WERROR}>:-Werror>)
# g++ 12 at -O2 reports a memcpy of ~2^63 bytes "at offset -3" inside libstdc++'s std::string
# for short literals and `"x" + s` (GCC PR 105329, and PR 105651 for operator+; fixed in GCC 13):
# false positives in every Release build, never seen in Debug, where the warning stays on.
if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU" AND CMAKE_CXX_COMPILER_VERSION VERSION_GREATER_EQUAL 12
   AND CMAKE_CXX_COMPILER_VERSION VERSION_LESS 13)
    target_compile_options(chal_warnings INTERFACE $<$<CONFIG:Release,RelWithDebInfo,MinSizeRel>:-Wno-restrict>)
endif()

if(CHAL_SANITIZE)
    add_compile_options(-fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer)
    add_link_options(-fsanitize=address,undefined)
endif()

# The fuzz build (clang): every object carries libFuzzer's coverage and ASan + UBSan; the fuzz
# targets add libFuzzer itself (fuzz/CMakeLists.txt). -O1 and line tables as OSS-Fuzz builds;
# asserts stay on. UBSan's `function` check is left out: with it clang 14 cannot compile our
# coroutines ("Cannot represent a difference across sections"); it only checks calls through
# C function pointers of the wrong type.
if(CHAL_FUZZ)
    add_compile_options(-O1 -gline-tables-only -fno-omit-frame-pointer
        -fsanitize=fuzzer-no-link,address,undefined -fno-sanitize=function -fno-sanitize-recover=undefined)
    add_link_options(-fsanitize=address,undefined)
endif()

# chal_add_tests(<library> UNIT a_test.cpp ... INTEGRATION b_itest.cpp ...)
# One gtest executable per kind; unit tests are labelled `unit`, integration tests
# `integration` and serialised on the shared PostgreSQL with RESOURCE_LOCK.
function(chal_add_tests lib)
    cmake_parse_arguments(ARG "" "" "UNIT;INTEGRATION;LIBS" ${ARGN})
    if(NOT CHAL_BUILD_TESTS)
        return()
    endif()
    if(ARG_UNIT)
        add_executable(${lib}_unit_tests ${ARG_UNIT})
        target_link_libraries(${lib}_unit_tests PRIVATE ${lib} ${ARG_LIBS} chal_warnings GTest::gtest_main GTest::gmock)
        gtest_discover_tests(${lib}_unit_tests PROPERTIES LABELS unit DISCOVERY_TIMEOUT 60)
    endif()
    if(ARG_INTEGRATION)
        add_executable(${lib}_integration_tests ${ARG_INTEGRATION})
        target_link_libraries(${lib}_integration_tests PRIVATE ${lib} ${ARG_LIBS} chal_testing chal_warnings GTest::gtest_main)
        gtest_discover_tests(${lib}_integration_tests
            PROPERTIES LABELS integration RESOURCE_LOCK postgres TIMEOUT 120 DISCOVERY_TIMEOUT 60)
    endif()
endfunction()

# The Node.js test tooling lives in tests/ (package.json). A test using it starts with this shell
# snippet: skipped (exit 77) when tests/node_modules is missing outside CI, failed in CI;
# scripts/test installs it with `npm ci`.
set(chal_node_skip_unless_installed
    "if [ ! -d node_modules ]; then if [ -n \"$CI\" ]; then echo 'FAILED: tests/node_modules is missing in CI'; exit 1; fi; echo 'SKIPPED: tests/node_modules is missing; run npm ci in tests/ (scripts/test does)'; exit 77; fi")
