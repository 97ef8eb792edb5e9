# Run at every build (cmake -P): writes version.hpp with the current git commit, touching the file
# only when the text changes, so a new commit rebuilds the few files that include it.
execute_process(COMMAND git rev-parse --short=12 HEAD WORKING_DIRECTORY ${SRC}
                OUTPUT_VARIABLE commit OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET)
execute_process(COMMAND git status --porcelain --untracked-files=no WORKING_DIRECTORY ${SRC}
                OUTPUT_VARIABLE dirty OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET)
if(NOT commit)
  set(commit "unknown")
elseif(dirty)
  set(commit "${commit}-dirty")
endif()
set(text "#pragma once\n#define HEDGELAB_VERSION \"${VERSION}\"\n#define HEDGELAB_GIT_COMMIT \"${commit}\"\n")
if(EXISTS ${DST})
  file(READ ${DST} old)
endif()
if(NOT "${old}" STREQUAL "${text}")
  file(WRITE ${DST} "${text}")
endif()
