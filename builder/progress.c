/* The progress line of long steps (pack, extract, hash): size, rate and time left. */
#include "cli.h"

#include <stdio.h>
#include <time.h>

#define REDRAW 0.2 /* seconds between redraws */

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int cli_progress_wanted(const struct cli *c)
{
	return (c->tty || c->progress) && !c->quiet && !c->json;
}

void cli_meter_start(struct cli_meter *m, const char *label)
{
	m->label = label;
	m->start = now();
	m->last = 0;
	m->shown = 0;
}

void cli_progress(void *ctx, uint64_t done, uint64_t total)
{
	struct cli_meter *m = ctx;
	double t = now(), elapsed = t - m->start, rate;
	char d[32], tot[32], r[32], eta[32];

	if (done < total && t - m->last < REDRAW)
		return;
	m->last = t;
	m->shown = 1;
	rate = elapsed > 0.05 ? (double)done / elapsed : 0;
	cli_human_size(done, d, sizeof(d));
	cli_human_size(total, tot, sizeof(tot));
	cli_human_size((uint64_t)rate, r, sizeof(r));
	if (rate > 0 && done < total) {
		unsigned long left = (unsigned long)((double)(total - done) / rate + 0.5);

		snprintf(eta, sizeof(eta), "ETA %lu:%02lu", left / 60, left % 60);
	} else {
		snprintf(eta, sizeof(eta), "%s", done >= total ? "done" : "ETA --:--");
	}
	fprintf(stderr, "\r  %-28.28s %10s / %-10s %3d%%  %10s/s  %s\033[K", m->label, d, tot,
		total ? (int)(done * 100 / total) : 100, r, eta);
	fflush(stderr);
}

void cli_meter_end(struct cli_meter *m)
{
	if (m->shown)
		fputs("\r\033[K", stderr);
	m->shown = 0;
}
