# cmake/check_vendored.cmake passes the vendored htmx as committed and fails a copy with one
# byte changed, a file missing, or a file added without a checksum.
cmake_minimum_required(VERSION 3.25)
set(work "${WORK_DIR}/check_vendored_test")
file(REMOVE_RECURSE "${work}")

function(copy_vendored name)
    file(MAKE_DIRECTORY "${work}/${name}")
    file(GLOB files "${VENDOR_DIR}/*")
    file(COPY ${files} DESTINATION "${work}/${name}")
endfunction()

function(expect_check name expected_result expected_text)
    execute_process(
        COMMAND "${CMAKE_COMMAND}" -DDIR=${work}/${name} -P "${CHECK_SCRIPT}"
        RESULT_VARIABLE result ERROR_VARIABLE output OUTPUT_VARIABLE output)
    if(expected_result STREQUAL "pass" AND NOT result EQUAL 0)
        message(FATAL_ERROR "${name}: expected the check to pass, it failed:\n${output}")
    endif()
    if(expected_result STREQUAL "fail")
        if(result EQUAL 0)
            message(FATAL_ERROR "${name}: expected the check to fail, it passed")
        endif()
        if(NOT output MATCHES "${expected_text}")
            message(FATAL_ERROR "${name}: expected the failure to say '${expected_text}', it said:\n${output}")
        endif()
    endif()
endfunction()

copy_vendored(unchanged)
expect_check(unchanged pass "")

copy_vendored(changed)
file(APPEND "${work}/changed/htmx.min.js" "\n")
expect_check(changed fail "htmx.min.js: SHA-256 is [0-9a-f]+, SHA256SUMS pins")

copy_vendored(missing)
file(REMOVE "${work}/missing/hx-csp.js")
expect_check(missing fail "hx-csp.js: listed but missing")

copy_vendored(added)
file(WRITE "${work}/added/extra.js" "alert(1)\n")
expect_check(added fail "extra.js: not listed in SHA256SUMS")

file(REMOVE_RECURSE "${work}")
message(STATUS "check_vendored passes the committed files and refuses changed, missing and unlisted ones")
