/*
 * findtopic - count the RSS documents that mention a topic, six ways.
 *
 * A C port of the program of Go's execution-tracer tutorials ("find a
 * topic in N RSS documents").  Every variant reads the same files, parses
 * them with the same function and prints the same line; only the
 * concurrency differs, so the traces are what tells them apart.
 *
 *   find        one thread reads and parses every document in turn.  The
 *               trace: one thread alternating short reads and parsing.
 *   concurrent  one thread per document, the count under a mutex.  The
 *               trace: N short threads, most of them waiting for a CPU,
 *               and contention on the count's mutex at the end of each.
 *   sem         one thread per document, at most NumCPU working at once
 *               (a POSIX semaphore).  The trace: N threads created at
 *               once, most of them blocked in sem_wait.
 *   numcpu      NumCPU workers take documents from a buffered channel the
 *               main thread filled.  The trace: NumCPU long threads busy
 *               reading and parsing, the main thread blocked in join.
 *   actor       a pipeline of three threads: a reader sends each document
 *               over an unbuffered channel to a parser, which sends each
 *               result to a counter.  The trace: the parser's busy time,
 *               the reader and counter blocked on the channels' condvars,
 *               a wake-up arrow per document between them.
 *   tasks       numcpu with annotations (include/ctrace.h): a "document"
 *               task per file with "read" and "parse" regions, and a
 *               "match" log naming each matching file.
 *
 * Usage:
 *   findtopic gen -d DIR [-n N] [-s SIZE] [-S SEED] [-t TOPIC]
 *   findtopic find -d DIR [-t TOPIC] [-v VARIANT] [-n NUMCPU]
 * gen writes DIR/doc-0001.xml ... (deterministic for a seed); find prints
 * "found TOPIC in K of N documents".  Exit 1 on a file error, 2 on usage.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <semaphore.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common.h"
#include "ctrace.h"

#define PROG "findtopic"

static const char *topic = "ctrace";
static int ncpu;
static char **docs;		/* paths, sorted */
static int ndocs;

static void fail(const char *what, const char *arg)
{
	fprintf(stderr, PROG ": %s %s: %s\n", what, arg, strerror(errno));
	exit(1);
}

/* ------------------------------------------------------------------ */
/* generating documents                                                 */

static uint64_t rng_state;

static uint64_t rng(void)	/* xorshift64*: deterministic, no libc rand */
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545F4914F6CDD1DULL;
}

static const char *const words[] = {
	"kernel", "thread", "mutex", "latency", "profile", "release", "patch",
	"compiler", "linker", "cache", "memory", "socket", "server", "client",
	"parser", "stream", "buffer", "queue", "signal", "timer", "debug",
	"build", "test", "review", "merge", "branch", "trace", "lock", "event",
	"heap", "stack", "frame", "symbol", "module", "library", "binary",
	"R&amp;D", "&lt;news&gt;", "&quot;fast&quot;", "it&apos;s", "go",
	"rust", "zig", "python", "shell", "network", "disk", "schedule",
};
#define NWORDS (sizeof(words) / sizeof(words[0]))

static void put_words(FILE *f, int n, int with_topic)
{
	int at = with_topic ? (int)(rng() % n) : -1;

	for (int i = 0; i < n; i++)
		fprintf(f, "%s%s", i ? " " : "",
			i == at ? topic : words[rng() % NWORDS]);
}

static void gen_doc(const char *path, long size, int mention)
{
	FILE *f = fopen(path, "w");
	int item = 0, hit;

	if (!f)
		fail("cannot create", path);
	/* a mentioning document names the topic in one item, anywhere */
	hit = mention ? (int)(rng() % 8) : -1;
	fprintf(f, "<?xml version=\"1.0\"?>\n<rss version=\"2.0\"><channel>\n");
	fprintf(f, "<title>feed %llu</title>\n", (unsigned long long)rng() % 1000);
	while (ftell(f) < size || item <= hit) {
		fprintf(f, "<item><title>");
		put_words(f, 3 + rng() % 5, item == hit && rng() % 2);
		fprintf(f, "</title><description>");
		put_words(f, 20 + rng() % 40, item == hit);
		fprintf(f, "</description></item>\n");
		item++;
	}
	fprintf(f, "</channel></rss>\n");
	if (fclose(f))
		fail("cannot write", path);
}

