/*
 * file.h - the ctrace trace file: header, lz4 chunks, records.
 *
 *   file   := header chunk*
 *   header := 64 bytes, little-endian (struct fmt_file_header)
 *   chunk  := "CTCK" comp_len:u32 raw_len:u32 seq:u32  lz4-frame[comp_len]
 *   frame  := one LZ4 frame (content size and content checksum present)
 *             whose content is raw_len bytes of records
 *   record := type:u8 len:uvar payload[len]
 *
 * Each chunk decompresses on its own and carries its own checksum, so a
 * file cut anywhere reads up to its last complete chunk.  Tables (strings,
 * stacks) are defined in a record before the first record that uses them,
 * so every complete prefix of chunks is a valid trace.  Readers skip
 * records of unknown type by their length.  man/ctrace-trace.5 is the
 * normative description; keep it in step with this file.
 */
#ifndef CTRACE_FILE_H
#define CTRACE_FILE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "buf.h"
#include "events.h"
#include "wire.h"

#define FMT_FILE_MAGIC		"\x89" "CTRACE\n"	/* 8 bytes */
/* 2: 'a' fields against the batch's recent addresses (events.h); this
 * reader reads 1 too.  2.1: ALLOC_SAME and FREE_SAME (events.h).  2.2:
 * UNTRACED may end with the program's exit status.  2.3: READ_SAME,
 * WRITE_SAME and POLL_SAME */
#define FMT_VERSION_MAJOR	2
#define FMT_VERSION_MINOR	3
#define FMT_HEADER_SIZE		64
#define FMT_CHUNK_MAGIC		0x4b435443u		/* "CTCK" */
#define FMT_CHUNK_HDR_SIZE	16
#define FMT_CHUNK_MAX_RAW	(16u << 20)		/* readers refuse more */
#define FMT_CHUNK_TARGET	(256u << 10)		/* writers flush here */

/* feature bits: what the producer recorded (informational) */
#define FMT_FEAT_STACKS		0x1
#define FMT_FEAT_WINDOWS	0x2	/* --paused: WINDOW records say when */

struct fmt_file_header {
	uint16_t major, minor;
	uint32_t header_size;
	uint64_t features;
	uint64_t start_realtime;	/* ns since the epoch at start */
	uint64_t start_monotonic;	/* CLOCK_MONOTONIC ns at start */
	uint32_t clock_id;		/* clock of every timestamp */
	uint32_t collector_pid;
};

