/*
 * test_ddb_config.c - the credential chain, region and endpoint resolution of
 * ddb_config_resolve: shared-file parsing (profiles, comments, [profile x] in config
 * vs [x] in credentials), environment precedence, and error messages that name what is
 * missing without ever containing a secret. Uses temp files and setenv/unsetenv; HOME
 * points at an empty temp directory so the real ~/.aws is never read.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "ddb/ddb.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *AWS_VARS[] = {
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_PROFILE",
    "AWS_REGION",
    "AWS_DEFAULT_REGION",
    "AWS_ENDPOINT_URL",
    "AWS_ENDPOINT_URL_DYNAMODB",
    "AWS_SHARED_CREDENTIALS_FILE",
    "AWS_CONFIG_FILE",
};

typedef struct fixture {
    char dir[64];
    char cred[128];
    char conf[128];
} fixture;

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof(*f));
    snprintf(f->dir, sizeof(f->dir), "/tmp/test_ddb_config.XXXXXX");
    if (!mkdtemp(f->dir)) return -1;
    snprintf(f->cred, sizeof(f->cred), "%s/credentials", f->dir);
    snprintf(f->conf, sizeof(f->conf), "%s/config", f->dir);
    for (size_t i = 0; i < sizeof(AWS_VARS) / sizeof(AWS_VARS[0]); i++)
        unsetenv(AWS_VARS[i]);
    setenv("HOME", f->dir, 1);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    unlink(f->cred);
    unlink(f->conf);
    rmdir(f->dir);
    free(f);
    return 0;
}

static void write_file(const char *path, const char *text)
{
    FILE *fp = fopen(path, "w");
    assert_non_null(fp);
    fputs(text, fp);
    fclose(fp);
}

static void use_files(fixture *f, const char *cred, const char *conf)
{
    if (cred) {
        write_file(f->cred, cred);
        setenv("AWS_SHARED_CREDENTIALS_FILE", f->cred, 1);
    }
    if (conf) {
        write_file(f->conf, conf);
        setenv("AWS_CONFIG_FILE", f->conf, 1);
    }
}

static const char *CRED_FILE = "# shared credentials\n"
                               "[default]\n"
                               "aws_access_key_id = AKIDDEFAULT\n"
                               "aws_secret_access_key = secret-default\n"
                               "\n"
                               "; another comment style\n"
                               "[dev]\n"
                               "  aws_access_key_id=AKIDDEV  \n"
                               "aws_secret_access_key=secret-dev\n"
                               "aws_session_token = token-dev\n"
                               "[half]\n"
                               "aws_access_key_id = AKIDHALF\n"
                               "[role]\n"
                               "role_arn = arn:aws:iam::123456789012:role/x\n"
                               "source_profile = default\n";

static const char *CONF_FILE = "[default]\n"
                               "region = us-west-1\n"
                               "[profile dev]\n"
                               "region = ap-south-1\n"
                               "# [dev] without 'profile ' is not how config names profiles\n"
                               "[half]\n"
                               "region = sa-east-1\n";

static void test_env_credentials(void **state)
{
    (void)state;
    setenv("AWS_ACCESS_KEY_ID", "AKIDENV", 1);
    setenv("AWS_SECRET_ACCESS_KEY", "secret-env", 1);
    setenv("AWS_SESSION_TOKEN", "token-env", 1);
    setenv("AWS_REGION", "eu-west-1", 1);
    ddb_config cfg;
    char err[512] = "";
    assert_int_equal(ddb_config_resolve(&cfg, NULL, err, sizeof(err)), DDB_OK);
    assert_string_equal(cfg.creds.access_key_id, "AKIDENV");
    assert_string_equal(cfg.creds.secret_access_key, "secret-env");
    assert_string_equal(cfg.creds.session_token, "token-env");
    assert_string_equal(cfg.creds.source, "env");
    assert_string_equal(cfg.region, "eu-west-1");
    assert_string_equal(cfg.endpoint, "https://dynamodb.eu-west-1.amazonaws.com");
    assert_int_equal(cfg.connect_timeout_ms, 2000);
    assert_int_equal(cfg.request_timeout_ms, 10000);
    assert_int_equal(cfg.max_attempts, DDB_DEFAULT_MAX_ATTEMPTS);
    assert_int_equal(cfg.verify_tls, 1);
}

static void test_env_beats_profile(void **state)
{
    use_files(*state, CRED_FILE, CONF_FILE);
    setenv("AWS_ACCESS_KEY_ID", "AKIDENV", 1);
    setenv("AWS_SECRET_ACCESS_KEY", "secret-env", 1);
    setenv("AWS_PROFILE", "dev", 1);
    ddb_config cfg;
    char err[512] = "";
    assert_int_equal(ddb_config_resolve(&cfg, NULL, err, sizeof(err)), DDB_OK);
    assert_string_equal(cfg.creds.access_key_id, "AKIDENV");
    assert_string_equal(cfg.creds.session_token, ""); /* not mixed with the profile's */
    assert_string_equal(cfg.creds.source, "env");
    assert_string_equal(cfg.region, "ap-south-1"); /* region still from the profile */
}

