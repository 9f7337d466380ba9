/* chk_fixture.c - synthetic run directories for the checker tests (see chk_fixture.h). */
#include "tests/unit/chk_fixture.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "checkers/chk_internal.h"
#include "util/payload.h"

#define FX_PAY_LEN 24

static char fx_base_dir[200];

/* This process's directory of run directories: $TMPDIR (or /tmp)/backcheck-chk-test-PID. */
static const char *fx_base(void)
{
    if (!fx_base_dir[0]) {
        const char *tmp = getenv("TMPDIR");
        snprintf(fx_base_dir, sizeof fx_base_dir, "%s/backcheck-chk-test-%d",
                 tmp && *tmp ? tmp : "/tmp", (int)getpid());
        if (mkdir(fx_base_dir, 0755) != 0 && errno != EEXIST) {
            perror(fx_base_dir);
            abort();
        }
    }
    return fx_base_dir;
}

void fx_open(fx *f, const char *name, const char *guarantee, const char *workloads_json)
{
    memset(f, 0, sizeof *f);
    snprintf(f->dir, sizeof f->dir, "%s/%s", fx_base(), name);
    char cmd[400];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", f->dir);
    if (system(cmd) != 0) abort();
    if (mkdir(f->dir, 0755) != 0) {
        perror(f->dir);
        abort();
    }
    char p[400];
    snprintf(p, sizeof p, "%s/snapshots", f->dir);
    mkdir(p, 0755);
    snprintf(p, sizeof p, "%s/scenario.json", f->dir);
    FILE *s = fopen(p, "w");
    fprintf(s,
            "{\"name\":\"%s\",\"seed\":%llu,\"duration_s\":300,"
            "\"target\":{\"kind\":\"embedded\"},\"table\":{\"hash_key\":\"pk\","
            "\"range_key\":null,\"billing\":\"PAY_PER_REQUEST\",\"gsi\":[]},"
            "\"guarantee\":%s}\n",
            name, (unsigned long long)FX_SEED, guarantee ? guarantee : "\"aws-documented\"");
    fclose(s);
    snprintf(p, sizeof p, "%s/history.jsonl", f->dir);
    f->hist = fopen(p, "w");
    fprintf(f->hist,
            "{\"type\":\"meta\",\"format\":1,\"backcheck_version\":\"0.1.0\",\"run_id\":\"t\","
            "\"scenario\":\"%s\",\"seed\":%llu,\"table\":\"t-src\",\"hash_key\":\"pk\","
            "\"start_ns\":%lld,\"target\":{\"kind\":\"embedded\"},\"workloads\":%s}\n",
            name, (unsigned long long)FX_SEED, (long long)FX_T0,
            workloads_json ? workloads_json
                           : "[{\"index\":0,\"type\":\"insert\",\"threads\":8,"
                             "\"first_worker\":0,\"item_bytes\":24}]");
    snprintf(p, sizeof p, "%s/backups.jsonl", f->dir);
    f->backups = fopen(p, "w");
}

static void op_head(fx *f, int w, uint64_t s, double inv, double cmp, const char *outcome, int txn)
{
    fprintf(f->hist,
            "{\"type\":\"op\",\"w\":%d,\"s\":%llu,\"wl\":\"insert\",\"wi\":0,\"f\":\"put\","
            "\"intended_ns\":%lld,\"invoke_ns\":%lld,\"complete_ns\":%lld,\"mono_ns\":%lld,"
            "\"outcome\":\"%s\",\"err\":%s,\"attempts\":1,\"wcu\":1,\"rcu\":0%s,\"writes\":[",
            w, (unsigned long long)s, (long long)FX_NS(inv), (long long)FX_NS(inv),
            (long long)FX_NS(cmp), (long long)(FX_NS(cmp) - FX_NS(inv)), outcome,
            strcmp(outcome, "ok") == 0 ? "null" : "\"InternalServerError\"",
            txn ? ",\"txn\":true" : "");
}

