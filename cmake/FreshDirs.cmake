# Empties the directories given after `--`: removes each, then creates each.
# Used by the `fresh_dirs` ctest fixture so every ctest run starts from clean
# scratch, install-prefix and consumer-build directories.
#
#   cmake -P FreshDirs.cmake -- <dir>...
cmake_minimum_required(VERSION 3.25)

set(_dirs "")
set(_seen_sep FALSE)
math(EXPR _last "${CMAKE_ARGC} - 1")
foreach(_i RANGE ${_last})
  if(_seen_sep)
    list(APPEND _dirs "${CMAKE_ARGV${_i}}")
  elseif(CMAKE_ARGV${_i} STREQUAL "--")
    set(_seen_sep TRUE)
  endif()
endforeach()
if(NOT _dirs)
  message(FATAL_ERROR "usage: cmake -P FreshDirs.cmake -- <dir>...")
endif()

# All removals first: the list may hold a directory and others inside it.
foreach(_d IN LISTS _dirs)
  file(REMOVE_RECURSE "${_d}")
endforeach()
file(MAKE_DIRECTORY ${_dirs})
