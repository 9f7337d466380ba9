/*
 * cli.c - the `backcheck` command line (see cli.h).
 *
 * Commands and their options are tables: the parser, the one-line errors ("backcheck
 * run: unknown option --sed (see backcheck run --help)", exit 2) and each --help text
 * are generated from them. `compare` and `serve` hand their arguments to the module
 * that owns them (reports, emulator), which parses its own.
 */
#include "harness/cli.h"

#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "checkers/checker.h"
#include "ddb/ddb.h"
#include "emulator/emu.h"
#include "harness/run.h"
#include "harness/scenario.h"
#include "harness/target.h"
#include "reports/pricing.h"
#include "reports/report.h"
#include "util/log.h"
#include "workloads/workload.h"

#define CLI_MAX_OPTS 16
/* Most positional arguments: `compare` takes up to 64 runs (CMP_MAX_RUNS, reports). */
#define CLI_MAX_POS 64

typedef struct cli_opt {
    const char *name; /* without the leading "--" */
    const char *arg;  /* metavariable, NULL for a flag */
    const char *help;
} cli_opt;

typedef struct cli_args {
    const struct cli_cmd *cmd;
    const char *val[CLI_MAX_OPTS]; /* option values; flags get "1" */
    int npos;
    const char *pos[CLI_MAX_POS];
} cli_args;

typedef struct cli_cmd {
    const char *name;
    const char *usage; /* positional part */
    const char *summary;
    int min_pos, max_pos;
    const cli_opt *opts;
    int (*fn)(const cli_args *a);
    int passthrough;      /* hands argv to the owning module */
    const char *examples; /* lines of "command  # what it does" */
} cli_cmd;

static const char *get(const cli_args *a, const char *name)
{
    for (int i = 0; a->cmd->opts && a->cmd->opts[i].name; i++)
        if (strcmp(a->cmd->opts[i].name, name) == 0) return a->val[i];
    return NULL;
}

static int usage_error(const cli_cmd *c, const char *fmt, const char *what)
{
    fprintf(stderr, "backcheck%s%s: ", c ? " " : "", c ? c->name : "");
    fprintf(stderr, fmt, what);
    fprintf(stderr, " (see backcheck%s%s --help)\n", c ? " " : "", c ? c->name : "");
    return CLI_EXIT_USAGE;
}

/* ---- option tables ---- */

/* Help texts: a "\n" starts a continuation line, indented under the first. */
static const cli_opt run_opts_tab[] = {
    {"out", "DIR",
     "write the run directory under DIR/SCENARIO/ (default\n"
     "runs/)"},
    {"endpoint", "URL",
     "send requests to URL, e.g. http://127.0.0.1:8000 (implies\n"
     "--target endpoint). Credentials: AWS_ACCESS_KEY_ID/... or\n"
     "a profile; for a loopback URL without any, the ones\n"
     "backcheck serve accepts by default"},
    {"target", "KIND",
     "where to run (overrides the scenario's target.kind):\n"
     "embedded  the built-in emulator, in-process (default)\n"
     "endpoint  the server at --endpoint URL\n"
     "moto      starts moto_server on a free loopback port\n"
     "aws       real DynamoDB (needs --allow-aws)"},
    {"seed", "N",
     "seed of every random choice (default: the scenario's,\n"
     "else a new one; the seed used is in log.txt and the\n"
     "run's scenario.json)"},
    {"duration", "S",
     "seconds of workload (overrides duration_s; each timed\n"
     "backup must still fall inside it)"},
    {"profile", "P",
     "what the check holds backups to (overrides the\n"
     "scenario's guarantee):\n"
     "aws-documented  what AWS documents: a cut within 60 s\n"
     "                of the request, transactions may be torn\n"
     "strict          one instant cut, transactions atomic"},
    {"keep", NULL,
     "leave the run's tables and backups on the target (list\n"
     "and remove them later with backcheck cleanup)"},
    {"allow-aws", NULL,
     "allow --target aws: the run creates real tables and\n"
     "backups, which cost money"},
    {"max-usd", "X",
     "refuse an AWS run whose estimated cost is above X\n"
     "dollars (default: the scenario's budget.max_usd, 1.0)"},
    {"pricing", "FILE",
     "prices for the estimates, in the format of\n"
     "reports/pricing.json (the built-in prices are\n"
     "us-east-1's); kept in the run directory"},
    {"dry-run", NULL,
     "check the scenario and the options, print the resolved\n"
     "scenario (and for --target aws the cost estimate), and\n"
     "stop: nothing is sent, no run directory is made"},
    {"quiet", NULL, "print only the verdict line and errors"},
    {"verbose", NULL,
     "print debug lines: each of the run's own requests\n"
     "(tables, backups, restores, their polls), and each\n"
     "worker request that was retried or did not succeed"},
    {NULL, NULL, NULL}};

