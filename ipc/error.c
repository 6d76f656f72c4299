/* SPDX-License-Identifier: MIT */
/* ipctb_strerror: one table for the project's own codes, strerror below. */
#include <string.h>

#include "ipctb/error.h"

const char *ipctb_strerror(int err)
{
	/* clang-format off */
	static const char *const texts[] = {
#define IPCTB__XTEXT(n, s) s,
		IPCTB_ERRNO_MAP(IPCTB__XTEXT)
#undef IPCTB__XTEXT
	};
	/* clang-format on */
	if (err < 0)
		err = -err;
	if (err == 0)
		return "success";
	if (err > IPCTB__EFIRST && err < IPCTB__ELAST)
		return texts[err - IPCTB__EFIRST - 1];
	if (err >= IPCTB_ERRBASE)
		return "unknown ipctb error";
	return strerror(err);
}
