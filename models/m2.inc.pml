/*
 * Shared by the models of the pthread and kernel schemes and of the ring
 * (not a check: no model line). The site printer and the participant id of
 * the models contract (models/README.md): every block of a process starts
 * with SITE(name), name being the C yield or wait site it passes.
 */
#ifndef SITE
#define SITE(s) printf("@ %d %e\n", ID, s)
#endif
#ifndef ID
#define ID (_pid - 1)
#endif
#ifndef N
#define N 2
#endif
#ifndef ITERS
#define ITERS 2
#endif

/* A death is not a site: the trail converter skips these lines. */
#define SAY_KILLED printf("# %d killed\n", ID)

/* Start the N participants in id order (ID = _pid - 1), then wait for
 * every one to end. A participant blocked for good leaves init blocked
 * too: SPIN reports an invalid end state (a deadlock). */
#define RUN_ALL(P)                                                             \
	atomic {                                                               \
		byte i_ = 0;                                                   \
		do                                                             \
		:: i_ < N -> run P(); i_++                                     \
		:: else -> break                                               \
		od                                                             \
	};                                                                     \
	(_nr_pr == 1)

/*
 * Scenario "counter" (stress/scn_counter.c) around an exclusive lock:
 * after the lock, v = counter (in the lock's last block), then
 *   stress_counter_loaded: counter = v + 1;
 *   stress_counter_stored: the unlock's code up to its first point (PRE).
 * ndone counts finished operations; a participant killed inside one may
 * have stored its increment or not (ndead bounds those), as the
 * scenario's check allows. incs is the number of holders.
 */
mtype = { stress_counter_loaded, stress_counter_stored };
byte counter, ndone, incs, ndead;

#define CS_ENTER                                                               \
	incs++;                                                                \
	assert(incs == 1)
#define COUNTER_SECTION(PRE)                                                   \
	atomic { SITE(stress_counter_loaded); counter = v + 1 };               \
	atomic { SITE(stress_counter_stored); PRE }
#define COUNTER_CHECK assert(counter >= ndone && counter <= ndone + ndead)