enum fmt_record_type {
	/* pid ppid image ts flags exe argc argv[argc] */
	FMT_REC_PROCESS = 1,
	/* pid image ts status how */
	FMT_REC_PROCESS_END = 2,
	/* id bytes */
	FMT_REC_STRING = 3,
	/* id image n frame[n] */
	FMT_REC_STACK = 4,
	/* pid image tid nevents base_ts event[nevents] (file form) */
	FMT_REC_EVENTS = 5,
	/* pid tid count reason */
	FMT_REC_LOST = 6,
	/* ts nevents nlost nprocesses - written by a clean finish only */
	FMT_REC_END = 7,
	/* image ts op bias lo hi path buildid (as in the MODULES message) */
	FMT_REC_MODULE = 8,
	/*
	 * image addr func file line offset: what the collector resolved for
	 * one address used by a STACK record of that image (or a routine
	 * field); func and file are string ids (0 = unknown), offset is addr
	 * minus the function's start.  Written before the first record that
	 * uses the address, so a trace names its code without the binaries.
	 * Minor 1 may append the calls inlined there, innermost first:
	 * ninl (func file line)[ninl].
	 */
	FMT_REC_SYMBOL = 9,
	/*
	 * image addr name offset size (minor 1): the data symbol (an
	 * OBJECT symbol of .symtab or .dynsym) that holds object address
	 * addr of a blocking event of that image; name a string id, offset
	 * addr minus the symbol's start, size the symbol's.  Written before
	 * the first EVENTS record that uses the address.
	 */
	FMT_REC_DATA = 10,
	/*
	 * pid ppid ts how reason err path (minor 3): a process that ran but
	 * never reached the collector - a fork child that could not
	 * connect, or an image an exec made that the loader did not preload
	 * us into or that could not connect.  how FMT_UNTR_*, reason
	 * FMT_WHY_* (wire.h), err an errno (0 = none), path the image's file ("" when
	 * unknown).  Older readers skip it.  (2.2) status may follow: the
	 * program's raw waitpid() status, when the collector reaped it (the
	 * command `ctrace record` started, exec'ed into it).
	 */
	FMT_REC_UNTRACED = 11,
	/*
	 * n entry[n], entry := len code family kinds:str names:str (minor
	 * 4): every event code the writer may use, with its fields' kinds
	 * and names, so that a reader skips an event it does not know, or
	 * fields it does not know at the end of one it does, instead of
	 * losing the rest of the EVENTS record.  len counts the bytes of the
	 * entry after it: a later version may append to an entry.  Written
	 * once, first, by the collector.
	 */
	FMT_REC_SCHEMA = 12,
	/*
	 * ts start end trigger pid evicted_events evicted_chunks reason
	 * (minor 5): the file is a flight-mode snapshot of [start, end];
	 * what happened before start is unknown (evicted, or before the
	 * collector started).  trigger FMT_SNAP_*, pid the process that
	 * asked or crashed (0: none), evicted_* what the ring dropped before
	 * start, reason a string.  Written after the window's events.
	 */
	FMT_REC_SNAPSHOT = 13,
	/*
	 * ts start end (minor 5): a recording window of a collector started
	 * with --paused (FMT_FEAT_WINDOWS): events were recorded in [start,
	 * end] only, and the time outside every window is unknown.  Written
	 * when the window closes, or at the end for one still open.
	 */
	FMT_REC_WINDOW = 14,
	/*
	 * ts start (minor 7): the window of a paused collector that opened
	 * at start, written as it opens, before any of its events, so that
	 * a reader of a stream (a pipe) clips them as it reads; the WINDOW
	 * record with the same start closes it.  None: the window's end
	 * was never written (the collector was killed), it runs to the end.
	 */
	FMT_REC_WINDOW_OPEN = 15,
	FMT_REC_MAX		/* one past the highest code */
};


/* SNAPSHOT.trigger */
enum {
	FMT_SNAP_COMMAND = 1,	/* `ctrace snapshot` (a SNAPSHOT message) */
	FMT_SNAP_SIGNAL = 2,	/* SIGUSR2 to the collector */
	FMT_SNAP_PROGRAM = 3,	/* ctrace_snapshot() in a traced process */
	FMT_SNAP_CRASH = 4,	/* a traced process died of a fatal signal */
};

/* PROCESS.flags */
#define FMT_PROC_EXEC	0x1	/* image replaced an earlier image of pid */
#define FMT_PROC_FORK	0x2	/* forked from a traced process */
#define FMT_PROC_ROOT	0x4	/* the command `ctrace record` started */

/* PROCESS_END.how */
enum {
	FMT_PEND_EXIT = 0,	/* exit() or return from main: status valid */
	FMT_PEND__EXIT = 1,	/* _exit(): status valid */
	FMT_PEND_WAIT = 2,	/* status is a waitpid() status (record) */
	FMT_PEND_VANISHED = 3,	/* connection closed without BYE: killed */
	FMT_PEND_EXEC = 4,	/* image replaced by exec */
	FMT_PEND_CUT = 5,	/* still running when the collector stopped */
};

/* ---- writing ---- */

struct fmt_writer;

/*
 * fmt_writer_open() : write the header to fd and return a writer, or NULL
 * with *err set.  The writer owns neither fd nor its closing.
 */
struct fmt_writer *fmt_writer_open(int fd, const struct fmt_file_header *h,
				   int *err);

