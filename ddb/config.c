/*
 * config.c - resolving where and as whom to talk to DynamoDB: the credential chain
 * (environment, then the shared credentials/config files), the region and the
 * endpoint, as the AWS CLI and SDKs document them ("Configuration and credential file
 * settings", "Environment variables to configure the AWS CLI").
 *
 * Nothing here prints or copies a secret anywhere but into cfg->creds; ddb_creds.source
 * says where the credentials came from ("env", "profile:NAME") so logs can name it.
 */
#include "ddb/ddb.h"
#include "ddb/internal.h"

#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define DDB_DEFAULT_CONNECT_TIMEOUT_MS 2000
#define DDB_DEFAULT_REQUEST_TIMEOUT_MS 10000
/* Used only when an explicit endpoint was given and nothing names a region: local
 * emulators (this project's, moto, dynalite) accept any region. */
#define DDB_FALLBACK_REGION "us-east-1"
#define INI_LINE_MAX 4096

void ddb_config_defaults(ddb_config *cfg)
{
    cfg->connect_timeout_ms = DDB_DEFAULT_CONNECT_TIMEOUT_MS;
    cfg->request_timeout_ms = DDB_DEFAULT_REQUEST_TIMEOUT_MS;
    cfg->max_attempts = DDB_DEFAULT_MAX_ATTEMPTS;
    cfg->verify_tls = 1;
}

/* "127.d.d.d" with nothing after it but the end, ':' or '/': a literal IPv4 loopback
 * address, not a name that only starts like one ("127.example.com"). */
static int is_ipv4_loopback(const char *h)
{
    if (strncmp(h, "127.", 4) != 0) return 0;
    int parts = 2, digits = 0; /* "127" and the part after its dot */
    for (h += 4; *h && *h != ':' && *h != '/'; h++) {
        if (*h == '.') {
            if (!digits) return 0;
            parts++;
            digits = 0;
        } else if (*h >= '0' && *h <= '9') {
            if (++digits > 3) return 0;
        } else {
            return 0;
        }
    }
    return parts == 4 && digits > 0;
}

int ddb_url_is_loopback(const char *url)
{
    if (!url) return 0;
    const char *h = strstr(url, "://");
    h = h ? h + 3 : url;
    if (strncasecmp(h, "localhost", 9) == 0 && (h[9] == ':' || h[9] == '/' || !h[9])) return 1;
    if (strncmp(h, "[::1]", 5) == 0 && (h[5] == ':' || h[5] == '/' || !h[5])) return 1;
    return is_ipv4_loopback(h);
}

static const char *env(const char *name)
{
    const char *v = getenv(name);
    return v && *v ? v : NULL;
}

static int copy_str(char *dst, size_t dstlen, const char *src)
{
    size_t n = strlen(src);
    if (n >= dstlen) return -1;
    memcpy(dst, src, n + 1);
    return 0;
}

/* The values the chain reads from one profile. */
typedef struct profile_vals {
    char access_key_id[128];
    char secret_access_key[128];
    char session_token[2048];
    char region[64];
    int found_section;
    int unsupported; /* role_arn, sso_*, credential_process, source_profile */
    int too_long;
} profile_vals;

static void trim(char *s)
{
    size_t n = strlen(s);
    while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r' || s[n - 1] == '\n'))
        s[--n] = '\0';
    size_t i = 0;
    while (s[i] == ' ' || s[i] == '\t')
        i++;
    if (i) memmove(s, s + i, n - i + 1);
}

/* Reads section `section` of an INI file into v (keys already set are kept: the
 * credentials file is read first and wins). A missing file is not an error. */
