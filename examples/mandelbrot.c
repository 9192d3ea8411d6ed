/*
 * mandelbrot - draw the Mandelbrot set into a greyscale PNG, five ways.
 *
 * A C port of github.com/campoy/mandelbrot, the program of the
 * justforfunc episodes on `go tool trace`.  Every mode computes the same
 * pixels with the same function and writes the same bytes; only the
 * concurrency differs, so the traces are what tells them apart.
 *
 *   seq      one thread computes every pixel.  The trace: a single busy
 *            thread, then the write(2)s of the PNG.
 *   px       one work item per pixel, handed one at a time over an
 *            unbuffered channel (mutex + condvars, rendezvous) to n workers.
 *            Go starts a goroutine per pixel; a thread per pixel would be
 *            a million pthread_create()s, so this keeps what the Go trace
 *            teaches: a unit of concurrency per pixel costs far more than
 *            the pixel.  The trace: the main thread and the workers blocked
 *            on the channel's condvars nearly all the time, a wake-up arrow
 *            per pixel, and a run longer than seq.
 *   row      one thread per row (1024 by default), all created, then all
 *            joined.  The trace: a staircase of short threads, at most
 *            #CPUs of them running, the rest waiting for a CPU.
 *   workers  n threads take row numbers from an unbuffered channel.  The
 *            trace: n long threads busy computing, short waits on the
 *            condvar between rows, the main thread blocked in every send.
 *   wbuf     as workers, but the channel holds every row (capacity height):
 *            the main thread sends all rows without blocking and goes
 *            straight to join; the workers drain the buffer.
 *
 * Usage: mandelbrot [-o FILE] [-w WIDTH] [-h HEIGHT] [-m MODE] [-n WORKERS]
 *                   [-i ITERATIONS] [-v]
 * Prints nothing on success; -v prints one summary line to stderr.
 */
#include <errno.h>
#include <png.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common.h"

#define PROG "mandelbrot"

struct image {
	int width, height, iterations;
	uint8_t *pix;			/* row-major, one grey byte per pixel */
};

static void die(const char *what, const char *arg, int err)
{
	fprintf(stderr, PROG ": %s %s: %s\n", what, arg, strerror(err));
	exit(1);
}

/* floor(sqrt(v)) for v < 65536, bit by bit: integers only */
static unsigned isqrt16(unsigned v)
{
	unsigned r = 0;

	for (unsigned bit = 1 << 7; bit; bit >>= 1)
		if ((r | bit) * (r | bit) <= v)
			r |= bit;
	return r;
}

/*
 * The grey level of pixel (px, py): black inside the set, outside brighter
 * the longer the point took to escape.  Not inlined, so every mode runs the
 * very same instructions and gets the very same bytes.
 */
static __attribute__((noinline)) uint8_t pixel(const struct image *im,
					       int px, int py)
{
	double cx = 3.0 * px / im->width - 2.0;
	double cy = 2.0 * py / im->height - 1.0;
	double x = 0, y = 0, xx = 0, yy = 0;
	int n;

	for (n = 0; n < im->iterations && xx + yy <= 4.0; n++) {
		y = 2 * x * y + cy;
		x = xx - yy + cx;
		xx = x * x;
		yy = y * y;
	}
	if (n == im->iterations)
		return 0;
	return isqrt16((unsigned)((uint64_t)n * 255 * 255 / im->iterations));
}

static void draw_row(struct image *im, int y)
{
	uint8_t *row = im->pix + (size_t)y * im->width;

	for (int x = 0; x < im->width; x++)
		row[x] = pixel(im, x, y);
}

/* ---- seq ---------------------------------------------------------- */

static void draw_seq(struct image *im, int workers)
{
	(void)workers;			/* one thread: this one */
	for (int y = 0; y < im->height; y++)
		draw_row(im, y);
}

/* ---- row: a thread per row ---------------------------------------- */

struct row_job {
	struct image *im;
	int y;
};

static void *row_thread(void *arg)
{
	struct row_job *job = arg;

	draw_row(job->im, job->y);
	return NULL;
}

static void draw_rows(struct image *im, int workers)
{
	pthread_t *t = calloc(im->height, sizeof(*t));
	struct row_job *jobs = calloc(im->height, sizeof(*jobs));
	int err;

	(void)workers;			/* as many threads as rows */
	if (!t || !jobs)
		die("cannot allocate", "row threads", ENOMEM);
	for (int y = 0; y < im->height; y++) {
		jobs[y] = (struct row_job){ im, y };
		err = spawn(&t[y], row_thread, &jobs[y]);
		if (err)
			die("cannot create", "row thread", err);
	}
	for (int y = 0; y < im->height; y++)
		pthread_join(t[y], NULL);
	free(jobs);
	free(t);
}

/* ---- px, workers, wbuf: n workers fed by a channel ------------------ */

struct pool {
	struct image *im;
	struct chan ch;
	bool per_pixel;			/* items are pixel indices, not rows */
};

