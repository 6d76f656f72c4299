/* SPDX-License-Identifier: MIT */
/*
 * A program from outside the tree: it knows only the installed headers and
 * library (found by find_package(ipctb) or by pkg-config; see run.sh). It
 * makes a pipe channel, sends one message through it, receives it back in
 * the same process and prints "ok". Any failure prints the library's error
 * text and exits 1.
 */
#include <stdio.h>
#include <string.h>

#include <ipctb/ipctb.h>

static int report(const char *what, int r)
{
	fprintf(stderr, "outside: %s: %s\n", what, ipctb_strerror(r));
	return 1;
}

int main(void)
{
	/* A bound on every wait: a broken library fails, never hangs. */
	struct ipctb_chan_opts o = {.timeout_ms = 5000};
	struct ipctb_chan *ch;
	static const char msg[] = "hello from outside";
	char buf[64];
	size_t len = 0;
	const char *what = "create";

	int r = ipctb_chan_create("pipe", &o, &ch);
	if (r < 0)
		return report(what, r);
	/* Both ends stay in this process; one short message fits the pipe. */
	what = "send";
	r = ipctb_chan_send(ch, msg, sizeof(msg), 0);
	if (r < 0)
		goto fail;
	what = "recv";
	r = ipctb_chan_recv(ch, buf, sizeof(buf), &len, 0);
	if (r < 0)
		goto fail;
	/* destroy removes what the channel made and closes it. */
	r = ipctb_chan_destroy(ch);
	if (r < 0)
		return report("destroy", r);
	if (len != sizeof(msg) || memcmp(buf, msg, len) != 0) {
		fprintf(stderr, "outside: received %zu bytes, not the %zu sent\n", len,
			sizeof(msg));
		return 1;
	}
	printf("ok\n");
	return 0;

fail:
	(void)ipctb_chan_destroy(ch);
	return report(what, r);
}
