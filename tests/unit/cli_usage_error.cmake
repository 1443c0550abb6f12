# Runs `ioconform ARGS` and checks that it is refused as a usage error: exit
# status 2, and on stderr exactly the line ERROR followed by one line starting
# "usage: ioconform COMMAND " (that command's usage, not the whole list).
# A script because a plain CTest test checks either the output
# (PASS_REGULAR_EXPRESSION, which then ignores the exit status) or failure
# (WILL_FAIL, any non-zero status), not both.
#
#   cmake -DIOCONFORM=EXE "-DARGS=run --no-such-flag" -DCOMMAND=run
#         "-DERROR=ioconform run: unknown option --no-such-flag" -P cli_usage_error.cmake
foreach(var IOCONFORM ARGS COMMAND ERROR)
  if(NOT DEFINED ${var})
    message(FATAL_ERROR "cli_usage_error.cmake: -D${var}=... is required")
  endif()
endforeach()

separate_arguments(args UNIX_COMMAND "${ARGS}")
# The timeout bounds a regression: a binary that ignored the mistake would go on
# to do the command's work.
execute_process(COMMAND "${IOCONFORM}" ${args}
                RESULT_VARIABLE status OUTPUT_VARIABLE out ERROR_VARIABLE err TIMEOUT 60)

set(expected_usage "usage: ioconform ${COMMAND} ")
string(FIND "${err}" "\n" first_newline)
set(ok TRUE)
if(NOT status STREQUAL "2")
  set(ok FALSE)
elseif(first_newline EQUAL -1)
  set(ok FALSE)
else()
  string(SUBSTRING "${err}" 0 ${first_newline} first_line)
  math(EXPR rest_start "${first_newline} + 1")
  string(SUBSTRING "${err}" ${rest_start} -1 rest)
  string(FIND "${rest}" "${expected_usage}" usage_at)
  string(FIND "${rest}" "\n" rest_newline)
  string(LENGTH "${rest}" rest_length)
  math(EXPR rest_last "${rest_length} - 1")
  # The error line exactly; then the usage line, the last line on stderr.
  if(NOT first_line STREQUAL ERROR OR NOT usage_at EQUAL 0 OR NOT rest_newline EQUAL rest_last)
    set(ok FALSE)
  endif()
endif()

if(NOT ok)
  message(FATAL_ERROR "ioconform ${ARGS}\n"
                      "expected: exit status 2, stderr \"${ERROR}\" then one line \"${expected_usage}...\"\n"
                      "got: exit status ${status}\n--- stderr\n${err}--- stdout\n${out}")
endif()
message(STATUS "ioconform ${ARGS}: exit status 2, ${first_line}")
