/* SPDX-License-Identifier: MIT */
/*
 * The ipctb command-line tool: one binary, one function per subcommand.
 * Exit codes: 0 success, 1 a check failed, 2 bad usage, 77 skipped.
 */
#ifndef IPCTB_TOOL_H
#define IPCTB_TOOL_H

#include <stdio.h>

#ifndef IPCTB_TOOL_VERSION
#define IPCTB_TOOL_VERSION "unknown"
#endif

#define IPCTB_EXIT_OK 0
#define IPCTB_EXIT_FAIL 1
#define IPCTB_EXIT_USAGE 2
#define IPCTB_EXIT_SKIP 77

/* argv[0] is the subcommand's name. */
int ipctb_cmd_list(int argc, char **argv);
int ipctb_cmd_conform(int argc, char **argv);
int ipctb_cmd_stress(int argc, char **argv);
int ipctb_cmd_replay(int argc, char **argv);
int ipctb_cmd_bench(int argc, char **argv);
int ipctb_cmd_fuzz(int argc, char **argv);

struct option;

/* Writers of untrusted strings (escape.c, which documents the escapes):
 * s as a JSON string literal, quotes included, valid UTF-8 whatever s
 * holds; s as text with control characters and bytes that are not UTF-8
 * escaped (\xNN), so that it cannot drive a terminal. */
void ipctb_json_str(FILE *f, const char *s);
void ipctb_text_str(FILE *f, const char *s);
/* Length of the valid UTF-8 sequence at s (code point in *cp), 0 if
 * none starts there. */
size_t ipctb_utf8_seq(const unsigned char *s, unsigned *cp);

/* getopt_long accepts any unambiguous prefix of a long option ("--cl" for
 * "--clean"). Call before it: reports (on stderr, as "ipctb <cmd>: ...")
 * an option that is not one of opts spelled in full and returns -1, else
 * 0. */
int ipctb_tool_full_spelling(const char *cmd, int argc, char **argv, const struct option *opts);

/* Load the plug-in of every --plugin PATH of argv (after
 * ipctb_tool_full_spelling, with the same opts, which hold "plugin"):
 * 0, or -1 after a message on stderr naming the file and the reason. */
int ipctb_tool_plugins(const char *cmd, int argc, char **argv, const struct option *opts);
/* With a plug-in loaded: enter a private IPC namespace, where the leak
 * census counts every object (plugin_opt.c); says so when it cannot. */
void ipctb_tool_isolate(const char *cmd);
#endif
