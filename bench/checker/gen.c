/*
 * gen.c - writes a synthetic run directory for benchmarking the check stage: N operations
 * in the journal's exact line format (docs/formats.md) from 16 workers over keys they
 * own (puts, versioned updates, 10% two-item transactions), one backup requested halfway,
 * and its snapshot (the state at the request instant, every payload right), so the check
 * must pass.
 *
 *   chk_bench_gen OUT_DIR OPS [KEYS]
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "util/payload.h"
#include "util/pcg32.h"

#define GEN_WORKERS 16
#define GEN_PAY_LEN 32
#define GEN_T0 1700000000000000000LL
#define GEN_OP_NS 2000000LL /* one op per worker every 2 ms of simulated time */

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: %s OUT_DIR OPS [KEYS]\n", argv[0]);
        return 2;
    }
    const char *dir = argv[1];
    long ops = atol(argv[2]);
    long keys = argc > 3 ? atol(argv[3]) : ops / 10;
    long kpw = keys / GEN_WORKERS > 0 ? keys / GEN_WORKERS : 1;
    char p[4200];
    mkdir(dir, 0755);
    snprintf(p, sizeof p, "%s/snapshots", dir);
    mkdir(p, 0755);
    snprintf(p, sizeof p, "%s/scenario.json", dir);
    FILE *f = fopen(p, "w");
    if (!f) {
        perror(p);
        return 1;
    }
    fprintf(f, "{\"name\":\"bench\",\"seed\":7,\"guarantee\":\"aws-documented\","
               "\"table\":{\"hash_key\":\"pk\"}}\n");
    fclose(f);
    snprintf(p, sizeof p, "%s/history.jsonl", dir);
    FILE *h = fopen(p, "w");
    static char hbuf[1 << 20];
    setvbuf(h, hbuf, _IOFBF, sizeof hbuf);
    fprintf(h,
            "{\"type\":\"meta\",\"format\":1,\"backcheck_version\":\"0.1.0\",\"run_id\":\"bench\","
            "\"scenario\":\"bench\",\"seed\":7,\"table\":\"bench-src\",\"hash_key\":\"pk\","
            "\"start_ns\":%lld,\"target\":{\"kind\":\"embedded\"},\"workloads\":[{\"index\":0,"
            "\"type\":\"register\",\"threads\":%d,\"first_worker\":0,\"item_bytes\":%d}]}\n",
            GEN_T0, GEN_WORKERS, GEN_PAY_LEN);
    long per_worker = ops / GEN_WORKERS;
    int64_t cut = GEN_T0 + (per_worker / 2) * GEN_OP_NS + GEN_OP_NS / 3;
    /* Per key: the last write completed before the cut, and the version counter. */
    uint64_t *last = calloc((size_t)(kpw * GEN_WORKERS), sizeof *last);
    int64_t *ver = calloc((size_t)(kpw * GEN_WORKERS), sizeof *ver);
    int64_t *lastver = calloc((size_t)(kpw * GEN_WORKERS), sizeof *lastver);
    pcg32 rng;
    pcg32_seed(&rng, 7, 1);
    for (long i = 0; i < per_worker; i++) {
        for (int w = 0; w < GEN_WORKERS; w++) {
            uint64_t s = (uint64_t)i + 1;
            int64_t inv = GEN_T0 + i * GEN_OP_NS + w * 1000, cmp = inv + 40000;
            int txn = pcg32_bounded(&rng, 10) == 0;
            long k1 = (long)pcg32_bounded(&rng, (uint32_t)kpw);
            long k2 = (k1 + 1) % kpw;
            long id1 = w * kpw + k1, id2 = w * kpw + k2;
            fprintf(h,
                    "{\"type\":\"op\",\"w\":%d,\"s\":%llu,\"wl\":\"register\",\"wi\":0,"
                    "\"f\":\"%s\",\"intended_ns\":%lld,\"invoke_ns\":%lld,\"complete_ns\":%lld,"
                    "\"mono_ns\":40000,\"outcome\":\"ok\",\"err\":null,\"attempts\":1,"
                    "\"wcu\":%s,\"rcu\":0%s,\"writes\":[",
                    w, (unsigned long long)s, txn ? "txn" : "update", (long long)inv,
                    (long long)inv, (long long)cmp, txn ? "4" : "1", txn ? ",\"txn\":true" : "");
            ver[id1]++;
            fprintf(h, "{\"k\":\"reg/%d/%ld\",\"wid\":\"%d.%llu\",\"op\":\"update\",\"ver\":%lld}",
                    w, k1, w, (unsigned long long)s, (long long)ver[id1]);
            if (cmp < cut) {
                last[id1] = s;
                lastver[id1] = ver[id1];
            }
            if (txn && k2 != k1) {
                ver[id2]++;
                fprintf(
                    h, ",{\"k\":\"reg/%d/%ld\",\"wid\":\"%d.%llu\",\"op\":\"update\",\"ver\":%lld}",
                    w, k2, w, (unsigned long long)s, (long long)ver[id2]);
                if (cmp < cut) {
                    last[id2] = s;
                    lastver[id2] = ver[id2];
                }
            }
            fputs("]}\n", h);
        }
    }
    int64_t end = GEN_T0 + per_worker * GEN_OP_NS + GEN_OP_NS;
    fprintf(h, "{\"type\":\"end\",\"end_ns\":%lld,\"reason\":\"completed\",\"ops\":%ld}\n",
            (long long)end, per_worker * GEN_WORKERS);
    fclose(h);

    snprintf(p, sizeof p, "%s/backups.jsonl", dir);
    f = fopen(p, "w");
    fprintf(f,
            "{\"type\":\"backup\",\"id\":\"b1\",\"arn\":\"arn:bench\",\"request_ns\":%lld,"
            "\"ack_ns\":%lld,\"creation_time_ns\":%lld,\"status\":\"AVAILABLE\","
            "\"available_ns\":%lld,\"size_bytes\":1000000}\n"
            "{\"type\":\"restore\",\"id\":\"b1\",\"kind\":\"backup\",\"backup\":\"b1\","
            "\"requested_ns\":%lld,\"active_ns\":%lld,\"status\":\"ACTIVE\","
            "\"snapshot\":\"snapshots/b1.jsonl\"}\n",
            (long long)cut, (long long)cut + 20000000, (long long)cut, (long long)cut + 500000000,
            (long long)end, (long long)end + 1000000000);
    fclose(f);
    snprintf(p, sizeof p, "%s/snapshots/b1.jsonl", dir);
    f = fopen(p, "w");
    setvbuf(f, hbuf, _IOFBF, sizeof hbuf);
    char key[64], wid[32], pay[GEN_PAY_LEN + 1];
    for (int w = 0; w < GEN_WORKERS; w++)
        for (long k = 0; k < kpw; k++) {
            long id = w * kpw + k;
            if (!last[id]) continue;
            snprintf(key, sizeof key, "reg/%d/%ld", w, k);
            snprintf(wid, sizeof wid, "%d.%llu", w, (unsigned long long)last[id]);
            bc_payload(7, key, wid, GEN_PAY_LEN, pay);
            fprintf(f,
                    "{\"pk\":{\"S\":\"%s\"},\"wid\":{\"S\":\"%s\"},\"ver\":{\"N\":\"%lld\"},"
                    "\"pay\":{\"S\":\"%s\"}}\n",
                    key, wid, (long long)lastver[id], pay);
        }
    fclose(f);
    free(last);
    free(ver);
    free(lastver);
    return 0;
}