static int gen(const char *dir, int n, long size, uint64_t seed)
{
	char path[4096];

	if (mkdir(dir, 0755) && errno != EEXIST)
		fail("cannot create", dir);
	rng_state = seed * 2654435761u + 1;
	for (int i = 1; i <= n; i++) {
		snprintf(path, sizeof(path), "%s/doc-%04d.xml", dir, i);
		gen_doc(path, size, rng() % 3 == 0);
	}
	return 0;
}

/* ------------------------------------------------------------------ */
/* reading and parsing one document                                     */

struct doc {
	char *text;
	size_t len;
};

static struct doc read_doc(const char *path)
{
	struct doc d = { NULL, 0 };
	struct stat st;
	int fd = open(path, O_RDONLY);
	ssize_t n;

	if (fd < 0 || fstat(fd, &st))
		fail("cannot open", path);
	d.text = malloc(st.st_size + 1);
	if (!d.text)
		fail("out of memory reading", path);
	/* 4 KiB at a time, as a program streaming a file would */
	while (d.len < (size_t)st.st_size &&
	       (n = read(fd, d.text + d.len,
			 st.st_size - d.len < 4096 ? st.st_size - d.len : 4096)) > 0)
		d.len += n;
	if (d.len < (size_t)st.st_size)
		fail("cannot read", path);
	d.text[d.len] = 0;
	close(fd);
	return d;
}

/* decode the five XML entities in place; returns the new length */
static size_t unescape(char *s, size_t n)
{
	static const struct { const char *ent; char c; } ents[] = {
		{ "&amp;", '&' }, { "&lt;", '<' }, { "&gt;", '>' },
		{ "&quot;", '"' }, { "&apos;", '\'' },
	};
	size_t i = 0, o = 0, k, l;

	while (i < n) {
		for (k = 0; s[i] == '&' && k < 5; k++) {
			l = strlen(ents[k].ent);
			if (i + l <= n && !memcmp(s + i, ents[k].ent, l))
				break;
		}
		if (s[i] == '&' && k < 5) {
			s[o++] = ents[k].c;
			i += strlen(ents[k].ent);
		} else {
			s[o++] = s[i++];
		}
	}
	return o;
}

/* does the text between <tag> and </tag> at p mention the topic? */
static int field_mentions(const char *item, const char *end, const char *tag)
{
	char open[32], close[32], buf[4096];
	const char *a, *b, *w;
	size_t n, tl = strlen(topic);

	snprintf(open, sizeof(open), "<%s>", tag);
	snprintf(close, sizeof(close), "</%s>", tag);
	a = strstr(item, open);
	if (!a || a >= end)
		return 0;
	a += strlen(open);
	b = strstr(a, close);
	if (!b || b > end)
		return 0;
	n = (size_t)(b - a) < sizeof(buf) - 1 ? (size_t)(b - a) : sizeof(buf) - 1;
	memcpy(buf, a, n);
	n = unescape(buf, n);
	buf[n] = 0;
	/* a whole word: bounded by the text's ends or spaces */
	for (w = buf; (w = strstr(w, topic)); w += tl)
		if ((w == buf || w[-1] == ' ') && (w[tl] == 0 || w[tl] == ' '))
			return 1;
	return 0;
}

static int mentions(const struct doc *d)
{
	const char *item = d->text, *end;

	while ((item = strstr(item, "<item>"))) {
		end = strstr(item, "</item>");
		if (!end)
			break;
		if (field_mentions(item, end, "title") ||
		    field_mentions(item, end, "description"))
			return 1;
		item = end;
	}
	return 0;
}

static int find_one(const char *path)
{
	struct doc d = read_doc(path);
	int hit = mentions(&d);

	free(d.text);
	return hit;
}

