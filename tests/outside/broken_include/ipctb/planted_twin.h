/* SPDX-License-Identifier: MIT */
/*
 * Negative control of the installed-header check (check_headers.sh, ctest
 * install_headers_negative_control): a header as a careless change would
 * install it, declaring an internal function that libipctb.so keeps local.
 * The check must report it. Never installed, never included by the tree.
 */
#ifndef IPCTB_PLANTED_TWIN_H
#define IPCTB_PLANTED_TWIN_H

int ipctb__planted_twin(void);

#endif