static void *pool_worker(void *arg)
{
	struct pool *p = arg;
	struct image *im = p->im;
	void *item;

	while (chan_recv(&p->ch, &item)) {
		size_t i = (uintptr_t)item;

		if (p->per_pixel)
			im->pix[i] = pixel(im, i % im->width, i / im->width);
		else
			draw_row(im, i);
	}
	return NULL;
}

static void run_pool(struct image *im, int workers, size_t cap,
		     bool per_pixel)
{
	size_t items = (size_t)im->height * (per_pixel ? im->width : 1);
	struct pool p = { .im = im, .per_pixel = per_pixel };
	pthread_t *t = calloc(workers, sizeof(*t));
	int err;

	if (!t || chan_init(&p.ch, cap))
		die("cannot allocate", "workers", ENOMEM);
	for (int i = 0; i < workers; i++) {
		err = spawn(&t[i], pool_worker, &p);
		if (err)
			die("cannot create", "worker thread", err);
	}
	for (size_t i = 0; i < items; i++)
		chan_send(&p.ch, (void *)(uintptr_t)i);
	chan_close(&p.ch);
	for (int i = 0; i < workers; i++)
		pthread_join(t[i], NULL);
	chan_destroy(&p.ch);
	free(t);
}

static void draw_px(struct image *im, int workers)
{
	run_pool(im, workers, 0, true);
}

static void draw_workers(struct image *im, int workers)
{
	run_pool(im, workers, 0, false);
}

static void draw_wbuf(struct image *im, int workers)
{
	run_pool(im, workers, im->height, false);
}

/* ---- output and command line ----------------------------------------- */

/* fixed compression settings and no tIME chunk: same pixels, same bytes */
static void write_png(const char *path, const struct image *im)
{
	png_structp png;
	png_infop info;
	FILE *f = fopen(path, "wb");

	if (!f)
		die("cannot open", path, errno);
	png = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
	info = png ? png_create_info_struct(png) : NULL;
	if (!info)
		die("cannot write", path, ENOMEM);
	if (setjmp(png_jmpbuf(png))) {
		fprintf(stderr, PROG ": cannot write %s: libpng failed\n", path);
		exit(1);
	}
	png_init_io(png, f);
	png_set_compression_level(png, 6);
	png_set_IHDR(png, info, im->width, im->height, 8, PNG_COLOR_TYPE_GRAY,
		     PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT,
		     PNG_FILTER_TYPE_DEFAULT);
	png_write_info(png, info);
	for (int y = 0; y < im->height; y++)
		png_write_row(png, im->pix + (size_t)y * im->width);
	png_write_end(png, info);
	png_destroy_write_struct(&png, &info);
	errno = 0;
	if (ferror(f) | fclose(f))
		die("cannot write", path, errno ? errno : EIO);
}

static const struct mode {
	const char *name;
	void (*draw)(struct image *im, int workers);
} modes[] = {
	{ "seq", draw_seq },
	{ "px", draw_px },
	{ "row", draw_rows },
	{ "workers", draw_workers },
	{ "wbuf", draw_wbuf },
};

static void usage(void)
{
	fprintf(stderr,
		"usage: " PROG " [-o <file>] [-w <width>] [-h <height>] "
		"[-m <mode>] [-n <workers>]\n"
		"                  [-i <iterations>] [-v]\n"
		"modes: seq (default), px, row, workers, wbuf\n");
	exit(2);
}

static int positive(const char *s, long max)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < 1 || v > max)
		usage();
	return v;
}

static const struct mode *find_mode(const char *name)
{
	for (size_t i = 0; i < sizeof(modes) / sizeof(modes[0]); i++)
		if (!strcmp(modes[i].name, name))
			return &modes[i];
	usage();
	return NULL;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	struct image im = { 1024, 1024, 1000, NULL };
	const struct mode *mode = &modes[0];
	const char *out = "mandelbrot.png";
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	int workers = ncpu > 0 ? ncpu : 1;
	bool verbose = false;
	double t0;
	int c;

	while ((c = getopt(argc, argv, "o:w:h:m:n:i:v")) != -1) {
		switch (c) {
		case 'o': out = optarg; break;
		case 'w': im.width = positive(optarg, 1 << 15); break;
		case 'h': im.height = positive(optarg, 1 << 15); break;
		case 'm': mode = find_mode(optarg); break;
		case 'n': workers = positive(optarg, 4096); break;
		case 'i': im.iterations = positive(optarg, 1 << 24); break;
		case 'v': verbose = true; break;
		default: usage();
		}
	}
	if (optind != argc)
		usage();
	im.pix = malloc((size_t)im.width * im.height);
	if (!im.pix)
		die("cannot allocate", "image", ENOMEM);
	t0 = now();
	mode->draw(&im, workers);
	write_png(out, &im);
	if (verbose)
		fprintf(stderr, PROG ": %s %dx%d, %d iterations, %d workers: "
			"%.3f s\n", mode->name, im.width, im.height,
			im.iterations, workers, now() - t0);
	free(im.pix);
	return 0;
}
