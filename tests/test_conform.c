/* SPDX-License-Identifier: MIT */
/* STUB */
#include "testutil.h"
Test(stub, test_conform) { cr_assert(1); }
