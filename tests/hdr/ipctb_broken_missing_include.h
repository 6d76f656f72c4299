/* SPDX-License-Identifier: MIT */
/*
 * A deliberately broken header, for the negative control of the
 * header_alone tests (tests/headers.cmake): it uses size_t without
 * including <stddef.h>, so compiling it alone must fail.
 */
#ifndef IPCTB_BROKEN_MISSING_INCLUDE_H
#define IPCTB_BROKEN_MISSING_INCLUDE_H

size_t ipctb_broken_len(const char *s);

#endif