static void test_half_env_names_missing_var(void **state)
{
    use_files(*state, CRED_FILE, CONF_FILE);
    setenv("AWS_ACCESS_KEY_ID", "AKIDENV", 1);
    ddb_config cfg;
    char err[512] = "";
    assert_int_equal(ddb_config_resolve(&cfg, NULL, err, sizeof(err)), DDB_ERR_CONFIG);
    assert_non_null(strstr(err, "AWS_SECRET_ACCESS_KEY is not"));
}

static void test_named_profile(void **state)
{
    use_files(*state, CRED_FILE, CONF_FILE);
    setenv("AWS_PROFILE", "dev", 1);
    ddb_config cfg;
    char err[512] = "";
    assert_int_equal(ddb_config_resolve(&cfg, NULL, err, sizeof(err)), DDB_OK);
    assert_string_equal(cfg.creds.access_key_id, "AKIDDEV"); /* whitespace trimmed */
    assert_string_equal(cfg.creds.secret_access_key, "secret-dev");
    assert_string_equal(cfg.creds.session_token, "token-dev");
    assert_string_equal(cfg.creds.source, "profile:dev");
    assert_string_equal(cfg.region, "ap-south-1"); /* from [profile dev] in config */
    assert_string_equal(cfg.endpoint, "https://dynamodb.ap-south-1.amazonaws.com");
}

static void test_default_profile(void **state)
{
    use_files(*state, CRED_FILE, CONF_FILE);
    ddb_config cfg;
    char err[512] = "";
    assert_int_equal(ddb_config_resolve(&cfg, NULL, err, sizeof(err)), DDB_OK);
    assert_string_equal(cfg.creds.access_key_id, "AKIDDEFAULT");
    assert_string_equal(cfg.creds.source, "profile:default");
    assert_string_equal(cfg.region, "us-west-1");
}

static void test_config_section_needs_profile_prefix(void **state)
{
    /* [half] in config is not profile "half" (config spells it [profile half]), so the
     * region comes from nowhere; and the profile lacks its secret key. */
    use_files(*state, CRED_FILE, CONF_FILE);
    setenv("AWS_PROFILE", "half", 1);
    ddb_config cfg;
    char err[512] = "";
    assert_int_equal(ddb_config_resolve(&cfg, NULL, err, sizeof(err)), DDB_ERR_CONFIG);
    assert_non_null(strstr(err, "profile 'half'"));
    assert_non_null(strstr(err, "no aws_secret_access_key"));
    assert_non_null(strstr(err, "no region: set AWS_REGION"));
    assert_string_equal(cfg.region, "");
}

static void test_credentials_in_config_file(void **state)
{
    /* The CLI also reads keys from [profile x] in the config file. */
    use_files(*state, NULL,
              "[profile ci]\naws_access_key_id = AKIDCI\naws_secret_access_key = secret-ci\n"
              "region = eu-north-1\n");
    setenv("AWS_PROFILE", "ci", 1);
    ddb_config cfg;
    char err[512] = "";
    assert_int_equal(ddb_config_resolve(&cfg, NULL, err, sizeof(err)), DDB_OK);
    assert_string_equal(cfg.creds.access_key_id, "AKIDCI");
    assert_string_equal(cfg.creds.source, "profile:ci");
    assert_string_equal(cfg.region, "eu-north-1");
}

