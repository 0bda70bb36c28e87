# Fails if README.md, between <!-- retry-schedule:begin --> and <!-- retry-schedule:end -->,
# is not what `challenge retry-schedule` prints (surrounding blank lines aside).
# cmake -DCHALLENGE=<path to challenge> -DREADME=<path to README.md> -P check_readme_retry_schedule.cmake
execute_process(COMMAND ${CHALLENGE} retry-schedule
    OUTPUT_VARIABLE expected RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
    message(FATAL_ERROR "`challenge retry-schedule` failed (${rc})")
endif()

set(begin_marker "<!-- retry-schedule:begin -->")
set(end_marker "<!-- retry-schedule:end -->")
file(READ "${README}" readme)
string(FIND "${readme}" "${begin_marker}" begin)
string(FIND "${readme}" "${end_marker}" end)
if(begin EQUAL -1 OR end EQUAL -1 OR end LESS begin)
    message(FATAL_ERROR "${README} lacks the markers ${begin_marker} ... ${end_marker}")
endif()
string(LENGTH "${begin_marker}" begin_length)
math(EXPR start "${begin} + ${begin_length}")
math(EXPR length "${end} - ${start}")
string(SUBSTRING "${readme}" ${start} ${length} actual)

string(STRIP "${expected}" expected)
string(STRIP "${actual}" actual)
if(NOT actual STREQUAL expected)
    message(FATAL_ERROR "README.md's retry schedule is out of date. Put this between the markers:\n"
        "${expected}\n\nREADME.md has:\n${actual}")
endif()
message(STATUS "README.md's retry schedule matches `challenge retry-schedule`")