void fx_write(fx *f, int w, uint64_t s, const char *kind, const char *key, double inv_ms,
              double cmp_ms, const char *outcome)
{
    op_head(f, w, s, inv_ms, cmp_ms, outcome, 0);
    fprintf(f->hist, "{\"k\":\"%s\",\"wid\":\"%d.%llu\",\"op\":\"%s\"%s}]}\n", key, w,
            (unsigned long long)s, kind, strcmp(kind, "update") == 0 ? ",\"ver\":1" : "");
}

void fx_txn(fx *f, int w, uint64_t s, const char *const *keys, int n, double inv_ms, double cmp_ms,
            const char *outcome)
{
    op_head(f, w, s, inv_ms, cmp_ms, outcome, 1);
    for (int i = 0; i < n; i++)
        fprintf(f->hist, "%s{\"k\":\"%s\",\"wid\":\"%d.%llu\",\"op\":\"put\"}", i ? "," : "",
                keys[i], w, (unsigned long long)s);
    fprintf(f->hist, "]}\n");
}

void fx_transfer(fx *f, int w, uint64_t s, const char *from, const char *to, long amount,
                 double inv_ms, double cmp_ms)
{
    op_head(f, w, s, inv_ms, cmp_ms, "ok", 1);
    fprintf(f->hist,
            "{\"k\":\"%s\",\"wid\":\"%d.%llu\",\"op\":\"add\",\"delta\":%ld},"
            "{\"k\":\"%s\",\"wid\":\"%d.%llu\",\"op\":\"add\",\"delta\":%ld}]}\n",
            from, w, (unsigned long long)s, -amount, to, w, (unsigned long long)s, amount);
}

void fx_raw_history(fx *f, const char *line)
{
    fputs(line, f->hist);
}

void fx_end(fx *f, double end_ms)
{
    fprintf(f->hist, "{\"type\":\"end\",\"end_ns\":%lld,\"reason\":\"completed\",\"ops\":0}\n",
            (long long)FX_NS(end_ms));
}

void fx_close_history(fx *f)
{
    if (f->hist) fclose(f->hist);
    f->hist = NULL;
}

void fx_backup(fx *f, const char *id, double req_ms, double ack_ms)
{
    fprintf(f->backups,
            "{\"type\":\"backup\",\"id\":\"%s\",\"name\":\"t-%s\",\"arn\":\"arn:aws:dynamodb:"
            "us-east-1:000000000000:table/t-src/backup/%s\",\"request_ns\":%lld,\"ack_ns\":%lld,"
            "\"creation_time_ns\":%lld,\"status\":\"CREATING\"}\n",
            id, id, id, (long long)FX_NS(req_ms), (long long)FX_NS(ack_ms),
            (long long)FX_NS(req_ms));
    fprintf(f->backups,
            "{\"type\":\"backup\",\"id\":\"%s\",\"status\":\"AVAILABLE\",\"available_ns\":%lld,"
            "\"size_bytes\":1000}\n",
            id, (long long)FX_NS(ack_ms + 500));
    fprintf(f->backups,
            "{\"type\":\"restore\",\"id\":\"%s\",\"kind\":\"backup\",\"backup\":\"%s\","
            "\"table\":\"t-r-%s\",\"requested_ns\":%lld,\"active_ns\":%lld,\"status\":\"ACTIVE\","
            "\"items\":0,\"scan_s\":0.1,\"scan_rcu\":2.5,\"snapshot\":\"snapshots/%s.jsonl\"}\n",
            id, id, id, (long long)FX_NS(ack_ms + 600), (long long)FX_NS(ack_ms + 900), id);
}

void fx_pitr(fx *f, const char *id, double t_ms)
{
    fprintf(f->backups,
            "{\"type\":\"restore\",\"id\":\"%s\",\"kind\":\"pitr\",\"pitr_time_ns\":%lld,"
            "\"table\":\"t-p-%s\",\"status\":\"ACTIVE\",\"snapshot\":\"snapshots/%s.jsonl\"}\n",
            id, (long long)FX_NS(t_ms), id, id);
}