static void test_missing_profile(void **state)
{
    fixture *f = *state;
    use_files(f, CRED_FILE, CONF_FILE);
    setenv("AWS_PROFILE", "nope", 1);
    setenv("AWS_REGION", "us-east-2", 1);
    ddb_config cfg;
    char err[512] = "";
    assert_int_equal(ddb_config_resolve(&cfg, NULL, err, sizeof(err)), DDB_ERR_CONFIG);
    assert_non_null(strstr(err, "profile 'nope'"));
    assert_non_null(strstr(err, f->cred));
    assert_non_null(strstr(err, f->conf));
}

static void test_unsupported_profile_kind(void **state)
{
    use_files(*state, CRED_FILE, CONF_FILE);
    setenv("AWS_PROFILE", "role", 1);
    setenv("AWS_REGION", "us-east-2", 1);
    ddb_config cfg;
    char err[512] = "";
    assert_int_equal(ddb_config_resolve(&cfg, NULL, err, sizeof(err)), DDB_ERR_CONFIG);
    assert_non_null(strstr(err, "role_arn"));
}

static void test_nothing_configured(void **state)
{
    (void)state;
    ddb_config cfg;
    char err[512] = "";
    assert_int_equal(ddb_config_resolve(&cfg, NULL, err, sizeof(err)), DDB_ERR_CONFIG);
    assert_non_null(strstr(err, "no credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY "
                                "or configure a profile (AWS_PROFILE)"));
    assert_non_null(strstr(err, "no region: set AWS_REGION"));
}

static void test_loopback_endpoint_without_credentials(void **state)
{
    (void)state;
    ddb_config cfg;
    char err[512] = "";
    /* The harness decides what to do; the library only reports. */
    assert_int_equal(ddb_config_resolve(&cfg, "http://127.0.0.1:8000", err, sizeof(err)),
                     DDB_ERR_CONFIG);
    assert_non_null(strstr(err, "no credentials"));
    assert_null(strstr(err, "no region"));
    assert_string_equal(cfg.endpoint, "http://127.0.0.1:8000");
    assert_string_equal(cfg.region, "us-east-1"); /* default only with an explicit endpoint */
    assert_string_equal(cfg.creds.access_key_id, "");
}

static void test_endpoint_precedence(void **state)
{
    (void)state;
    setenv("AWS_ACCESS_KEY_ID", "AKIDENV", 1);
    setenv("AWS_SECRET_ACCESS_KEY", "secret-env", 1);
    setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:1111", 1);
    setenv("AWS_ENDPOINT_URL_DYNAMODB", "http://127.0.0.1:2222", 1);
    ddb_config cfg;
    char err[512] = "";
    assert_int_equal(ddb_config_resolve(&cfg, NULL, err, sizeof(err)), DDB_OK);
    assert_string_equal(cfg.endpoint, "http://127.0.0.1:2222");
    assert_int_equal(ddb_config_resolve(&cfg, "http://localhost:3333", err, sizeof(err)), DDB_OK);
    assert_string_equal(cfg.endpoint, "http://localhost:3333");
    unsetenv("AWS_ENDPOINT_URL_DYNAMODB");
    assert_int_equal(ddb_config_resolve(&cfg, "", err, sizeof(err)), DDB_OK);
    assert_string_equal(cfg.endpoint, "http://127.0.0.1:1111");
    /* A regional AWS endpoint given explicitly implies its region. */
    assert_int_equal(
        ddb_config_resolve(&cfg, "https://dynamodb.eu-central-1.amazonaws.com", err, sizeof(err)),
        DDB_OK);
    assert_string_equal(cfg.region, "eu-central-1");
    assert_int_equal(ddb_config_resolve(&cfg, "localhost:8000", err, sizeof(err)), DDB_ERR_CONFIG);
    assert_non_null(strstr(err, "bad endpoint URL 'localhost:8000'"));
}

