/* SPDX-License-Identifier: MIT */
/* STUB */
#include "testutil.h"
Test(stub, test_shm) { cr_assert(1); }
