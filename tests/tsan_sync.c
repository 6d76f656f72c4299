/* SPDX-License-Identifier: MIT */
/* STUB */
int main(void) { return 0; }
