/* plan_fixture.c - see plan_fixture.h. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "err.h"
#include "plan_fixture.h"

/* Hand the diagnostics to the caller, or drop them. */
static void keep_diags(struct snm_diag_list *d, struct snm_diag_list *out)
{
  if (out != NULL)
    *out = *d;
  else
    snm_diag_list_dispose(d);
}

static struct snm_plan *parse_named(const char *text, size_t len,
                                    const char *name,
                                    struct snm_diag_list *diags)
{
  struct snm_diag_list d;
  struct snm_plan *p = NULL;
  struct snm_err err;

  snm_diag_list_init(&d);
  snm_err_clear(&err);
  if (snm_plan_parse(&p, text, len, name, &d, &err) != 0) {
    snm_diag_list_print(stderr, name, &d, 0);
    snm_diag_list_dispose(&d);
    fail_msg("%s does not parse%s%s (diagnostics above):\n%s", name,
             err.msg[0] != '\0' ? ": " : "", err.msg, text);
  }
  keep_diags(&d, diags);
  return p;
}

struct snm_plan *snm_test_plan_parse(const char *text,
                                     struct snm_diag_list *diags)
{
  return parse_named(text, strlen(text), "test.json", diags);
}

struct snm_plan *snm_test_plan_parsef(const char *fmt, ...)
{
  struct snm_plan *p;
  struct snm_buf b;
  va_list ap;

  snm_buf_init(&b, 0);
  va_start(ap, fmt);
  assert_int_equal(snm_buf_vprintf(&b, fmt, ap), 0);
  va_end(ap);
  p = parse_named(snm_buf_str(&b), b.len, "test.json", NULL);
  snm_buf_dispose(&b);
  return p;
}

struct snm_plan *snm_test_plan_src_dst(const char *src_endpoint,
                                       const char *src_auth)
{
  return snm_test_plan_parsef(
      "{\"snapmig\": 1, \"name\": \"t\",\n"
      " \"domains\": {\n"
      "  \"src\": {\"endpoint\": \"%s\"%s%s},\n"
      "  \"dst\": {\"endpoint\": \"http://127.0.0.1:1\"}},\n"
      " \"repository\": {\"name\": \"r\", \"type\": \"fs\",\n"
      "                \"settings\": {\"location\": \"/x\"}},\n"
      " \"snapshot\": {\"domain\": \"src\"},\n"
      " \"restores\": [{\"domain\": \"dst\"}]}\n",
      src_endpoint, src_auth != NULL ? ", \"auth\": " : "",
      src_auth != NULL ? src_auth : "");
}

char *snm_test_source_path(const char *rel)
{
  const char *src = getenv("SNM_SOURCE_DIR");
  struct snm_buf b;

  if (src == NULL)
    fail_msg("SNM_SOURCE_DIR is not set (run the test through ctest)");
  snm_buf_init(&b, 0);
  assert_int_equal(snm_buf_printf(&b, "%s/%s", src, rel), 0);
  return snm_buf_steal(&b);
}

struct snm_plan *snm_test_plan_load(const char *rel,
                                    struct snm_diag_list *diags)
{
  char *path = snm_test_source_path(rel);
  struct snm_diag_list d;
  struct snm_plan *p = NULL;
  struct snm_err err;

  snm_diag_list_init(&d);
  snm_err_clear(&err);
  if (snm_plan_load(&p, path, &d, &err) != 0) {
    char name[512];

    snm_diag_list_print(stderr, path, &d, 0);
    snm_diag_list_dispose(&d);
    snprintf(name, sizeof(name), "%s", path);
    free(path);
    fail_msg("%s does not load%s%s (diagnostics above)", name,
             err.msg[0] != '\0' ? ": " : "", err.msg);
  }
  free(path);
  keep_diags(&d, diags);
  return p;
}