static const cli_opt check_opts_tab[] = {
    {"profile", "P",
     "aws-documented | strict: check against this guarantee\n"
     "profile instead of the one the run was made with"},
    {"pricing", "FILE",
     "prices for costs.usd (default: the run directory's\n"
     "pricing.json, else the built-in us-east-1 prices)"},
    {"quiet", NULL, "print only errors (the exit code is still the verdict)"},
    {NULL, NULL, NULL}};

static const cli_opt report_opts_tab[] = {
    {"format", "F", "html | md | junit | json (default md)"},
    {"output", "FILE", "write to FILE instead of standard output"},
    {NULL, NULL, NULL}};

/* `compare` is parsed by the reports module (rep_compare_main); this table gives its
 * help and lets an unknown option be refused in one line, like every other command's. */
static const cli_opt compare_opts_tab[] = {
    {"threshold", "PCT",
     "a cut width or a backup or restore duration that grew\n"
     "by more than PCT percent is a regression (default 20)"},
    {"format", "F", "text | md (default text)"},
    {NULL, NULL, NULL}};

static const cli_opt cleanup_opts_tab[] = {
    {"endpoint", "URL",
     "the endpoint to clean, e.g. http://127.0.0.1:8000\n"
     "(implies --target endpoint)"},
    {"target", "KIND",
     "endpoint | aws (aws: region and credentials from\n"
     "AWS_REGION, AWS_ACCESS_KEY_ID/... or the profile)"},
    {"prefix", "P",
     "only names that start with P (default backcheck-, as\n"
     "every table and backup a run makes)"},
    {"yes", NULL, "delete what is listed (without it, only list)"},
    {NULL, NULL, NULL}};

static const cli_opt scenarios_opts_tab[] = {
    {"dir", "DIR",
     "list the scenarios in DIR (default: $BACKCHECK_SCENARIOS,\n"
     "else ./scenarios, else the source tree's)"},
    {"fields", NULL, "print every scenario field, its type and default (md)"},
    {"workloads", NULL, "list the workload types a scenario can use"},
    {"faults", NULL, "list the fault kinds a scenario can inject"},
    {NULL, NULL, NULL}};
/* ---- commands ---- */

static int parse_double(const char *s, double *out)
{
    char *end;
    errno = 0;
    double d = strtod(s, &end);
    if (errno || end == s || *end) return -1;
    *out = d;
    return 0;
}

/* A --pricing file must load (any region): a bad one is an error before anything runs. */
static int check_pricing_file(const char *path)
{
    rep_pricing p;
    char e[512];
    if (rep_pricing_load(path, NULL, &p, e, sizeof e) == 0) return 0;
    fprintf(stderr, "backcheck: --pricing: %s\n", e);
    return -1;
}

