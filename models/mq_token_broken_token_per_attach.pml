// model: mq_token_broken_token_per_attach
// property: mutual exclusion (refuted; invented twin, the library has none: every attaching process sends a token)
// expect: error
// sites: mq_token_ stress_counter_
#define TOKENS N
#include "mq_token.inc.pml"