static void test_region_precedence(void **state)
{
    use_files(*state, CRED_FILE, CONF_FILE);
    ddb_config cfg;
    char err[512] = "";
    setenv("AWS_DEFAULT_REGION", "eu-west-3", 1);
    assert_int_equal(ddb_config_resolve(&cfg, NULL, err, sizeof(err)), DDB_OK);
    assert_string_equal(cfg.region, "eu-west-3"); /* beats the profile's us-west-1 */
    setenv("AWS_REGION", "ca-central-1", 1);
    assert_int_equal(ddb_config_resolve(&cfg, NULL, err, sizeof(err)), DDB_OK);
    assert_string_equal(cfg.region, "ca-central-1"); /* beats AWS_DEFAULT_REGION */
    setenv("AWS_REGION", "cn-north-1", 1);
    assert_int_equal(ddb_config_resolve(&cfg, NULL, err, sizeof(err)), DDB_OK);
    assert_string_equal(cfg.endpoint, "https://dynamodb.cn-north-1.amazonaws.com.cn");
}

static void test_errors_never_contain_secrets(void **state)
{
    use_files(*state, CRED_FILE, CONF_FILE);
    const char *profiles[] = {"half", "dev", "role", "nope", "default"};
    for (size_t i = 0; i < sizeof(profiles) / sizeof(profiles[0]); i++) {
        setenv("AWS_PROFILE", profiles[i], 1);
        ddb_config cfg;
        char err[512] = "";
        ddb_config_resolve(&cfg, NULL, err, sizeof(err));
        assert_null(strstr(err, "secret-"));
        assert_null(strstr(err, "token-"));
        assert_null(strstr(cfg.creds.source, "secret"));
    }
}

static void test_url_is_loopback(void **state)
{
    (void)state;
    const char *yes[] = {"http://127.0.0.1:8000",
                         "http://127.0.0.1",
                         "127.0.0.1:4567",
                         "http://127.255.3.9/x",
                         "http://localhost:8000",
                         "http://LOCALHOST",
                         "localhost",
                         "http://[::1]:8000",
                         "[::1]"};
    const char *no[] = {"https://dynamodb.us-east-1.amazonaws.com",
                        "http://127.example.com:8000", /* a name, not an address */
                        "http://127.0.0.1.nip.io",
                        "http://127.0.0:80",
                        "http://127.0.0.1000",
                        "http://127..0.1",
                        "http://localhost.example",
                        "http://10.0.0.1:8000",
                        "http://[::1]x",
                        "",
                        NULL};
    for (size_t i = 0; i < sizeof yes / sizeof yes[0]; i++)
        if (!ddb_url_is_loopback(yes[i])) fail_msg("not taken as loopback: %s", yes[i]);
    for (size_t i = 0; i < sizeof no / sizeof no[0]; i++)
        if (ddb_url_is_loopback(no[i])) fail_msg("taken as loopback: %s", no[i] ? no[i] : "NULL");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_env_credentials, setup, teardown),
        cmocka_unit_test_setup_teardown(test_env_beats_profile, setup, teardown),
        cmocka_unit_test_setup_teardown(test_half_env_names_missing_var, setup, teardown),
        cmocka_unit_test_setup_teardown(test_named_profile, setup, teardown),
        cmocka_unit_test_setup_teardown(test_default_profile, setup, teardown),
        cmocka_unit_test_setup_teardown(test_config_section_needs_profile_prefix, setup, teardown),
        cmocka_unit_test_setup_teardown(test_credentials_in_config_file, setup, teardown),
        cmocka_unit_test_setup_teardown(test_missing_profile, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unsupported_profile_kind, setup, teardown),
        cmocka_unit_test_setup_teardown(test_nothing_configured, setup, teardown),
        cmocka_unit_test_setup_teardown(test_loopback_endpoint_without_credentials, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_endpoint_precedence, setup, teardown),
        cmocka_unit_test_setup_teardown(test_region_precedence, setup, teardown),
        cmocka_unit_test_setup_teardown(test_errors_never_contain_secrets, setup, teardown),
        cmocka_unit_test(test_url_is_loopback),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
