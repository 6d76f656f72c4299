/* SPDX-License-Identifier: MIT */
/*
 * ipctb_strerror: one table for the project's own codes, strerror below;
 * and the thread's error detail behind ipctb_errdetail().
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "core/core.h"
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

static _Thread_local char detail[512];

int ipctb_set_errdetail(int err, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(detail, sizeof(detail), fmt, ap);
	va_end(ap);
	return err;
}

void ipctb__detail_clear(void)
{
	detail[0] = '\0';
}

const char *ipctb_errdetail(void)
{
	return detail;
}
