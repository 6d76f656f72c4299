// model: mq_token
// property: mutual exclusion, no lost update, no deadlock
// expect: ok
// sites: mq_token_ stress_counter_
#include "mq_token.inc.pml"