/*
 * fmt_writer_record() : append one record to the current chunk; the chunk
 * is compressed and written once it reaches FMT_CHUNK_TARGET bytes.
 * @return 0 or a FMT_E* code (FMT_EIO: errno tells; FMT_ECORRUPT: the
 * record is too big for a chunk, nearly FMT_CHUNK_MAX_RAW).
 */
int fmt_writer_record(struct fmt_writer *w, unsigned type,
		      const void *payload, size_t len);

/* fmt_writer_flush() : write the current chunk now, if it has records. */
int fmt_writer_flush(struct fmt_writer *w);

/* bytes written so far, chunks written so far */
uint64_t fmt_writer_bytes(const struct fmt_writer *w);
uint32_t fmt_writer_chunks(const struct fmt_writer *w);

/*
 * fmt_chunk_compress() : raw records (len bytes, at most
 * FMT_CHUNK_MAX_RAW) as one chunk's lz4 frame, into out (reset first).
 * fmt_writer_chunk() : append such a frame as the next chunk, after
 * flushing the current one (a flight ring keeps chunks compressed).
 * @return 0 or a FMT_E* code
 */
int fmt_chunk_compress(const void *raw, size_t len, struct fmt_buf *out);
/* fmt_chunk_level() : the LZ4F compressionLevel the next chunk gets: 0,
 * or an acceleration while the chunks before shrank by less than 1/32 */
int fmt_chunk_level(void);
int fmt_writer_chunk(struct fmt_writer *w, const void *frame, size_t n,
		     size_t raw_len);

/* fmt_writer_close() : flush and free (fd stays open). */
int fmt_writer_close(struct fmt_writer *w);

/* ---- reading ---- */

struct fmt_record {
	unsigned type;
	const uint8_t *p;	/* payload, valid until the next call */
	size_t len;
};

/* why reading stopped: fmt_reader_state() */
enum fmt_stop {
	FMT_STOP_NONE = 0,	/* still reading */
	FMT_STOP_END,		/* clean: END record, nothing after it */
	FMT_STOP_EOF,		/* file ends at a chunk boundary, no END */
	FMT_STOP_TRUNC,		/* file ends inside a chunk */
	FMT_STOP_CORRUPT,	/* a chunk or record fails its checks */
};

struct fmt_reader_state {
	enum fmt_stop stop;
	uint64_t offset;	/* file offset where reading stopped */
	uint32_t chunks;	/* complete chunks read */
	uint64_t bytes_after;	/* bytes of the file not read */
	const char *why;	/* for TRUNC/CORRUPT: a lower-case phrase */
};

struct fmt_reader;

/*
 * fmt_reader_open() : open path (or "-" for stdin) and check its header.
 * @return the reader, or NULL with *err set: FMT_EIO (errno), FMT_EMAGIC
 * (also for an empty file), FMT_EVERSION, FMT_ECORRUPT, FMT_ENOMEM.
 */
struct fmt_reader *fmt_reader_open(const char *path, int *err);
const struct fmt_file_header *fmt_reader_header(const struct fmt_reader *r);

/*
 * fmt_reader_next() : the next record.
 * @return 1 with *rec filled, 0 when reading has stopped (see
 * fmt_reader_state() for whether that was clean).
 */
int fmt_reader_next(struct fmt_reader *r, struct fmt_record *rec);
const struct fmt_reader_state *fmt_reader_state(const struct fmt_reader *r);
void fmt_reader_close(struct fmt_reader *r);

/* ---- record payloads (records.c) ----
 *
 * One struct per record, one put and one parse each: the only coding of
 * a payload.  put appends to a fmt_buf (check fmt_buf_failed() once at
 * the end).  parse reads a record: 0, FMT_ETRUNC when it ends inside a
 * field, FMT_ECORRUPT when a value is out of range (PROCESS, EVENTS and
 * UNTRACED answer FMT_ECORRUPT to both, as they always have).  Bytes
 * after the last known field are what a later minor version appended:
 * they are ignored, never an error.  Strings point into the record.
 */

