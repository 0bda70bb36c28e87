# Lasso before 2.8.2 has three memory-safety holes reachable from a posted SAML Response
# (CVE-2025-46404, CVE-2025-46705, CVE-2025-47151). Debian 12 fixed them in its 2.8.1-1+deb12u1
# security update without changing the upstream version, so a 2.8.1 counts only with at least
# that Debian package revision.
#
# chal_lasso_version_problem(<out> <upstream version> <Debian version or "">) sets <out> to why
# this Lasso must not be built against, or to "" when it is patched.
function(chal_lasso_version_problem out upstream debian)
    set(problem "")
    if(upstream VERSION_LESS 2.8.1)
        set(problem "Lasso ${upstream} is older than 2.8.1")
    elseif(upstream VERSION_LESS 2.8.2)
        if(debian STREQUAL "")
            set(problem "Lasso ${upstream} without a Debian package revision that says it is patched")
        else()
            execute_process(COMMAND dpkg --compare-versions "${debian}" ge "2.8.1-1+deb12u1" RESULT_VARIABLE patched)
            if(NOT patched EQUAL 0)
                set(problem "liblasso3-dev ${debian} predates the fixes in 2.8.1-1+deb12u1")
            endif()
        endif()
    endif()
    if(problem)
        set(problem "${problem}: CVE-2025-46404, CVE-2025-46705 and CVE-2025-47151 are unpatched; install Debian's liblasso3-dev from bookworm-security (2.8.1-1+deb12u1 or later) or Lasso 2.8.2+")
    endif()
    set(${out} "${problem}" PARENT_SCOPE)
endfunction()

# As a script (the unit test): cmake -DUPSTREAM=2.8.1 -DDEBIAN=2.8.1-1 -P lasso_version.cmake
# fails exactly when the given versions would be refused.
if(CMAKE_SCRIPT_MODE_FILE STREQUAL CMAKE_CURRENT_LIST_FILE)
    chal_lasso_version_problem(problem "${UPSTREAM}" "${DEBIAN}")
    if(problem)
        message(FATAL_ERROR "${problem}")
    endif()
endif()