static int cmd_run(const cli_args *a)
{
    run_opts o;
    memset(&o, 0, sizeof o);
    o.scenario_path = a->pos[0];
    o.out_dir = get(a, "out") ? get(a, "out") : "runs";
    o.endpoint = get(a, "endpoint");
    o.target_kind = get(a, "target");
    o.profile = get(a, "profile");
    o.pricing = get(a, "pricing");
    o.keep = get(a, "keep") != NULL;
    o.allow_aws = get(a, "allow-aws") != NULL;
    o.dry_run = get(a, "dry-run") != NULL;
    o.quiet = get(a, "quiet") != NULL;
    o.verbose = get(a, "verbose") != NULL;
    if (o.target_kind && strcmp(o.target_kind, "embedded") && strcmp(o.target_kind, "endpoint") &&
        strcmp(o.target_kind, "moto") && strcmp(o.target_kind, "aws"))
        return usage_error(a->cmd, "--target: \"%s\" is not one of embedded, endpoint, moto, aws",
                           o.target_kind);
    if (o.profile && strcmp(o.profile, "aws-documented") && strcmp(o.profile, "strict"))
        return usage_error(a->cmd, "--profile: \"%s\" is not one of aws-documented, strict",
                           o.profile);
    const char *s;
    if ((s = get(a, "seed"))) {
        char *end;
        errno = 0;
        unsigned long long v = strtoull(s, &end, 10);
        if (errno || end == s || *end || s[0] == '-')
            return usage_error(a->cmd, "--seed: \"%s\" is not a non-negative integer", s);
        o.seed = v;
        o.seed_set = 1;
    }
    if ((s = get(a, "duration")) && (parse_double(s, &o.duration_s) || !(o.duration_s > 0)))
        return usage_error(a->cmd, "--duration: \"%s\" is not a positive number of seconds", s);
    if ((s = get(a, "max-usd"))) {
        if (parse_double(s, &o.max_usd) || o.max_usd < 0)
            return usage_error(a->cmd, "--max-usd: \"%s\" is not a non-negative amount", s);
        o.max_usd_set = 1;
    }
    if (o.pricing && check_pricing_file(o.pricing) != 0) return CLI_EXIT_USAGE;
    if (o.quiet) bc_log_set_level(BC_LOG_WARN);
    if (o.verbose) bc_log_set_level(BC_LOG_DEBUG);
    return run_main(&o);
}

static int cmd_check(const cli_args *a)
{
    chk_options co = {.profile = get(a, "profile"),
                      .pricing = get(a, "pricing"),
                      .quiet = get(a, "quiet") != NULL};
    if (co.profile && strcmp(co.profile, "aws-documented") && strcmp(co.profile, "strict"))
        return usage_error(a->cmd, "--profile: \"%s\" is not one of aws-documented, strict",
                           co.profile);
    if (co.pricing && check_pricing_file(co.pricing) != 0) return CLI_EXIT_USAGE;
    chk_summary sum;
    memset(&sum, 0, sizeof sum);
    char err[1024] = "";
    chk_verdict v = chk_run_dir(a->pos[0], &co, &sum, err, sizeof err);
    if (v == CHK_ERROR) {
        fprintf(stderr, "backcheck check: %s\n", err[0] ? err : "could not check");
        return CHK_ERROR;
    }
    if (rep_write_all(a->pos[0], err, sizeof err) != 0)
        fprintf(stderr, "backcheck check: reports: %s\n", err);
    if (!co.quiet) {
        char line[200];
        chk_summary_text(&sum, line, sizeof line);
        printf("%s: %s\n", a->pos[0], line);
    }
    return (int)v;
}

static int cmd_report(const cli_args *a)
{
    const char *fmt = get(a, "format") ? get(a, "format") : "md";
    if (strcmp(fmt, "html") && strcmp(fmt, "md") && strcmp(fmt, "junit") && strcmp(fmt, "json"))
        return usage_error(a->cmd, "--format: \"%s\" is not one of html, md, junit, json", fmt);
    const char *outp = get(a, "output");
    FILE *out = stdout;
    if (outp && !(out = fopen(outp, "w"))) {
        fprintf(stderr, "backcheck report: %s: %s\n", outp, strerror(errno));
        return 2;
    }
    char err[1024] = "";
    int rc = rep_render(a->pos[0], fmt, out, err, sizeof err);
    if (out != stdout && fclose(out) != 0) rc = -1;
    if (rc != 0) {
        fprintf(stderr, "backcheck report: %s\n", err[0] ? err : "could not render");
        return 2;
    }
    return 0;
}