/* struct fmt_process: wire.h (HELLO shares its coding) */
/* every argument is checked: argv can be read without further checks */
int fmt_parse_process(const struct fmt_record *rec, struct fmt_process *p);
/* argv: the cursor's bytes from p to end, argc strings as parsed */
void fmt_put_process(struct fmt_buf *b, const struct fmt_process *p);

struct fmt_process_end {
	uint64_t pid, image, ts, status, how;	/* how: FMT_PEND_* */
};

int fmt_parse_process_end(const struct fmt_record *rec,
			  struct fmt_process_end *e);
void fmt_put_process_end(struct fmt_buf *b, const struct fmt_process_end *e);

/* the text runs to the end of the record */
struct fmt_string {
	uint64_t id;
	const char *s;
	size_t len;
};

int fmt_parse_string(const struct fmt_record *rec, struct fmt_string *s);
void fmt_put_string(struct fmt_buf *b, const struct fmt_string *s);

struct fmt_stack {
	uint64_t id, image, n;
	const uint64_t *frames;	/* put: n frames */
	struct fmt_cursor fr;	/* parse: fmt_stack_frames() reads them */
};

int fmt_parse_stack(const struct fmt_record *rec, struct fmt_stack *s);
/* fmt_stack_frames() : the n frames into out: 0 or the cursor's error */
int fmt_stack_frames(struct fmt_stack *s, uint64_t *out);
void fmt_put_stack(struct fmt_buf *b, const struct fmt_stack *s);

/* the events follow the header: the event coder writes them (events.h) */
struct fmt_events {
	uint64_t pid, image, tid, nevents, base_ts;
	struct fmt_cursor ev;	/* the encoded events */
};

int fmt_parse_events(const struct fmt_record *rec, struct fmt_events *e);
/* the header, then ev's bytes from p to end (none if ev.p is NULL) */
void fmt_put_events(struct fmt_buf *b, const struct fmt_events *e);

/* count at most FMT_WIRE_MAX_LOST; reason FMT_LOST_* */
struct fmt_lost {
	uint64_t pid, tid, count, reason;
};

int fmt_parse_lost(const struct fmt_record *rec, struct fmt_lost *l);
void fmt_put_lost(struct fmt_buf *b, const struct fmt_lost *l);

struct fmt_end {
	uint64_t ts, nevents, nlost, nprocesses;
};

int fmt_parse_end(const struct fmt_record *rec, struct fmt_end *e);
void fmt_put_end(struct fmt_buf *b, const struct fmt_end *e);

/* struct fmt_module: wire.h (MODULES carries them) */
int fmt_parse_module(const struct fmt_record *rec, struct fmt_module *m);
void fmt_put_module(struct fmt_buf *b, const struct fmt_module *m);

/* one call inlined at a SYMBOL's address (minor 1) */
struct fmt_inline {
	uint64_t func, file, line;
};

struct fmt_symbol {
	uint64_t image, addr, func, file, line, offset;
	uint64_t ninl;
	const struct fmt_inline *inl;	/* put: ninl of them */
	struct fmt_cursor in;	/* parse: fmt_symbol_inline() reads them */
};

/*
 * A chain whose count cannot fit the record is read as none; one cut
 * short ends at its last whole entry (fmt_symbol_inline() says when).
 */
int fmt_parse_symbol(const struct fmt_record *rec, struct fmt_symbol *s);
/* the next inlined call: 0, or -1 once the chain ends or breaks */
int fmt_symbol_inline(struct fmt_symbol *s, struct fmt_inline *out);
void fmt_put_symbol(struct fmt_buf *b, const struct fmt_symbol *s);

struct fmt_data {
	uint64_t image, addr, name, offset, size;
};

int fmt_parse_data(const struct fmt_record *rec, struct fmt_data *d);
void fmt_put_data(struct fmt_buf *b, const struct fmt_data *d);

