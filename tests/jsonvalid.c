/* SPDX-License-Identifier: MIT */
/*
 * The strict JSON check of jsoncheck.h (json_valid), in a file of its
 * own without Criterion, so that plain checkers (bench/bench_check.c)
 * link it too.
 */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "jsoncheck.h"

struct js {
	const unsigned char *s;
	size_t n, i;
	int depth;
	char *why;
	size_t whylen;
};

static bool bad(struct js *j, const char *what)
{
	snprintf(j->why, j->whylen, "%s at byte %zu", what, j->i);
	return false;
}

static void ws(struct js *j)
{
	while (j->i < j->n && strchr(" \t\r\n", j->s[j->i]) && j->s[j->i])
		j->i++;
}

/* One UTF-8 sequence (strict: no overlong form, surrogate or value above
 * U+10FFFF). */
static bool utf8(struct js *j)
{
	unsigned c = j->s[j->i];
	size_t need;
	unsigned lo = 0x80, hi = 0xbf;
	if (c < 0x80)
		need = 0;
	else if (c >= 0xc2 && c <= 0xdf)
		need = 1;
	else if (c >= 0xe0 && c <= 0xef) {
		need = 2;
		lo = c == 0xe0 ? 0xa0 : 0x80;
		hi = c == 0xed ? 0x9f : 0xbf;
	} else if (c >= 0xf0 && c <= 0xf4) {
		need = 3;
		lo = c == 0xf0 ? 0x90 : 0x80;
		hi = c == 0xf4 ? 0x8f : 0xbf;
	} else
		return bad(j, "invalid UTF-8 lead byte");
	if (j->i + need >= j->n && need)
		return bad(j, "UTF-8 sequence cut short");
	for (size_t k = 1; k <= need; k++) {
		unsigned b = j->s[j->i + k];
		if (k == 1 ? (b < lo || b > hi) : (b < 0x80 || b > 0xbf))
			return bad(j, "invalid UTF-8 continuation");
	}
	j->i += need + 1;
	return true;
}

static bool string(struct js *j)
{
	j->i++; /* the opening quote */
	while (j->i < j->n) {
		unsigned char c = j->s[j->i];
		if (c == '"') {
			j->i++;
			return true;
		}
		if (c < 0x20)
			return bad(j, "raw control character in string");
		if (c == '\\') {
			if (++j->i >= j->n)
				break;
			c = j->s[j->i];
			if (c == 'u') {
				for (int k = 1; k <= 4; k++)
					if (j->i + k >= j->n ||
					    !strchr("0123456789abcdefABCDEF", j->s[j->i + k]) ||
					    !j->s[j->i + k])
						return bad(j, "bad \\u escape");
				j->i += 5;
			} else if (c && strchr("\"\\/bfnrt", c)) {
				j->i++;
			} else {
				return bad(j, "bad escape");
			}
			continue;
		}
		if (!utf8(j))
			return false;
	}
	return bad(j, "unterminated string");
}

static bool number(struct js *j)
{
	size_t st = j->i;
	if (j->s[j->i] == '-')
		j->i++;
	if (j->i < j->n && j->s[j->i] == '0')
		j->i++;
	else if (j->i < j->n && j->s[j->i] >= '1' && j->s[j->i] <= '9')
		while (j->i < j->n && j->s[j->i] >= '0' && j->s[j->i] <= '9')
			j->i++;
	else
		return bad(j, "bad number");
	if (j->i < j->n && j->s[j->i] == '.') {
		size_t d = ++j->i;
		while (j->i < j->n && j->s[j->i] >= '0' && j->s[j->i] <= '9')
			j->i++;
		if (j->i == d)
			return bad(j, "bad fraction");
	}
	if (j->i < j->n && (j->s[j->i] == 'e' || j->s[j->i] == 'E')) {
		j->i++;
		if (j->i < j->n && (j->s[j->i] == '+' || j->s[j->i] == '-'))
			j->i++;
		size_t d = j->i;
		while (j->i < j->n && j->s[j->i] >= '0' && j->s[j->i] <= '9')
			j->i++;
		if (j->i == d)
			return bad(j, "bad exponent");
	}
	return j->i > st;
}

static bool value(struct js *j);

/* An object (close '}') or array (close ']') after its opening byte. */
static bool members(struct js *j, char close)
{
	if (++j->depth > 64)
		return bad(j, "nested too deeply");
	j->i++;
	ws(j);
	if (j->i < j->n && j->s[j->i] == (unsigned char)close) {
		j->i++;
		j->depth--;
		return true;
	}
	for (;;) {
		if (close == '}') {
			ws(j);
			if (j->i >= j->n || j->s[j->i] != '"' || !string(j))
				return bad(j, "object key expected");
			ws(j);
			if (j->i >= j->n || j->s[j->i] != ':')
				return bad(j, "':' expected");
			j->i++;
		}
		if (!value(j))
			return false;
		ws(j);
		if (j->i < j->n && j->s[j->i] == ',') {
			j->i++;
			continue;
		}
		if (j->i < j->n && j->s[j->i] == (unsigned char)close) {
			j->i++;
			j->depth--;
			return true;
		}
		return bad(j, "',' or end of container expected");
	}
}

static bool value(struct js *j)
{
	ws(j);
	if (j->i >= j->n)
		return bad(j, "value expected");
	unsigned char c = j->s[j->i];
	if (c == '{')
		return members(j, '}');
	if (c == '[')
		return members(j, ']');
	if (c == '"')
		return string(j);
	static const char *const lit[] = {"true", "false", "null"};
	for (int k = 0; k < 3; k++) {
		size_t l = strlen(lit[k]);
		if (j->n - j->i >= l && memcmp(j->s + j->i, lit[k], l) == 0) {
			j->i += l;
			return true;
		}
	}
	return number(j);
}

bool json_valid(const char *s, size_t n, char *why, size_t whylen)
{
	struct js j = {(const unsigned char *)s, n, 0, 0, why, whylen};
	if (why && whylen)
		why[0] = '\0';
	if (!value(&j))
		return false;
	ws(&j);
	return j.i == n ? true : bad(&j, "trailing bytes");
}
