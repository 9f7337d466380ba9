/*
 * target.c - starting and stopping the target a run talks to (see target.h).
 */
#include "harness/target.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "util/clock.h"
#include "util/log.h"

static void set_deadlines(bc_target *t, const scenario *sc, double dflt)
{
    t->backup_deadline_s = sc->target.backup_deadline_s > 0 ? sc->target.backup_deadline_s : dflt;
    t->restore_deadline_s =
        sc->target.restore_deadline_s > 0 ? sc->target.restore_deadline_s : dflt;
}

static int start_embedded(bc_target *t, const scenario *sc, char *err, size_t errlen)
{
    emu_config ec;
    emu_config_defaults(&ec);
    snprintf(ec.host, sizeof ec.host, "127.0.0.1");
    ec.port = 0;
    snprintf(ec.access_key_id, sizeof ec.access_key_id, "%s", TGT_EMBEDDED_KEY_ID);
    snprintf(ec.secret_access_key, sizeof ec.secret_access_key, "%s", TGT_EMBEDDED_SECRET);
    char model[64];
    if (strcmp(sc->target.backup_model, "exact") == 0)
        snprintf(model, sizeof model, "exact");
    else
        snprintf(model, sizeof model, "aws-window:%d", sc->target.window_ms);
    if (emu_parse_cut_model(model, &ec, err, errlen)) return -1;
    ec.seed = sc->seed;
    ec.quiet = 1;
    for (int i = 0; i < sc->nfaults; i++) {
        const sc_fault *f = &sc->faults[i];
        if (f->side != SC_FAULT_TARGET || f->at_s >= 0)
            continue; /* timed faults are switched by the nemesis */
        if (ec.nfaults >= EMU_MAX_FAULTS) {
            snprintf(err, errlen, "faults: more than %d emulator faults", EMU_MAX_FAULTS);
            return -1;
        }
        snprintf(ec.faults[ec.nfaults++], sizeof ec.faults[0], "%s", f->spec);
    }
    if (emu_start(&ec, &t->emu, err, errlen)) return -1;
    ddb_config_defaults(&t->cfg);
    snprintf(t->cfg.endpoint, sizeof t->cfg.endpoint, "%s", emu_endpoint(t->emu));
    snprintf(t->cfg.region, sizeof t->cfg.region, "us-east-1");
    snprintf(t->cfg.creds.access_key_id, sizeof t->cfg.creds.access_key_id, "%s",
             TGT_EMBEDDED_KEY_ID);
    snprintf(t->cfg.creds.secret_access_key, sizeof t->cfg.creds.secret_access_key, "%s",
             TGT_EMBEDDED_SECRET);
    snprintf(t->cfg.creds.source, sizeof t->cfg.creds.source, "static");
    t->cfg.jitter_seed = sc->seed;
    set_deadlines(t, sc, TGT_EMBEDDED_DEADLINE_S);
    t->poll_cap_s = 0.2;
    t->loopback = 1;
    return 0;
}

/* Resolves configuration for an endpoint/AWS target. A loopback endpoint gets, when the
 * chain has no credentials, the ones `backcheck serve` accepts by default: that server
 * checks signatures, and the other local emulators (moto, dynalite) accept anything. */
static int resolve_config(bc_target *t, const scenario *sc, const char *endpoint, char *err,
                          size_t errlen)
{
    char e[512];
    memset(&t->cfg, 0, sizeof t->cfg);
    ddb_err rc = ddb_config_resolve(&t->cfg, endpoint && *endpoint ? endpoint : NULL, e, sizeof e);
    int loop = endpoint && *endpoint && ddb_url_is_loopback(endpoint);
    if (rc != DDB_OK) {
        if (!loop) {
            snprintf(err, errlen, "%s", e);
            return -1;
        }
        /* Fill what the chain could not: a local emulator accepts anything. */
        ddb_config_defaults(&t->cfg);
        snprintf(t->cfg.endpoint, sizeof t->cfg.endpoint, "%s", endpoint);
        if (!t->cfg.region[0]) snprintf(t->cfg.region, sizeof t->cfg.region, "us-east-1");
        if (!t->cfg.creds.access_key_id[0] || !t->cfg.creds.secret_access_key[0]) {
            snprintf(t->cfg.creds.access_key_id, sizeof t->cfg.creds.access_key_id, "%s",
                     TGT_EMBEDDED_KEY_ID);
            snprintf(t->cfg.creds.secret_access_key, sizeof t->cfg.creds.secret_access_key, "%s",
                     TGT_EMBEDDED_SECRET);
            snprintf(t->cfg.creds.source, sizeof t->cfg.creds.source,
                     "loopback default, as backcheck serve's");
        }
    }
    if (sc->target.region[0] && !(endpoint && *endpoint))
        snprintf(t->cfg.region, sizeof t->cfg.region, "%s", sc->target.region);
    t->cfg.jitter_seed = sc->seed;
    t->loopback = loop;
    return 0;
}

