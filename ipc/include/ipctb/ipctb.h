/* SPDX-License-Identifier: MIT */
/* Umbrella header for the ipctb library. */
#ifndef IPCTB_IPCTB_H
#define IPCTB_IPCTB_H

#include "ipctb/common.h"
#include "ipctb/error.h"
#include "ipctb/obj.h"
#include "ipctb/chan.h"
#include "ipctb/frame.h"
#include "ipctb/shm.h"
#include "ipctb/sync.h"
#include "ipctb/shim.h"
#include "ipctb/limits.h"
#include "ipctb/registry.h"
#include "ipctb/lock.h"
#include "ipctb/decoder.h"
#include "ipctb/yield.h"
#include "ipctb/wait.h"

#endif