void fx_backups_raw(fx *f, const char *line)
{
    fputs(line, f->backups);
}

void fx_close(fx *f)
{
    fx_close_history(f);
    if (f->backups) fclose(f->backups);
    f->backups = NULL;
}

int fx_cleanup(void **state)
{
    (void)state;
    if (!fx_base_dir[0]) return 0;
    const char *keep = getenv("BACKCHECK_KEEP_TEST_DIRS");
    if (keep && *keep && strcmp(keep, "0") != 0) {
        fprintf(stderr, "kept the test run directories in %s\n", fx_base_dir);
        return 0;
    }
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", fx_base_dir);
    return system(cmd) == 0 ? 0 : -1;
}

FILE *fx_snap(fx *f, const char *id)
{
    char p[400];
    snprintf(p, sizeof p, "%s/snapshots/%s.jsonl", f->dir, id);
    return fopen(p, "w");
}

FILE *fx_snap_append(fx *f, const char *id)
{
    char p[400];
    snprintf(p, sizeof p, "%s/snapshots/%s.jsonl", f->dir, id);
    return fopen(p, "a");
}

void fx_item(FILE *s, const char *key, const char *wid)
{
    char pay[FX_PAY_LEN + 1];
    bc_payload(FX_SEED, key, wid, FX_PAY_LEN, pay);
    fx_item_pay(s, key, wid, pay);
}

void fx_item_pay(FILE *s, const char *key, const char *wid, const char *pay)
{
    fprintf(s,
            "{\"pk\":{\"S\":\"%s\"},\"wid\":{\"S\":\"%s\"},\"ver\":{\"N\":\"1\"},"
            "\"pay\":{\"S\":\"%s\"}}\n",
            key, wid, pay);
}

void fx_item_ids(FILE *s, const char *key, const char *wid, const char *const *ids, int n)
{
    fprintf(s, "{\"pk\":{\"S\":\"%s\"},\"wid\":{\"S\":\"%s\"},\"ids\":{\"L\":[", key, wid);
    for (int i = 0; i < n; i++)
        fprintf(s, "%s{\"S\":\"%s\"}", i ? "," : "", ids[i]);
    fprintf(s, "]}}\n");
}

void fx_item_bal(FILE *s, const char *key, const char *wid, long bal)
{
    fprintf(s, "{\"pk\":{\"S\":\"%s\"},\"wid\":{\"S\":\"%s\"},\"bal\":{\"N\":\"%ld\"}}\n", key, wid,
            bal);
}

cJSON *fx_results(fx *f)
{
    char p[400];
    snprintf(p, sizeof p, "%s/results.json", f->dir);
    FILE *r = fopen(p, "r");
    if (!r) return NULL;
    static char buf[1 << 20];
    size_t n = fread(buf, 1, sizeof buf - 1, r);
    fclose(r);
    buf[n] = '\0';
    return chk_json_parse(buf, n);
}

int fx_count(const cJSON *target, const char *kind, const char *severity)
{
    int n = 0;
    const cJSON *x;
    cJSON_ArrayForEach(x, cJSON_GetObjectItemCaseSensitive(target, "findings"))
    {
        const cJSON *k = cJSON_GetObjectItemCaseSensitive(x, "kind");
        const cJSON *s = cJSON_GetObjectItemCaseSensitive(x, "severity");
        if (strcmp(k->valuestring, kind) == 0 &&
            (!severity || strcmp(s->valuestring, severity) == 0))
            n++;
    }
    return n;
}

const cJSON *fx_find(const cJSON *target, const char *kind)
{
    const cJSON *x;
    cJSON_ArrayForEach(x, cJSON_GetObjectItemCaseSensitive(target, "findings"))
    {
        if (strcmp(cJSON_GetObjectItemCaseSensitive(x, "kind")->valuestring, kind) == 0) return x;
    }
    return NULL;
}