static int free_loopback_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) return -1;
    struct sockaddr_in a = {0};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = 0;
    socklen_t len = sizeof a;
    int port = -1;
    if (bind(fd, (struct sockaddr *)&a, sizeof a) == 0 &&
        getsockname(fd, (struct sockaddr *)&a, &len) == 0)
        port = ntohs(a.sin_port);
    close(fd);
    return port;
}

static int port_answers(int port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) return 0;
    struct sockaddr_in a = {0};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = htons((uint16_t)port);
    int ok = connect(fd, (struct sockaddr *)&a, sizeof a) == 0;
    close(fd);
    return ok;
}

/* 1 if `prog` is an executable file in a PATH directory. */
static int on_path(const char *prog)
{
    const char *path = getenv("PATH");
    if (!path) return 0;
    char dir[4096];
    for (const char *p = path; *p;) {
        const char *e = strchr(p, ':');
        size_t n = e ? (size_t)(e - p) : strlen(p);
        if (n && n < sizeof dir - 64) {
            snprintf(dir, sizeof dir, "%.*s/%s", (int)n, p, prog);
            if (access(dir, X_OK) == 0) return 1;
        }
        if (!e) break;
        p = e + 1;
    }
    return 0;
}

/* Picks the line of a failed program's output that says why: the last one naming an
 * error or a missing command (a Python traceback ends with it; a pyenv shim says "command
 * not found" first and then lists the versions that have it), else the last line. */
static void why_line(const char *out, char *why, size_t n)
{
    const char *best = NULL, *last = NULL;
    size_t best_len = 0, last_len = 0;
    for (const char *p = out; *p;) {
        size_t len = strcspn(p, "\n");
        size_t t = len;
        while (t && (p[t - 1] == '\r' || p[t - 1] == ' '))
            t--;
        if (t) {
            last = p;
            last_len = t;
            char line[512];
            snprintf(line, sizeof line, "%.*s", (int)(t < 511 ? t : 511), p);
            if (strstr(line, "rror") || strstr(line, "not found")) {
                best = p;
                best_len = t;
            }
        }
        p += len;
        if (*p) p++;
    }
    if (!best) {
        best = last;
        best_len = last_len;
    }
    if (best)
        snprintf(why, n, "%.*s", (int)(best_len < 300 ? best_len : 300), best);
    else
        why[0] = '\0';
}

/* Runs `moto_server -h` and says whether it works. A version manager's shim (pyenv)
 * exists on PATH for every Python but runs the program only for the versions that have
 * it installed, so being on PATH proves nothing: only running it does. 0 if usable, else
 * -1 with the reason in why. */
static int moto_usable(char *why, size_t n)
{
    int pfd[2];
    if (pipe(pfd) != 0) {
        snprintf(why, n, "pipe: %s", strerror(errno));
        return -1;
    }
    pid_t pid = fork();
    if (pid < 0) {
        snprintf(why, n, "fork: %s", strerror(errno));
        close(pfd[0]);
        close(pfd[1]);
        return -1;
    }
    if (pid == 0) {
        dup2(pfd[1], 1);
        dup2(pfd[1], 2);
        close(pfd[0]);
        close(pfd[1]);
        int devnull = open("/dev/null", O_RDONLY);
        if (devnull >= 0) dup2(devnull, 0);
        setpgid(0, 0);
        execlp("moto_server", "moto_server", "-h", (char *)NULL);
        _exit(127);
    }
    close(pfd[1]);
    fcntl(pfd[0], F_SETFL, fcntl(pfd[0], F_GETFL) | O_NONBLOCK);
    char out[TGT_MOTO_PROBE_OUT];
    size_t len = 0;
    int st = 0, done = 0, eof = 0;
    int64_t deadline = bc_mono_ns() + (int64_t)(TGT_MOTO_PROBE_S * BC_NS_PER_S);
    while (!(done && eof)) {
        if (!eof) {
            char buf[1024];
            ssize_t r = read(pfd[0], buf, sizeof buf);
            if (r > 0) {
                size_t k = (size_t)r < sizeof out - 1 - len ? (size_t)r : sizeof out - 1 - len;
                memcpy(out + len, buf, k);
                len += k;
                continue;
            }
            if (r == 0 || (errno != EAGAIN && errno != EINTR)) eof = 1;
        }
        if (!done && waitpid(pid, &st, WNOHANG) == pid) done = 1;
        if (done && eof) break;
        if (bc_mono_ns() > deadline) {
            if (!done) {
                kill(-pid, SIGKILL);
                kill(pid, SIGKILL);
                waitpid(pid, &st, 0);
            }
            close(pfd[0]);
            snprintf(why, n, "`moto_server -h` did not finish within %g s", TGT_MOTO_PROBE_S);
            return -1;
        }
        bc_sleep_ns(20 * BC_NS_PER_MS);
    }
    close(pfd[0]);
    out[len] = '\0';
    if (WIFEXITED(st) && WEXITSTATUS(st) == 0) return 0;
    char line[320];
    why_line(out, line, sizeof line);
    char status[32];
    if (WIFEXITED(st))
        snprintf(status, sizeof status, "exited %d", WEXITSTATUS(st));
    else
        snprintf(status, sizeof status, "killed by signal %d", WIFSIGNALED(st) ? WTERMSIG(st) : 0);
    snprintf(why, n, "`moto_server -h` %s%s%s%s", status, line[0] ? " (" : "", line,
             line[0] ? ")" : "");
    return -1;
}