/* Finds the scenario directory: --dir, $BACKCHECK_SCENARIOS, ./scenarios, or the
 * source tree's (for a build run in place). */
static const char *scenario_dir(const cli_args *a, char *buf, size_t n)
{
    if (get(a, "dir")) return get(a, "dir");
    const char *env = getenv("BACKCHECK_SCENARIOS");
    if (env && *env) return env;
    if (access("scenarios", R_OK) == 0) return "scenarios";
#ifdef BACKCHECK_SOURCE_DIR
    snprintf(buf, n, "%s/scenarios", BACKCHECK_SOURCE_DIR);
    return buf;
#else
    (void)buf;
    (void)n;
    return "scenarios";
#endif
}

static int by_name(const void *x, const void *y)
{
    return strcmp(*(char *const *)x, *(char *const *)y);
}

/* The width `scenarios` wraps its descriptions to on a terminal. */
#define SCENARIOS_WIDTH 80

/* Prints text's words filling lines up to `width` columns, the cursor already at column
 * `indent`, each later line indented by `indent`; a word longer than a line has a line of
 * its own. */
static void print_words(const char *text, int indent, int width)
{
    int col = indent;
    for (const char *p = text; *p;) {
        while (*p == ' ')
            p++;
        size_t n = strcspn(p, " ");
        if (!n) break;
        if (col > indent && col + 1 + (int)n > width) {
            printf("\n%*s", indent, "");
            col = indent;
        }
        if (col > indent) {
            putchar(' ');
            col++;
        }
        printf("%.*s", (int)n, p);
        col += (int)n;
        p += n;
    }
    putchar('\n');
}

static int cmd_scenarios(const cli_args *a)
{
    if (get(a, "fields")) {
        sc_print_reference(stdout);
        return 0;
    }
    if (get(a, "workloads")) {
        for (const wl_ops *const *w = wl_registry; *w; w++)
            printf("%-10s %s\n", (*w)->name, (*w)->help ? (*w)->help : "");
        return 0;
    }
    if (get(a, "faults")) {
        for (const sc_fault_kind *k = sc_fault_kinds; k->name; k++)
            printf("%-17s %-8s %s\n", k->name, k->side == SC_FAULT_TARGET ? "emulator" : "harness",
                   k->help);
        return 0;
    }
    char buf[1024];
    const char *dir = scenario_dir(a, buf, sizeof buf);
    DIR *d = opendir(dir);
    if (!d) {
        fprintf(stderr, "backcheck scenarios: %s: %s\n", dir, strerror(errno));
        return 2;
    }
    char *names[512];
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) && n < 512) {
        size_t len = strlen(e->d_name);
        if (len > 5 && strcmp(e->d_name + len - 5, ".json") == 0) names[n++] = strdup(e->d_name);
    }
    closedir(d);
    qsort(names, (size_t)n, sizeof names[0], by_name);
    sc_hooks hooks = {NULL, NULL, NULL};
    int bad = 0, tty = isatty(STDOUT_FILENO);
    for (int i = 0; i < n; i++) {
        char path[2048], err[512];
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        scenario *sc;
        if (sc_load_file(path, &hooks, &sc, err, sizeof err) != 0) {
            printf("%-20s (invalid: %s)\n", names[i], err);
            bad = 1;
        } else {
            char text[2200];
            snprintf(text, sizeof text, "%s%s%s%s", sc->description,
                     sc->expect[0] ? " [expect: " : "", sc->expect, sc->expect[0] ? "]" : "");
            if (tty) {
                /* On a terminal, the description wrapped under its own column. */
                if (strlen(sc->name) > 20)
                    printf("%s\n%21s", sc->name, "");
                else
                    printf("%-20s ", sc->name);
                print_words(text, 21, SCENARIOS_WIDTH);
            } else {
                printf("%-20s %s\n", sc->name, text); /* one line a scenario, for grep */
            }
            sc_free(sc);
        }
        free(names[i]);
    }
    return bad ? 2 : 0;
}

