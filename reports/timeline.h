/*
 * timeline.h - what report.html draws, read from history.jsonl and a backup's snapshot
 * (internal to the reports module).
 *
 * This is presentation, not a verdict: a write is drawn "captured" when the restored item
 * of its key holds that write or a later one in the key's order (for a delete: the item
 * is absent or holds a later write), "not captured" otherwise, "indeterminate" when its
 * outcome was `info`, and "violation" when a violation finding of that backup names its
 * wid in op_ids. Writes whose outcome was `fail` are not drawn. A key's order is the
 * order of its writes' invoke_ns (one worker owns a key at a time; docs/formats.md).
 */
#ifndef BC_REP_TIMELINE_H
#define BC_REP_TIMELINE_H
#include <cjson/cJSON.h>
#include <stddef.h>
#include <stdint.h>

typedef enum rep_wclass {
    REP_W_CAPTURED = 0,
    REP_W_MISSING, /* acknowledged, not captured (allowed inside the window) */
    REP_W_INDET,   /* outcome info */
    REP_W_VIOLATION,
    REP_W_NCLASS,
    REP_W_SKIP = 255 /* outcome fail: not drawn */
} rep_wclass;

typedef struct rep_twrite {
    int64_t invoke_ns, complete_ns;
    uint32_t wid;    /* offset of the write id in the timeline's text (rep_twid) */
    uint32_t key;    /* index into the key table */
    uint32_t pos;    /* position in the key's order */
    uint8_t outcome; /* 0 ok, 1 info, 2 fail */
    uint8_t is_delete;
} rep_twrite;

typedef struct rep_tfault {
    char kind[32];
    int64_t start_ns, end_ns;
} rep_tfault;

typedef struct rep_timeline {
    int64_t start_ns, end_ns;
    char hash_key[64];
    rep_twrite *w;
    size_t nw;
    /* every operation (reads too): completion instant, latency, error flag */
    int64_t *op_t, *op_lat;
    uint8_t *op_err;
    size_t nops;
    rep_tfault *faults;
    int nfaults;
    /* write ids and key names, each NUL-terminated, one after another: a write costs its
     * 32 bytes and its id's length, a key its name's length and 4 bytes */
    char *text;
    size_t text_len;
    /* key table: offsets of the names in text, and the writes of key k are
     * order[first[k] .. first[k+1]) */
    uint32_t *keys;
    size_t nkeys;
    uint32_t *order, *first;
    uint32_t *slots; /* open-addressing hash of key names -> index + 1 */
    size_t nslots;
} rep_timeline;

static inline const char *rep_twid(const rep_timeline *t, const rep_twrite *w)
{
    return t->text + w->wid;
}
static inline const char *rep_tkey(const rep_timeline *t, uint32_t k)
{
    return t->text + t->keys[k];
}

/* Reads run_dir/history.jsonl. *out = NULL (and 0) when there is no history. */
int rep_timeline_load(const char *run_dir, rep_timeline **out, char *err, size_t errlen);
void rep_timeline_free(rep_timeline *t);
/* Fills cls[t->nw] for one backup from its snapshot (a missing snapshot leaves every
 * acknowledged write "not captured") and its findings. 0 or -1 with a message. */
int rep_timeline_classify(const rep_timeline *t, const char *snapshot_path, const cJSON *findings,
                          uint8_t *cls, char *err, size_t errlen);
#endif