/* Starts moto_server on `port`; 0 when it answers, 1 when it exited at start (another
 * process may have taken the port between free_loopback_port and the bind), -1 on any
 * other failure. */
static int spawn_moto(bc_target *t, int port, const char *log_path, char *err, size_t errlen)
{
    pid_t pid = fork();
    if (pid < 0) {
        snprintf(err, errlen, "target moto: fork: %s", strerror(errno));
        return -1;
    }
    if (pid == 0) {
        int fd = open(log_path, O_WRONLY | O_CREAT | O_APPEND, 0644);
        if (fd >= 0) {
            dup2(fd, 1);
            dup2(fd, 2);
            close(fd);
        }
        /* Its own process group, so a Ctrl-C aimed at backcheck reaches it only through
         * tgt_stop (the run still needs it to clean up). */
        setpgid(0, 0);
        char ports[16];
        snprintf(ports, sizeof ports, "%d", port);
        execlp("moto_server", "moto_server", "-H", "127.0.0.1", "-p", ports, (char *)NULL);
        _exit(127);
    }
    t->moto_pid = pid;
    int64_t deadline = bc_mono_ns() + (int64_t)(TGT_MOTO_START_S * BC_NS_PER_S);
    while (!port_answers(port)) {
        int st;
        if (waitpid(pid, &st, WNOHANG) == pid) {
            t->moto_pid = 0;
            snprintf(err, errlen, "target moto: moto_server exited at start (see %s)", log_path);
            return 1;
        }
        if (bc_mono_ns() > deadline) {
            tgt_stop(t);
            snprintf(err, errlen, "target moto: moto_server did not answer on port %d within %g s",
                     port, TGT_MOTO_START_S);
            return -1;
        }
        bc_sleep_ns(100 * BC_NS_PER_MS);
    }
    return 0;
}

static int start_moto(bc_target *t, const scenario *sc, const char *log_dir, char *err,
                      size_t errlen)
{
    if (!on_path("moto_server")) {
        snprintf(err, errlen,
                 "target moto: moto_server is not on PATH (pip install 'moto[server]')");
        return -1;
    }
    char why[400];
    if (moto_usable(why, sizeof why) != 0) {
        snprintf(err, errlen, "target moto: moto_server not usable: %s", why);
        return -1;
    }
    char log_path[1100];
    snprintf(log_path, sizeof log_path, "%s/moto.log", log_dir ? log_dir : ".");
    int port = -1, rc = 1;
    for (int attempt = 0; attempt < TGT_MOTO_START_TRIES && rc == 1; attempt++) {
        if (attempt) bc_warn("%s; starting it again on another port", err);
        port = free_loopback_port();
        if (port <= 0) {
            snprintf(err, errlen, "target moto: no free loopback port");
            return -1;
        }
        rc = spawn_moto(t, port, log_path, err, errlen);
    }
    if (rc != 0) return -1;
    char url[64];
    snprintf(url, sizeof url, "http://127.0.0.1:%d", port);
    if (resolve_config(t, sc, url, err, errlen)) return -1;
    set_deadlines(t, sc, TGT_ENDPOINT_DEADLINE_S);
    t->poll_cap_s = 0.5;
    return 0;
}

