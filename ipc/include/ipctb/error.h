/* SPDX-License-Identifier: MIT */
/*
 * Error reporting for ipctb.
 *
 * Every function returns 0 (or a count) on success and -errno on failure,
 * never -1 with a global errno. Codes the kernel has no errno for live
 * above IPCTB_ERRBASE and are named by the X-macro table below, so that
 * ipctb_strerror() covers both spaces.
 */
#ifndef IPCTB_ERROR_H
#define IPCTB_ERROR_H

#define IPCTB_ERRBASE 4096

/* X(name, text) */
/* clang-format off */
#define IPCTB_ERRNO_MAP(X)                                                    \
	X(EBADMAGIC, "frame: bad magic")                                      \
	X(EBADVERSION, "frame: unsupported version")                          \
	X(EBADCRC, "frame: checksum mismatch")                                \
	X(EFRAMELEN, "frame: length exceeds the decoder's limit")             \
	X(EBADSEQ, "frame: sequence number out of order")                     \
	X(EBADHDR, "frame: reserved header bits set")                          \
	X(ECORRUPT, "shared memory: header or index corrupt")                 \
	X(ETRUNCATED, "shared memory: object truncated by a peer (SIGBUS)")   \
	X(ELIMIT, "a system-wide IPC limit would be exceeded")                \
	X(ENOTRANSPORT, "no transport of that name in the registry")          \
	X(ESIZE, "segment smaller than required")                            \
	X(EABI, "ops table built for another ABI version")
/* clang-format on */

enum ipctb_errno {
	IPCTB__EFIRST = IPCTB_ERRBASE,
#define IPCTB__XENUM(n, s) IPCTB_##n,
	IPCTB_ERRNO_MAP(IPCTB__XENUM)
#undef IPCTB__XENUM
	    IPCTB__ELAST
};
/* clang-format on */

/* Text for err, which may be negative or positive, errno or ipctb code. */
const char *ipctb_strerror(int err);

/*
 * Detail of an error of this thread, when the library has more to say
 * than the code (for example which /proc limit was exceeded). A failing
 * call sets it when it has something to say; only channel creation
 * clears it first, so after any other call an older detail may still be
 * there: read it right after a call that failed, and only then. Empty
 * string when nothing was ever set. Valid until the next library call.
 */
const char *ipctb_errdetail(void);

#endif
