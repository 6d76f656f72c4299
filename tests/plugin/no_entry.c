/* SPDX-License-Identifier: MIT */
/* A shared object that is not a plug-in: no ipctb_plugin (test_plugin). */
int ipctb_test_not_a_plugin(void);
int ipctb_test_not_a_plugin(void)
{
	return 0;
}