struct fmt_untraced {
	uint64_t pid, ppid, ts, how, reason, err;
	const char *path;
	size_t path_len;
	int has_status;		/* status follows (2.2) */
	uint64_t status;
};

int fmt_parse_untraced(const struct fmt_record *rec, struct fmt_untraced *u);
void fmt_put_untraced(struct fmt_buf *b, const struct fmt_untraced *u);

struct fmt_snapshot {
	uint64_t ts, start, end, trigger, pid;
	uint64_t evicted_events, evicted_chunks;
	const char *reason;
	size_t reason_len;
};

int fmt_parse_snapshot(const struct fmt_record *rec, struct fmt_snapshot *s);
void fmt_put_snapshot(struct fmt_buf *b, const struct fmt_snapshot *s);
struct fmt_window {
	uint64_t ts, start, end;
};

int fmt_parse_window(const struct fmt_record *rec, struct fmt_window *w);
void fmt_put_window(struct fmt_buf *b, const struct fmt_window *w);
/* WINDOW_OPEN: ts and start; the parse sets end FMT_WINDOW_OPEN_END */
#define FMT_WINDOW_OPEN_END	UINT64_MAX
int fmt_parse_window_open(const struct fmt_record *rec, struct fmt_window *w);
void fmt_put_window_open(struct fmt_buf *b, const struct fmt_window *w);

/* fmt_snap_trigger_name() : "command" "signal" "program" "crash"; NULL */
const char *fmt_snap_trigger_name(uint64_t trigger);

/* SCHEMA: how many fields each code has in the file (0: no entry) */
struct fmt_schema {
	uint8_t nfields[FMT_EV_MAX];
	uint8_t have[FMT_EV_MAX];
	uint32_t addr_mask[FMT_EV_MAX];	/* bit i: field i is 'a' (< 32) */
};

int fmt_parse_schema(const struct fmt_record *rec, struct fmt_schema *s);
/* one entry; fmt_put_schema() writes the whole record of this build */
void fmt_put_schema_entry(struct fmt_buf *b, unsigned code, unsigned family,
			  const char *kinds, const char *names);
void fmt_put_schema(struct fmt_buf *b);

/*
 * fmt_skip_event() : pass one file-form event of nfields fields (plain
 * uvars in the file; the 'a' ones, bits of addr_mask, read against ad
 * when it is not NULL, so that the batch's addresses stay right) after
 * its code, moving *prev_ts on.
 * fmt_skip_fields() : pass n fields the same way, bit 0 of addr_mask
 * the first.  @return 0 or FMT_ETRUNC (FMT_ECORRUPT: a bad 'a')
 */
int fmt_skip_event(const uint8_t **pp, const uint8_t *end, unsigned nfields,
		   uint32_t addr_mask, uint64_t *prev_ts,
		   struct fmt_addrs *ad);
int fmt_skip_fields(const uint8_t **pp, const uint8_t *end, unsigned n,
		    uint32_t addr_mask, struct fmt_addrs *ad);
/*
 * fmt_decode_short() : decode one file-form event of a known code that
 * has only its first nfields fields (written by an older minor version,
 * before the others were appended); the others are 0.  @return 0 and
 * advances *pp, or a negative FMT_E* code.
 */
int fmt_decode_short(const uint8_t **pp, const uint8_t *end,
		     unsigned nfields, uint64_t *prev_ts, struct fmt_event *ev,
		     struct fmt_addrs *ad);

/* fmt_untr_how_name() : UNTRACED.how, "fork" "exec" "refused"; NULL if
 * unknown */
const char *fmt_untr_how_name(uint64_t how);

/* fmt_why_str() : UNTRACED.reason in words, "" for FMT_WHY_UNKNOWN */
const char *fmt_why_str(uint64_t reason);

/* fmt_record_name() : "process", "events", ... or NULL if unknown */
const char *fmt_record_name(unsigned type);

#endif