/* ------------------------------------------------------------------ */
/* the variants                                                         */

static pthread_mutex_t count_lock = PTHREAD_MUTEX_INITIALIZER;
static int found;
static sem_t slots;

static int find_seq(void)
{
	for (int i = 0; i < ndocs; i++)
		found += find_one(docs[i]);
	return found;
}

static void *one_doc(void *arg)
{
	int hit = find_one(arg);

	pthread_mutex_lock(&count_lock);
	found += hit;
	pthread_mutex_unlock(&count_lock);
	return NULL;
}

static void *one_doc_sem(void *arg)
{
	sem_wait(&slots);
	one_doc(arg);
	sem_post(&slots);
	return NULL;
}

/* concurrent and sem: a thread per document */
static int find_per_doc(void *(*fn)(void *))
{
	pthread_t *t = calloc(ndocs, sizeof(*t));

	if (!t)
		fail("out of memory", "");
	for (int i = 0; i < ndocs; i++)
		if ((errno = spawn(&t[i], fn, docs[i])))
			fail("cannot start a thread for", docs[i]);
	for (int i = 0; i < ndocs; i++)
		pthread_join(t[i], NULL);
	free(t);
	return found;
}

static int find_sem(void)
{
	sem_init(&slots, 0, ncpu);
	return find_per_doc(one_doc_sem);
}

static struct chan work;

static void *numcpu_worker(void *arg)
{
	void *path;
	int mine = 0;

	while (chan_recv(&work, &path))
		mine += find_one(path);
	pthread_mutex_lock(&count_lock);
	found += mine;
	pthread_mutex_unlock(&count_lock);
	return arg;
}

static void *tasks_worker(void *arg)
{
	void *path;
	int mine = 0;

	while (chan_recv(&work, &path)) {
		ctrace_task_t task = ctrace_task_begin("document", 0);
		struct doc d;
		int hit;

		{
			CTRACE_REGION(task, "read");
			d = read_doc(path);
		}
		ctrace_region_begin(task, "parse");
		hit = mentions(&d);
		ctrace_region_end(task, "parse");
		if (hit)
			ctrace_log(task, "match", path);
		free(d.text);
		mine += hit;
		ctrace_task_end(task);
	}
	pthread_mutex_lock(&count_lock);
	found += mine;
	pthread_mutex_unlock(&count_lock);
	return arg;
}

/* numcpu and tasks: ncpu workers on a channel holding every document */
static int find_pool(void *(*worker)(void *))
{
	pthread_t *t = calloc(ncpu, sizeof(*t));

	if (!t || chan_init(&work, ndocs))
		fail("out of memory", "");
	for (int i = 0; i < ndocs; i++)
		chan_send(&work, docs[i]);
	chan_close(&work);
	for (int i = 0; i < ncpu; i++)
		if ((errno = spawn(&t[i], worker, NULL)))
			fail("cannot start a worker", "");
	for (int i = 0; i < ncpu; i++)
		pthread_join(t[i], NULL);
	free(t);
	return found;
}

static int find_numcpu(void)
{
	return find_pool(numcpu_worker);
}

static int find_tasks(void)
{
	return find_pool(tasks_worker);
}

/* actor: reader -> parser -> counter, each stage a thread */
static struct chan texts, results;

static void *reader(void *arg)
{
	for (int i = 0; i < ndocs; i++) {
		struct doc *d = malloc(sizeof(*d));

		if (!d)
			fail("out of memory", "");
		*d = read_doc(docs[i]);
		chan_send(&texts, d);
	}
	chan_close(&texts);
	return arg;
}

static void *parser(void *arg)
{
	void *p;

	while (chan_recv(&texts, &p)) {
		struct doc *d = p;

		chan_send(&results, mentions(d) ? (void *)1 : (void *)2);
		free(d->text);
		free(d);
	}
	chan_close(&results);
	return arg;
}