/* ---- cleanup ---- */

static int has_prefix(const char *s, const char *p)
{
    return s && strncmp(s, p, strlen(p)) == 0;
}

/* Deletes one leftover (op is DeleteBackup or DeleteTable, key its name field); prints
 * the outcome. 0 or -1. */
static int cleanup_delete(ddb_client *c, const char *op, const char *key, const char *val,
                          const char *what)
{
    cJSON *d = cJSON_CreateObject();
    cJSON_AddStringToObject(d, key, val);
    ddb_result dr;
    int rc = 0;
    if (ddb_call(c, op, d, &dr) != DDB_OK) {
        fprintf(stderr, "backcheck cleanup: %s %s: %s %s\n", op, what, dr.err_type, dr.err_message);
        rc = -1;
    } else {
        printf("deleted %s\n", what);
    }
    ddb_result_free(&dr);
    cJSON_Delete(d);
    return rc;
}

static int cmd_cleanup(const cli_args *a)
{
    const char *prefix = get(a, "prefix") ? get(a, "prefix") : "backcheck-";
    const char *endpoint = get(a, "endpoint");
    const char *kind = get(a, "target") ? get(a, "target") : (endpoint ? "endpoint" : NULL);
    if (!kind) return usage_error(a->cmd, "%s", "needs --endpoint URL or --target aws");
    if (strcmp(kind, "endpoint") && strcmp(kind, "aws"))
        return usage_error(a->cmd,
                           "--target: \"%s\" is not one of endpoint, aws (an embedded "
                           "or moto target ends with its run)",
                           kind);
    if (!prefix[0]) return usage_error(a->cmd, "%s", "--prefix must not be empty");
    ddb_config cfg;
    char err[512];
    memset(&cfg, 0, sizeof cfg);
    if (ddb_config_resolve(&cfg, endpoint, err, sizeof err) != DDB_OK) {
        if (!(endpoint && ddb_url_is_loopback(endpoint))) {
            fprintf(stderr, "backcheck cleanup: %s\n", err);
            return 2;
        }
        ddb_config_defaults(&cfg);
        snprintf(cfg.endpoint, sizeof cfg.endpoint, "%s", endpoint);
        snprintf(cfg.region, sizeof cfg.region, "us-east-1");
        /* As a run does (target.c): `backcheck serve`'s default credentials. */
        snprintf(cfg.creds.access_key_id, sizeof cfg.creds.access_key_id, "%s",
                 TGT_EMBEDDED_KEY_ID);
        snprintf(cfg.creds.secret_access_key, sizeof cfg.creds.secret_access_key, "%s",
                 TGT_EMBEDDED_SECRET);
    }
    ddb_client *c = ddb_client_new(&cfg);
    if (!c) return 2;
    int yes = get(a, "yes") != NULL, found = 0, deleted = 0, failed = 0, unlisted = 0;
    /* Backups first: a table's backups outlive it, and their names carry the prefix. */
    cJSON *start = NULL;
    do {
        cJSON *req = cJSON_CreateObject();
        if (start) cJSON_AddStringToObject(req, "ExclusiveStartBackupArn", start->valuestring);
        cJSON_Delete(start);
        start = NULL;
        ddb_result r;
        if (ddb_call(c, "ListBackups", req, &r) != DDB_OK) {
            fprintf(stderr, "backcheck cleanup: ListBackups: %s %s\n", r.err_type, r.err_message);
            unlisted = 1;
            ddb_result_free(&r);
            cJSON_Delete(req);
            break;
        }
        const cJSON *s;
        cJSON_ArrayForEach(s, cJSON_GetObjectItemCaseSensitive(r.body, "BackupSummaries"))
        {
            const char *name =
                cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(s, "BackupName"));
            const char *arn =
                cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(s, "BackupArn"));
            if (!arn || !has_prefix(name, prefix)) continue;
            found++;
            char what[1200];
            snprintf(what, sizeof what, "backup %s %s", name, arn);
            if (!yes)
                printf("%s (would delete)\n", what);
            else if (cleanup_delete(c, "DeleteBackup", "BackupArn", arn, what) != 0)
                failed++;
            else
                deleted++;
        }
        const cJSON *last = cJSON_GetObjectItemCaseSensitive(r.body, "LastEvaluatedBackupArn");
        if (cJSON_IsString(last)) start = cJSON_CreateString(last->valuestring);
        ddb_result_free(&r);
        cJSON_Delete(req);
    } while (start);
    do {
        cJSON *req = cJSON_CreateObject();
        if (start) cJSON_AddStringToObject(req, "ExclusiveStartTableName", start->valuestring);
        cJSON_Delete(start);
        start = NULL;
        ddb_result r;
        if (ddb_call(c, "ListTables", req, &r) != DDB_OK) {
            fprintf(stderr, "backcheck cleanup: ListTables: %s %s\n", r.err_type, r.err_message);
            unlisted = 1;
            ddb_result_free(&r);
            cJSON_Delete(req);
            break;
        }
        const cJSON *t;
        cJSON_ArrayForEach(t, cJSON_GetObjectItemCaseSensitive(r.body, "TableNames"))
        {
            if (!cJSON_IsString(t) || !has_prefix(t->valuestring, prefix)) continue;
            found++;
            char what[600];
            snprintf(what, sizeof what, "table %s", t->valuestring);
            if (!yes)
                printf("%s (would delete)\n", what);
            else if (cleanup_delete(c, "DeleteTable", "TableName", t->valuestring, what) != 0)
                failed++;
            else
                deleted++;
        }
        const cJSON *last = cJSON_GetObjectItemCaseSensitive(r.body, "LastEvaluatedTableName");
        if (cJSON_IsString(last)) start = cJSON_CreateString(last->valuestring);
        ddb_result_free(&r);
        cJSON_Delete(req);
    } while (start);
    ddb_client_free(c);
    /* A listing that failed proves nothing: never claim there is nothing left. */
    if (!found && !unlisted)
        printf("nothing named %s*\n", prefix);
    else if (found && !yes)
        printf("%d found; run again with --yes to delete them\n", found);
    else if (found)
        printf("%d deleted%s\n", deleted, failed ? ", the rest could not be (see above)" : "");
    return failed || unlisted ? 2 : 0;
}

