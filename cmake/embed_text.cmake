# Writes a .cpp defining `std::string_view NAMESPACE::FUNCTION() noexcept` that returns the
# contents of INPUT, so documents ship inside the binary.
file(READ "${INPUT}" content)
file(WRITE "${OUTPUT}.tmp" "// Generated from ${INPUT_NAME} by cmake/embed_text.cmake; do not edit.\n#include <string_view>\n\nnamespace ${NAMESPACE} {\n\nstd::string_view ${FUNCTION}() noexcept {\n    static constexpr char text[] = R\"chal_embedded(${content})chal_embedded\";\n    return {text, sizeof text - 1};\n}\n\n}  // namespace ${NAMESPACE}\n")
file(COPY_FILE "${OUTPUT}.tmp" "${OUTPUT}" ONLY_IF_DIFFERENT)