int tgt_start(bc_target *t, const scenario *sc, const char *kind, const char *endpoint,
              const char *log_dir, char *err, size_t errlen)
{
    memset(t, 0, sizeof *t);
    snprintf(t->kind, sizeof t->kind, "%s", kind);
    int rc;
    if (strcmp(kind, "embedded") == 0) {
        rc = start_embedded(t, sc, err, errlen);
    } else if (strcmp(kind, "moto") == 0) {
        rc = start_moto(t, sc, log_dir, err, errlen);
    } else if (strcmp(kind, "endpoint") == 0) {
        if (!endpoint || !*endpoint) {
            snprintf(err, errlen,
                     "target endpoint: no URL (set target.endpoint or pass --endpoint URL)");
            return -1;
        }
        rc = resolve_config(t, sc, endpoint, err, errlen);
        set_deadlines(t, sc, TGT_ENDPOINT_DEADLINE_S);
        t->poll_cap_s = 0.5;
    } else if (strcmp(kind, "aws") == 0) {
        rc = resolve_config(t, sc, endpoint, err, errlen);
        set_deadlines(t, sc, TGT_AWS_DEADLINE_S);
        t->poll_cap_s = 15;
    } else {
        snprintf(err, errlen, "unknown target \"%s\" (embedded, endpoint, moto, aws)", kind);
        return -1;
    }
    if (rc == 0) {
        snprintf(t->endpoint, sizeof t->endpoint, "%s", t->cfg.endpoint);
        /* Every request has a deadline: a black-holed request ends as indeterminate
         * instead of holding its thread (and the run) forever. */
        if (sc->target.request_timeout_ms > 0)
            t->cfg.request_timeout_ms = sc->target.request_timeout_ms;
    }
    return rc;
}

/* Splits "scheme://host[:port][/...]" (host may be "[v6]"); 0 or -1. */
static int endpoint_host_port(const char *url, char *host, size_t n, int *port)
{
    const char *h = strstr(url, "://");
    if (!h) return -1;
    int tls = strncmp(url, "https", 5) == 0;
    h += 3;
    const char *end = h + strcspn(h, "/?#");
    const char *colon = NULL;
    if (*h == '[') {
        const char *rb = memchr(h, ']', (size_t)(end - h));
        if (!rb) return -1;
        if ((size_t)(rb - h - 1) >= n) return -1;
        snprintf(host, n, "%.*s", (int)(rb - h - 1), h + 1);
        if (rb + 1 < end && rb[1] == ':') colon = rb + 1;
    } else {
        colon = memchr(h, ':', (size_t)(end - h));
        const char *he = colon ? colon : end;
        if (he == h || (size_t)(he - h) >= n) return -1;
        snprintf(host, n, "%.*s", (int)(he - h), h);
    }
    *port = tls ? 443 : 80;
    if (colon) {
        char *e;
        long p = strtol(colon + 1, &e, 10);
        if (e != end || p <= 0 || p > 65535) return -1;
        *port = (int)p;
    }
    return 0;
}

int tgt_proxy_start(bc_target *t, uint64_t seed, int partition, char *err, size_t errlen)
{
    char host[256];
    int port;
    if (endpoint_host_port(t->cfg.endpoint, host, sizeof host, &port) != 0) {
        snprintf(err, errlen, "network faults: cannot find host and port in endpoint %.300s",
                 t->cfg.endpoint);
        return -1;
    }
    char e[256];
    if (bc_proxy_start(host, port, seed, &t->proxy, e, sizeof e) != BC_PROXY_OK) {
        snprintf(err, errlen, "network faults: fault proxy: %s", e);
        t->proxy = NULL;
        return -1;
    }
    t->proxy_port = bc_proxy_port(t->proxy);
    if (partition && bc_proxy_group_port(t->proxy, TGT_PARTITION_GROUP, &t->partition_port, e,
                                         sizeof e) != BC_PROXY_OK) {
        snprintf(err, errlen, "network faults: partition port: %s", e);
        bc_proxy_stop(t->proxy);
        t->proxy = NULL;
        return -1;
    }
    return 0;
}

void tgt_worker_config(const bc_target *t, int partitioned, ddb_config *out)
{
    *out = t->cfg;
    if (!t->proxy) return;
    snprintf(out->connect_to, sizeof out->connect_to, "127.0.0.1:%d",
             partitioned && t->partition_port ? t->partition_port : t->proxy_port);
}

void tgt_stop(bc_target *t)
{
    if (t->proxy) {
        bc_proxy_stop(t->proxy);
        t->proxy = NULL;
    }
    if (t->emu) {
        emu_stop(t->emu);
        t->emu = NULL;
    }
    if (t->moto_pid > 0) {
        kill(t->moto_pid, SIGTERM);
        int64_t deadline = bc_mono_ns() + 5 * BC_NS_PER_S;
        int st;
        while (waitpid(t->moto_pid, &st, WNOHANG) == 0) {
            if (bc_mono_ns() > deadline) {
                kill(t->moto_pid, SIGKILL);
                waitpid(t->moto_pid, &st, 0);
                break;
            }
            bc_sleep_ns(50 * BC_NS_PER_MS);
        }
        t->moto_pid = 0;
    }
}