static int cmd_serve(const cli_args *a)
{
    (void)a;
    return 0; /* passthrough: see cli_main */
}

static const cli_cmd commands[] = {
    {"run", "SCENARIO", "run a scenario end to end and check it (exit code = verdict)", 1, 1,
     run_opts_tab, cmd_run, 0,
     "backcheck run scenarios/quick.json   # built-in emulator, no AWS needed\n"
     "backcheck run scenarios/quick.json --seed 7 --duration 30\n"
     "backcheck run scenarios/quick.json --target moto\n"
     "backcheck run scenarios/quick.json --endpoint http://127.0.0.1:8000 --keep\n"
     "backcheck run scenarios/quick.json --target aws --dry-run  # estimate only\n"
     "backcheck run scenarios/quick.json --target aws --allow-aws --max-usd 0.5\n"
     "(the run directory, runs/SCENARIO/latest, holds the history, the backups,\n"
     "the restored snapshots, results.json and the reports)"},
    {"check", "RUN_DIR", "re-run the check stage on a run directory (exit code = verdict)", 1, 1,
     check_opts_tab, cmd_check, 0,
     "backcheck check runs/quick/latest\n"
     "backcheck check runs/quick/latest --profile strict   # a stricter profile"},
    {"report", "RUN_DIR", "render a run's report (html, md, junit, json)", 1, 1, report_opts_tab,
     cmd_report, 0,
     "backcheck report runs/quick/latest   # markdown on the terminal\n"
     "backcheck report runs/quick/latest --format html --output quick.html\n"
     "(a run already writes report.html, report.md and junit.xml into its directory)"},
    {"compare", "RUN_DIR...", "compare runs, the first as the baseline (a regression exits 1)", 1,
     CLI_MAX_POS, compare_opts_tab, NULL, 1,
     "backcheck compare runs/quick/20261101T120000Z-1a2b3c runs/quick/latest\n"
     "backcheck compare baseline/ runs/quick/latest --threshold 10 --format md"},
    {"serve", "[options]", "run the DynamoDB-compatible emulator standalone", 0, 0, NULL, cmd_serve,
     1,
     "backcheck serve --port 8000\n"
     "backcheck run scenarios/quick.json --endpoint http://127.0.0.1:8000\n"
     "backcheck serve --port 0 --fault drop:fraction=0.01   # prints its port"},
    {"cleanup", "", "list (and with --yes delete) tables and backups left by runs", 0, 0,
     cleanup_opts_tab, cmd_cleanup, 0,
     "backcheck cleanup --endpoint http://127.0.0.1:8000         # list what is left\n"
     "backcheck cleanup --endpoint http://127.0.0.1:8000 --yes   # delete it\n"
     "backcheck cleanup --target aws                              # on real AWS"},
    {"scenarios", "", "list the ready scenarios with their descriptions", 0, 0, scenarios_opts_tab,
     cmd_scenarios, 0,
     "backcheck scenarios\n"
     "backcheck scenarios --workloads\n"
     "backcheck scenarios --fields > fields.md"},
    {NULL, NULL, NULL, 0, 0, NULL, NULL, 0, NULL}};

