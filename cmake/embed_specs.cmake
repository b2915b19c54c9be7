# Turns the rest connector's spec files (src/connectors/specs/NAME.json) into
# a C array { name, text, length } named rest_embedded_specs, so that the
# built-in specs ship inside the binary.
set(body "/* Generated from the JSON files in src/connectors/specs; do not edit. */\n#include \"connectors/rest.h\"\n\n")
set(table "const struct rest_embedded rest_embedded_specs[] = {\n")
string(REPLACE "," ";" FILES "${FILES}") # joined by CMakeLists.txt
set(i 0)
foreach(f ${FILES})
  get_filename_component(name ${f} NAME_WE)
  file(READ ${f} text)
  string(REPLACE "\\" "\\\\" text "${text}")
  string(REPLACE "\"" "\\\"" text "${text}")
  string(REPLACE "\n" "\\n\"\n    \"" text "${text}")
  string(APPEND body "static const char spec_${i}[] =\n    \"${text}\";\n\n")
  string(APPEND table "    {\"${name}\", spec_${i}, sizeof(spec_${i}) - 1},\n")
  math(EXPR i "${i} + 1")
endforeach()
string(APPEND table "    {0, 0, 0},\n};\n")
file(WRITE ${OUT} "${body}${table}")
