/* SPDX-License-Identifier: MIT */
/*
 * Output of untrusted strings by the ipctb tool, and the strict spelling of
 * its long options.
 *
 * Object names come from directories anyone may write to (/dev/shm, the
 * temporary directory), so they may hold any byte but '/' and NUL: raw
 * control characters would drive the terminal that reads `ipctb leaks`,
 * and bytes that are not UTF-8 would make its JSON invalid. Both writers
 * below pass valid, printable UTF-8 through and escape everything else:
 *
 *  - JSON: '"' and '\' as \" and \\; \b \f \n \r \t; other C0 controls,
 *    DEL and the C1 controls (U+0080..U+009F) as \u00XX; a byte that is not
 *    part of a valid UTF-8 sequence as \u00XX with XX the byte's value (so
 *    a reader that wants the raw name back maps U+0080..U+00FF to bytes;
 *    a real U+0080..U+00FF in the name is written as itself, not escaped,
 *    except the C1 controls).
 *  - Text: '\' as \\; control characters (C0, DEL) and bytes that are not
 *    valid UTF-8 as \xNN; C1 controls as \u00XX.
 */
#define _GNU_SOURCE
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "tool.h"

/*
 * Length (1..4) of the valid UTF-8 sequence at s, with its code point in
 * *cp, or 0 if the byte at s starts no valid sequence (stray continuation
 * byte, overlong form, surrogate, above U+10FFFF, or cut short by the NUL).
 */
size_t ipctb_utf8_seq(const unsigned char *s, unsigned *cp)
{
	unsigned c = s[0];
	size_t n;
	unsigned lo = 0x80, hi = 0xbf; /* allowed range of the second byte */
	if (c < 0x80) {
		*cp = c;
		return 1;
	}
	if (c >= 0xc2 && c <= 0xdf) {
		n = 2;
		c &= 0x1f;
	} else if (c >= 0xe0 && c <= 0xef) {
		n = 3;
		lo = c == 0xe0 ? 0xa0 : 0x80; /* no overlong forms */
		hi = c == 0xed ? 0x9f : 0xbf; /* no surrogates */
		c &= 0x0f;
	} else if (c >= 0xf0 && c <= 0xf4) {
		n = 4;
		lo = c == 0xf0 ? 0x90 : 0x80;
		hi = c == 0xf4 ? 0x8f : 0xbf; /* at most U+10FFFF */
		c &= 0x07;
	} else {
		return 0;
	}
	for (size_t i = 1; i < n; i++) {
		unsigned b = s[i];
		if (i == 1 ? (b < lo || b > hi) : (b < 0x80 || b > 0xbf))
			return 0; /* also stops at the terminating NUL */
		c = (c << 6) | (b & 0x3f);
	}
	*cp = c;
	return n;
}

void ipctb_json_str(FILE *f, const char *str)
{
	const unsigned char *s = (const unsigned char *)(str ? str : "");
	fputc('"', f);
	while (*s) {
		unsigned cp;
		size_t n = ipctb_utf8_seq(s, &cp);
		if (n == 0) {
			fprintf(f, "\\u%04x", (unsigned)*s); /* a stray byte */
			s++;
			continue;
		}
		if (cp == '"' || cp == '\\')
			fprintf(f, "\\%c", (char)cp);
		else if (cp == '\b')
			fputs("\\b", f);
		else if (cp == '\f')
			fputs("\\f", f);
		else if (cp == '\n')
			fputs("\\n", f);
		else if (cp == '\r')
			fputs("\\r", f);
		else if (cp == '\t')
			fputs("\\t", f);
		else if (cp < 0x20 || (cp >= 0x7f && cp <= 0x9f))
			fprintf(f, "\\u%04x", cp);
		else
			fwrite(s, 1, n, f);
		s += n;
	}
	fputc('"', f);
}

void ipctb_text_str(FILE *f, const char *str)
{
	const unsigned char *s = (const unsigned char *)(str ? str : "");
	while (*s) {
		unsigned cp;
		size_t n = ipctb_utf8_seq(s, &cp);
		if (n == 0 || (n == 1 && (cp < 0x20 || cp == 0x7f))) {
			fprintf(f, "\\x%02x", (unsigned)*s);
			s++;
			continue;
		}
		if (cp == '\\')
			fputs("\\\\", f);
		else if (cp >= 0x80 && cp <= 0x9f)
			fprintf(f, "\\u%04x", cp);
		else
			fwrite(s, 1, n, f);
		s += n;
	}
}

int ipctb_tool_full_spelling(const char *cmd, int argc, char **argv, const struct option *opts)
{
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (strcmp(a, "--") == 0)
			return 0; /* the rest are operands */
		if (a[0] != '-' || a[1] != '-')
			continue; /* getopt_long reports short options and operands */
		size_t len = strcspn(a + 2, "=");
		const struct option *o = opts;
		while (o->name && !(strlen(o->name) == len && strncmp(o->name, a + 2, len) == 0))
			o++;
		if (!o->name) {
			/* getopt_long would take an abbreviation ("--cl" for
			 * --clean): a typo must not run a destructive flag. */
			fprintf(stderr, "ipctb %s: unknown option '", cmd);
			ipctb_text_str(stderr, a);
			fprintf(stderr, "' (options must be spelled out in full; see --help)\n");
			return -1;
		}
		if (o->has_arg == required_argument && a[2 + len] != '=')
			i++; /* its argument, whatever it looks like */
	}
	return 0;
}