static void print_main_help(FILE *f)
{
    fprintf(f,
            "backcheck %s - verifies the consistency of DynamoDB on-demand backups\n\n"
            "usage: backcheck COMMAND [options]\n\ncommands:\n",
            BACKCHECK_VERSION);
    for (const cli_cmd *c = commands; c->name; c++)
        fprintf(f, "  %-10s %s\n", c->name, c->summary);
    fprintf(f, "\nexamples:\n"
               "  backcheck scenarios                    # what is ready to run\n"
               "  backcheck run scenarios/quick.json     # 10 s on the built-in emulator\n"
               "  backcheck report runs/quick/latest --format html --output quick.html\n"
               "\nbackcheck COMMAND --help shows a command's options and examples;\n"
               "backcheck --version prints the version.\n"
               "exit codes: 0 pass, 1 a guarantee was violated, 2 the run could not be done,\n"
               "3 inconclusive (too little was exercised, or the run was interrupted)\n"
               "environment: CI (any value) prints plain log lines instead of a progress line;\n"
               "AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_PROFILE, AWS_REGION for the\n"
               "endpoint and aws targets.\n");
}

/* Prints text's lines, each after the first indented by `indent` (the first one
 * continues the line already started). */
static void print_wrapped(const char *text, int indent)
{
    for (const char *p = text; *p;) {
        size_t n = strcspn(p, "\n");
        if (p != text) printf("%*s", indent, "");
        printf("%.*s\n", (int)n, p);
        p += n;
        if (*p) p++;
    }
}

static void print_examples(const cli_cmd *c)
{
    if (!c->examples) return;
    printf("\nexamples:\n");
    for (const char *p = c->examples; *p;) {
        size_t n = strcspn(p, "\n");
        printf("  %.*s\n", (int)n, p);
        p += n;
        if (*p) p++;
    }
}

