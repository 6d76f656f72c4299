/* SPDX-License-Identifier: MIT */
/*
 * Linked into every executable of the coverage preset only, with
 * -Wl,--wrap=_exit (cmake/IpctbFlags.cmake): most of the library's work
 * happens in forked children that leave with _exit(), which skips the
 * atexit handler through which gcov writes its counts, so without this
 * their lines would count as never run. __gcov_dump() (libgcov, gcc >= 11)
 * writes the counts of this process and marks them written, so an exit()
 * after it does not count them twice.
 */
#include <unistd.h>

void __gcov_dump(void);
void __real__exit(int status) __attribute__((noreturn));
void __wrap__exit(int status) __attribute__((noreturn));

void __wrap__exit(int status)
{
	__gcov_dump();
	__real__exit(status);
}
