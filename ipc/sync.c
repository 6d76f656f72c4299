/* SPDX-License-Identifier: MIT */
/* STUB */
#include "internal.h"
