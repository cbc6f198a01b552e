/*
 * signals.c - interruption by SIGINT/SIGTERM.
 *
 * The front end's signal handler calls rt_interrupt(): it records the signal and calls
 * the cancel hook the active backend registered (PostgreSQL: PQcancel, which is
 * async-signal-safe). Code that loops or waits polls rt_interrupted() and gives up with
 * RT_EINTERRUPTED, so a run can roll back and release its lock before the process exits.
 */
#include <signal.h>
#include "internal.h"

static volatile sig_atomic_t pending;
static void (*volatile hook_fn)(void *);
static void *volatile hook_arg;

void rt_interrupt(int sig)
{
	void (*fn)(void *) = hook_fn;
	pending = sig;
	if (fn)
		fn(hook_arg);
}

int rt_interrupted(void)
{
	return pending;
}

void rt_interrupt_set_hook(void (*fn)(void *arg), void *arg)
{
	hook_fn = NULL;
	hook_arg = arg;
	hook_fn = fn;
}

void rt_interrupt_reset(void)
{
	pending = 0;
}

int rt_check_interrupt(void)
{
	int sig = rt_interrupted();

	if (!sig)
		return 0;
	rt_error_set(RT_EINTERRUPTED, "interrupted by %s", sig == SIGTERM ? "SIGTERM" : "SIGINT");
	rt_error_set_signal(sig);
	return RT_EINTERRUPTED;
}
