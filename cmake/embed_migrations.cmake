# Turns the numbered .sql files of one SQL dialect into a C array
# { number, name, sql } named ms_migrations_DIALECT.
set(body "/* Generated from the numbered files in src/store/migrations/${DIALECT}; do not edit. */\n#include \"store/migrations.h\"\n\nconst struct migration ms_migrations_${DIALECT}[] = {\n")
string(REPLACE "," ";" FILES "${FILES}") # joined by CMakeLists.txt
foreach(f ${FILES})
  get_filename_component(name ${f} NAME)
  string(REGEX MATCH "^[0-9]+" num ${name})
  math(EXPR num "${num} + 0")
  file(READ ${f} sql)
  string(REPLACE "\\" "\\\\" sql "${sql}")
  string(REPLACE "\"" "\\\"" sql "${sql}")
  string(REPLACE "\n" "\\n\"\n    \"" sql "${sql}")
  string(APPEND body "  {${num}, \"${name}\",\n    \"${sql}\"},\n")
endforeach()
string(APPEND body "  {0, 0, 0}\n};\n")
file(WRITE ${OUT} "${body}")