static void read_profile(const char *path, const char *section, profile_vals *v)
{
    FILE *f = fopen(path, "r");
    if (!f) return;
    char line[INI_LINE_MAX];
    int in_section = 0;
    while (fgets(line, sizeof(line), f)) {
        trim(line);
        if (line[0] == '\0' || line[0] == '#' || line[0] == ';') continue;
        if (line[0] == '[') {
            char *end = strchr(line, ']');
            if (!end) {
                in_section = 0;
                continue;
            }
            *end = '\0';
            char *name = line + 1;
            trim(name);
            in_section = strcmp(name, section) == 0;
            if (in_section) v->found_section = 1;
            continue;
        }
        if (!in_section) continue;
        char *eq = strchr(line, '=');
        if (!eq) continue;
        *eq = '\0';
        char *key = line, *val = eq + 1;
        trim(key);
        trim(val);
        char *dst = NULL;
        size_t dstlen = 0;
        if (strcasecmp(key, "aws_access_key_id") == 0) {
            dst = v->access_key_id;
            dstlen = sizeof(v->access_key_id);
        } else if (strcasecmp(key, "aws_secret_access_key") == 0) {
            dst = v->secret_access_key;
            dstlen = sizeof(v->secret_access_key);
        } else if (strcasecmp(key, "aws_session_token") == 0) {
            dst = v->session_token;
            dstlen = sizeof(v->session_token);
        } else if (strcasecmp(key, "region") == 0) {
            dst = v->region;
            dstlen = sizeof(v->region);
        } else if (strcasecmp(key, "role_arn") == 0 || strcasecmp(key, "source_profile") == 0 ||
                   strcasecmp(key, "credential_process") == 0 || strncasecmp(key, "sso_", 4) == 0) {
            v->unsupported = 1;
        }
        if (dst && dst[0] == '\0' && copy_str(dst, dstlen, val) != 0) v->too_long = 1;
    }
    fclose(f);
}

static void default_path(char *out, size_t outlen, const char *env_name, const char *leaf)
{
    const char *p = env(env_name);
    if (p) {
        snprintf(out, outlen, "%s", p);
        return;
    }
    const char *home = env("HOME");
    snprintf(out, outlen, "%s/.aws/%s", home ? home : ".", leaf);
}

static int is_http_url(const char *s)
{
    return strncmp(s, "http://", 7) == 0 || strncmp(s, "https://", 8) == 0;
}

/* "https://dynamodb.eu-west-1.amazonaws.com[/...]" -> "eu-west-1" */
static int region_from_aws_endpoint(const char *url, char *out, size_t outlen)
{
    const char *p = strstr(url, "://dynamodb.");
    if (!p) return -1;
    p += strlen("://dynamodb.");
    const char *dot = strchr(p, '.');
    if (!dot || strncmp(dot, ".amazonaws.com", 14) != 0 || (size_t)(dot - p) >= outlen) return -1;
    memcpy(out, p, (size_t)(dot - p));
    out[dot - p] = '\0';
    return 0;
}

static void add_problem(ddb_buf *b, const char *msg)
{
    if (b->len) ddb_buf_puts(b, "; ");
    ddb_buf_puts(b, msg);
}