static void print_cmd_help(const cli_cmd *c)
{
    printf("usage: backcheck %s%s%s%s\n\n%s\n", c->name, c->usage[0] ? " " : "", c->usage,
           c->opts ? " [options]" : "", c->summary);
    if (c->opts) {
        printf("\noptions:\n");
        for (const cli_opt *o = c->opts; o->name; o++) {
            char left[64];
            snprintf(left, sizeof left, "--%s%s%s", o->name, o->arg ? " " : "",
                     o->arg ? o->arg : "");
            printf("  %-20s ", left);
            print_wrapped(o->help, 23);
        }
    }
    printf("  %-20s %s\n", "--help", "show this help");
    print_examples(c);
}

static int parse_args(const cli_cmd *c, int argc, char **argv, cli_args *a)
{
    memset(a, 0, sizeof *a);
    a->cmd = c;
    int only_pos = 0;
    for (int i = 0; i < argc; i++) {
        const char *s = argv[i];
        if (!only_pos && strcmp(s, "--") == 0) {
            only_pos = 1;
            continue;
        }
        if (!only_pos && s[0] == '-' && s[1]) {
            const char *name = s + (s[1] == '-' ? 2 : 1);
            const char *eq = strchr(name, '=');
            size_t nlen = eq ? (size_t)(eq - name) : strlen(name);
            int idx = -1;
            for (int k = 0; c->opts && c->opts[k].name; k++)
                if (strlen(c->opts[k].name) == nlen && strncmp(c->opts[k].name, name, nlen) == 0)
                    idx = k;
            if (idx < 0 || s[1] != '-') return usage_error(c, "unknown option %s", s);
            if (c->opts[idx].arg) {
                if (eq) {
                    a->val[idx] = eq + 1;
                } else {
                    if (i + 1 >= argc) return usage_error(c, "option %s needs a value", s);
                    a->val[idx] = argv[++i];
                }
            } else {
                if (eq) return usage_error(c, "option %s takes no value", s);
                a->val[idx] = "1";
            }
            continue;
        }
        if (a->npos >= c->max_pos || a->npos >= CLI_MAX_POS)
            return usage_error(c, "unexpected argument \"%s\"", s);
        a->pos[a->npos++] = s;
    }
    if (a->npos < c->min_pos) return usage_error(c, "missing %s", c->usage);
    return 0;
}

int cli_main(int argc, char **argv)
{
    if (argc < 2) {
        print_main_help(stderr);
        return CLI_EXIT_USAGE;
    }
    const char *cmd = argv[1];
    if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0 || strcmp(cmd, "help") == 0) {
        print_main_help(stdout);
        return 0;
    }
    if (strcmp(cmd, "--version") == 0 || strcmp(cmd, "version") == 0) {
        printf("backcheck %s\n", BACKCHECK_VERSION);
        return 0;
    }
    const cli_cmd *c = NULL;
    for (const cli_cmd *k = commands; k->name; k++)
        if (strcmp(k->name, cmd) == 0) c = k;
    if (!c) {
        if (cmd[0] == '-') return usage_error(NULL, "unknown option %s", cmd);
        return usage_error(NULL, "unknown command \"%s\"", cmd);
    }
    if (c->passthrough) {
        int help = 0;
        for (int i = 2; i < argc; i++)
            if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) help = 1;
        if (strcmp(c->name, "serve") == 0) {
            int rc = emu_serve_main(argc - 1, argv + 1);
            if (help && rc == 0) print_examples(c);
            return rc;
        }
        if (help) {
            print_cmd_help(c);
            return 0;
        }
        /* Unknown options are refused here, in one line; the rest is the report module's. */
        cli_args a;
        int rc = parse_args(c, argc - 2, argv + 2, &a);
        if (rc) return rc;
        return rep_compare_main(argc - 2, argv + 2);
    }
    for (int i = 2; i < argc; i++) {
        if (strcmp(argv[i], "--") == 0) break;
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            print_cmd_help(c);
            return 0;
        }
    }
    cli_args a;
    int rc = parse_args(c, argc - 2, argv + 2, &a);
    if (rc) return rc;
    return c->fn(&a);
}
