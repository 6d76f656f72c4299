# SPDX-License-Identifier: MIT
# Every public header compiles on its own: for each ipc/include/ipctb/*.h a
# generated one-line .c (the header included twice, to check its guard) is
# compiled alone, in the project's dialect and in strict C11 with
# -Wpedantic, so a header that leans on another one's includes fails here.
# The header list is globbed on purpose: a new header is checked without
# anyone remembering to list it.

set(_hdr_dir ${PROJECT_SOURCE_DIR}/ipc/include)
set(_hdr_gen ${CMAKE_CURRENT_BINARY_DIR}/header_alone)
file(GLOB _hdrs CONFIGURE_DEPENDS ${_hdr_dir}/ipctb/*.h)
set(_hdr_flags -Wall -Wextra -Werror -fsyntax-only -I${_hdr_dir})

function(ipctb_header_test name src)
  add_test(NAME ${name}/gnu11 COMMAND ${CMAKE_C_COMPILER} -std=gnu11 ${_hdr_flags} ${src})
  add_test(NAME ${name}/c11 COMMAND ${CMAKE_C_COMPILER} -std=c11 -D_XOPEN_SOURCE=700
                                    -Wpedantic ${_hdr_flags} ${src})
  set_tests_properties(${name}/gnu11 ${name}/c11 PROPERTIES LABELS unit TIMEOUT 60)
endfunction()

foreach(_h ${_hdrs})
  get_filename_component(_stem ${_h} NAME_WE)
  file(CONFIGURE OUTPUT ${_hdr_gen}/${_stem}.c CONTENT
"#include \"ipctb/${_stem}.h\"
#include \"ipctb/${_stem}.h\"
typedef int ipctb__header_alone;
")
  ipctb_header_test(header_alone/${_stem} ${_hdr_gen}/${_stem}.c)
endforeach()

# Negative control: the same check over a header that uses size_t without
# including <stddef.h> (tests/hdr/ipctb_broken_missing_include.h) must
# fail, by the compiler's message.
file(CONFIGURE OUTPUT ${_hdr_gen}/broken_missing_include.c CONTENT
"#include \"ipctb_broken_missing_include.h\"
typedef int ipctb__header_alone;
")
add_test(NAME header_alone_negative_control
         COMMAND ${CMAKE_C_COMPILER} -std=gnu11 ${_hdr_flags} -I${CMAKE_CURRENT_SOURCE_DIR}/hdr
                 ${_hdr_gen}/broken_missing_include.c)
set_tests_properties(header_alone_negative_control PROPERTIES LABELS unit TIMEOUT 60
                     ENVIRONMENT LC_ALL=C
                     PASS_REGULAR_EXPRESSION "unknown type name [^ ]*size_t")

# The channel is opaque to users: an ops implementation that writes into
# struct ipctb_chan (as create once had to) does not compile against the
# public headers; it hands its state back through create's impl instead.
add_test(NAME chan_opaque_to_users
         COMMAND ${CMAKE_C_COMPILER} -std=gnu11 ${_hdr_flags}
                 ${CMAKE_CURRENT_SOURCE_DIR}/hdr/chan_write_by_user.c)
set_tests_properties(chan_opaque_to_users PROPERTIES LABELS unit TIMEOUT 60
                     ENVIRONMENT LC_ALL=C
                     PASS_REGULAR_EXPRESSION "(undefined|incomplete)[^\n]*type[^\n]*struct ipctb_chan")