ddb_err ddb_config_resolve(ddb_config *cfg, const char *endpoint_flag, char *err, size_t errlen)
{
    memset(cfg, 0, sizeof(*cfg));
    ddb_config_defaults(cfg);
    if (err && errlen) err[0] = '\0';
    ddb_buf problems;
    ddb_buf_init(&problems);
    char tmp[1024];

    /* Profile files: credentials first (it wins), then config. */
    const char *profile_env = env("AWS_PROFILE");
    const char *profile = profile_env ? profile_env : "default";
    char cred_path[1024], conf_path[1024], conf_section[300];
    default_path(cred_path, sizeof(cred_path), "AWS_SHARED_CREDENTIALS_FILE", "credentials");
    default_path(conf_path, sizeof(conf_path), "AWS_CONFIG_FILE", "config");
    profile_vals pv;
    memset(&pv, 0, sizeof(pv));
    read_profile(cred_path, profile, &pv);
    /* In the config file every profile but "default" is written [profile NAME]. */
    snprintf(conf_section, sizeof(conf_section), "profile %s", profile);
    read_profile(conf_path, conf_section, &pv);
    if (strcmp(profile, "default") == 0) read_profile(conf_path, "default", &pv);

    /* Endpoint. */
    const char *ep = endpoint_flag && *endpoint_flag ? endpoint_flag : NULL;
    if (!ep) ep = env("AWS_ENDPOINT_URL_DYNAMODB");
    if (!ep) ep = env("AWS_ENDPOINT_URL");
    int explicit_endpoint = ep != NULL;
    if (ep) {
        if (!is_http_url(ep)) {
            snprintf(tmp, sizeof(tmp),
                     "bad endpoint URL '%.200s': it must start with http:// or https://", ep);
            add_problem(&problems, tmp);
        } else if (copy_str(cfg->endpoint, sizeof(cfg->endpoint), ep) != 0) {
            add_problem(&problems, "endpoint URL too long");
        }
    }

    /* Region. */
    const char *region = env("AWS_REGION");
    if (!region) region = env("AWS_DEFAULT_REGION");
    if (!region && pv.region[0]) region = pv.region;
    char ep_region[64];
    if (!region && explicit_endpoint &&
        region_from_aws_endpoint(cfg->endpoint, ep_region, sizeof(ep_region)) == 0)
        region = ep_region;
    if (!region && explicit_endpoint) region = DDB_FALLBACK_REGION;
    if (!region) {
        add_problem(&problems, "no region: set AWS_REGION (or AWS_DEFAULT_REGION), or region in "
                               "the profile's section of the config file, or give an endpoint");
    } else if (copy_str(cfg->region, sizeof(cfg->region), region) != 0) {
        add_problem(&problems, "region name too long");
    }
    if (!explicit_endpoint && cfg->region[0]) {
        /* The regional endpoint; China regions live under amazonaws.com.cn. */
        snprintf(cfg->endpoint, sizeof(cfg->endpoint), "https://dynamodb.%s.amazonaws.com%s",
                 cfg->region, strncmp(cfg->region, "cn-", 3) == 0 ? ".cn" : "");
    }

    /* Credentials: environment, then the profile. */
    const char *akid = env("AWS_ACCESS_KEY_ID");
    const char *secret = env("AWS_SECRET_ACCESS_KEY");
    ddb_creds *c = &cfg->creds;
    if (akid || secret) {
        if (!akid) {
            add_problem(&problems, "no credentials: AWS_SECRET_ACCESS_KEY is set but "
                                   "AWS_ACCESS_KEY_ID is not");
        } else if (!secret) {
            add_problem(&problems, "no credentials: AWS_ACCESS_KEY_ID is set but "
                                   "AWS_SECRET_ACCESS_KEY is not");
        } else {
            const char *tok = env("AWS_SESSION_TOKEN");
            if (copy_str(c->access_key_id, sizeof(c->access_key_id), akid) != 0 ||
                copy_str(c->secret_access_key, sizeof(c->secret_access_key), secret) != 0 ||
                copy_str(c->session_token, sizeof(c->session_token), tok ? tok : "") != 0) {
                add_problem(&problems, "credentials from the environment are too long");
            }
            snprintf(c->source, sizeof(c->source), "env");
        }
    } else if (pv.access_key_id[0] && pv.secret_access_key[0] && !pv.too_long) {
        memcpy(c->access_key_id, pv.access_key_id, sizeof(c->access_key_id));
        memcpy(c->secret_access_key, pv.secret_access_key, sizeof(c->secret_access_key));
        memcpy(c->session_token, pv.session_token, sizeof(c->session_token));
        snprintf(c->source, sizeof(c->source), "profile:%.50s", profile);
    } else if (pv.too_long) {
        snprintf(tmp, sizeof(tmp), "no credentials: a value in profile '%.100s' is too long",
                 profile);
        add_problem(&problems, tmp);
    } else if (pv.access_key_id[0] || pv.secret_access_key[0]) {
        snprintf(tmp, sizeof(tmp), "no credentials: profile '%.100s' (%.300s) has %s but no %s",
                 profile, cred_path,
                 pv.access_key_id[0] ? "aws_access_key_id" : "aws_secret_access_key",
                 pv.access_key_id[0] ? "aws_secret_access_key" : "aws_access_key_id");
        add_problem(&problems, tmp);
    } else if (pv.unsupported) {
        snprintf(tmp, sizeof(tmp),
                 "no credentials: profile '%.100s' uses role_arn/sso/credential_process, which "
                 "backcheck does not resolve; export static credentials (aws configure "
                 "export-credentials --format env) or set AWS_ACCESS_KEY_ID and "
                 "AWS_SECRET_ACCESS_KEY",
                 profile);
        add_problem(&problems, tmp);
    } else if (profile_env && !pv.found_section) {
        snprintf(tmp, sizeof(tmp),
                 "no credentials: profile '%.100s' (AWS_PROFILE) is in neither %.300s nor "
                 "%.300s",
                 profile, cred_path, conf_path);
        add_problem(&problems, tmp);
    } else {
        add_problem(&problems, "no credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY "
                               "or configure a profile (AWS_PROFILE)");
    }
    /* The profile's secret is no longer needed on the stack. */
    OPENSSL_cleanse(&pv, sizeof(pv));

    if (problems.len) {
        ddb_set_err(err, errlen, "%s", problems.data ? problems.data : "configuration error");
        ddb_buf_free(&problems);
        return DDB_ERR_CONFIG;
    }
    ddb_buf_free(&problems);
    return DDB_OK;
}