static void *counter(void *arg)
{
	void *r;

	while (chan_recv(&results, &r))
		found += r == (void *)1;
	return arg;
}

static int find_actor(void)
{
	pthread_t t[3];

	if (chan_init(&texts, 0) || chan_init(&results, 0))
		fail("out of memory", "");
	if ((errno = spawn(&t[0], reader, NULL)) ||
	    (errno = spawn(&t[1], parser, NULL)) ||
	    (errno = spawn(&t[2], counter, NULL)))
		fail("cannot start", "the pipeline");
	for (int i = 0; i < 3; i++)
		pthread_join(t[i], NULL);
	return found;
}

static int find_concurrent(void)
{
	return find_per_doc(one_doc);
}

static const struct variant {
	const char *name;
	int (*run)(void);
} variants[] = {
	{ "find", find_seq },
	{ "concurrent", find_concurrent },
	{ "sem", find_sem },
	{ "numcpu", find_numcpu },
	{ "actor", find_actor },
	{ "tasks", find_tasks },
};

/* ------------------------------------------------------------------ */
/* command line                                                         */

static void usage(void)
{
	fprintf(stderr,
		"usage: " PROG " gen -d DIR [-n N] [-s SIZE] [-S SEED] [-t TOPIC]\n"
		"       " PROG " find -d DIR [-t TOPIC] [-v VARIANT] [-n NUMCPU]\n"
		"variants: find concurrent sem numcpu actor tasks\n");
	exit(2);
}

static long number(const char *s, long max)
{
	char *end;
	long v = strtol(s, &end, 10);

	if (*s == 0 || *end || v < 1 || v > max)
		usage();
	return v;
}

static int by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void list_docs(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	size_t cap = 0;
	char *path;

	if (!d)
		fail("cannot open", dir);
	while ((e = readdir(d))) {
		size_t l = strlen(e->d_name);

		if (strncmp(e->d_name, "doc-", 4) || l < 8 ||
		    strcmp(e->d_name + l - 4, ".xml"))
			continue;
		if ((size_t)ndocs == cap) {
			cap = cap ? 2 * cap : 256;
			docs = realloc(docs, cap * sizeof(*docs));
		}
		if (!docs || asprintf(&path, "%s/%s", dir, e->d_name) < 0)
			fail("out of memory listing", dir);
		docs[ndocs++] = path;
	}
	closedir(d);
	qsort(docs, ndocs, sizeof(*docs), by_name);
}

int main(int argc, char **argv)
{
	const char *dir = NULL, *variant = "find";
	long n = 100, size = 20000, seed = 1, cpus = 0;
	int opt, gen_mode;

	if (argc < 2)
		usage();
	if (!strcmp(argv[1], "gen"))
		gen_mode = 1;
	else if (!strcmp(argv[1], "find"))
		gen_mode = 0;
	else
		usage();
	optind = 2;
	while ((opt = getopt(argc, argv, "d:n:s:S:t:v:")) != -1) {
		switch (opt) {
		case 'd': dir = optarg; break;
		case 'n': n = cpus = number(optarg, 1000000); break;
		case 's': size = number(optarg, 1L << 30); break;
		case 'S': seed = number(optarg, 1L << 30); break;
		case 't': topic = optarg; break;
		case 'v': variant = optarg; break;
		default: usage();
		}
	}
	if (!dir || optind != argc || !*topic || strchr(topic, ' '))
		usage();
	if (gen_mode)
		return gen(dir, n, size, seed);
	ncpu = cpus ? cpus : sysconf(_SC_NPROCESSORS_ONLN);
	if (ncpu < 1)
		ncpu = 1;
	for (size_t i = 0; i < sizeof(variants) / sizeof(variants[0]); i++) {
		if (strcmp(variants[i].name, variant))
			continue;
		list_docs(dir);
		if (!ndocs) {
			errno = ENOENT;
			fail("no doc-*.xml documents in", dir);
		}
		printf("found %s in %d of %d documents\n", topic,
		       variants[i].run(), ndocs);
		return 0;
	}
	usage();
}
