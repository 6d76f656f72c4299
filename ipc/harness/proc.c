/* SPDX-License-Identifier: MIT */
/* STUB */
#include "ipctb/conform.h"
