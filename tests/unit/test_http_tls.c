/* TLS verification of the HTTP engine against a loopback TLS stand-in (a
 * real cluster with a self-signed certificate is what the stand-in plays).
 * The certificate is generated at run time; nothing is committed.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <curl/curl.h>
#include <errno.h>
#include <netinet/in.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "err.h"
#include "http.h"
#include "log.h"
#include "loop_fixture.h"
#include "testutil.h"

/* ---- a self-signed certificate for IP 127.0.0.1 ------------------------- */

static void make_cert(EVP_PKEY **key_out, X509 **cert_out)
{
  EVP_PKEY *key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
  X509 *x = X509_new();
  X509_NAME *name;
  X509V3_CTX v3;
  X509_EXTENSION *ext;

  assert_non_null(key);
  assert_non_null(x);
  assert_int_equal(X509_set_version(x, 2), 1);
  ASN1_INTEGER_set(X509_get_serialNumber(x), (long)getpid());
  X509_gmtime_adj(X509_getm_notBefore(x), -3600);
  X509_gmtime_adj(X509_getm_notAfter(x), 86400);
  assert_int_equal(X509_set_pubkey(x, key), 1);
  name = X509_get_subject_name(x);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             (const unsigned char *)"snapmig test", -1, -1, 0);
  assert_int_equal(X509_set_issuer_name(x, name), 1);
  X509V3_set_ctx(&v3, x, x, NULL, NULL, 0);
  ext = X509V3_EXT_conf_nid(NULL, &v3, NID_subject_alt_name, "IP:127.0.0.1");
  assert_non_null(ext);
  X509_add_ext(x, ext, -1);
  X509_EXTENSION_free(ext);
  ext =
      X509V3_EXT_conf_nid(NULL, &v3, NID_basic_constraints, "critical,CA:TRUE");
  assert_non_null(ext);
  X509_add_ext(x, ext, -1);
  X509_EXTENSION_free(ext);
  assert_true(X509_sign(x, key, EVP_sha256()) > 0);
  *key_out = key;
  *cert_out = x;
}

/* ---- the TLS stand-in --------------------------------------------------- */

struct tlssrv {
  int listen_fd;
  int wake[2];
  int port;
  SSL_CTX *ctx;
  pthread_t thread;
  atomic_int served; /* requests answered */
  atomic_int handshakes_failed;
};

static void tls_serve_one(struct tlssrv *t, int fd)
{
  static const char reply[] = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n"
                              "Connection: close\r\n\r\nok";
  struct timeval tv = {5, 0};
  char buf[4096];
  size_t len = 0;
  SSL *s;

  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  s = SSL_new(t->ctx);
  if (s == NULL)
    return;
  SSL_set_fd(s, fd);
  if (SSL_accept(s) != 1) {
    atomic_fetch_add(&t->handshakes_failed, 1);
    SSL_free(s);
    return;
  }
  while (len < sizeof(buf) - 1) {
    int n = SSL_read(s, buf + len, (int)(sizeof(buf) - 1 - len));
    if (n <= 0)
      break;
    len += (size_t)n;
    buf[len] = '\0';
    if (strstr(buf, "\r\n\r\n") != NULL) {
      SSL_write(s, reply, (int)sizeof(reply) - 1);
      atomic_fetch_add(&t->served, 1);
      break;
    }
  }
  SSL_shutdown(s);
  SSL_free(s);
}

static void *tls_run(void *arg)
{
  struct tlssrv *t = arg;

  for (;;) {
    struct pollfd pfd[2] = {{t->wake[0], POLLIN, 0}, {t->listen_fd, POLLIN, 0}};
    int fd;

    if (poll(pfd, 2, -1) < 0) {
      if (errno == EINTR)
        continue;
      break;
    }
    if (pfd[0].revents != 0)
      break;
    fd = accept(t->listen_fd, NULL, NULL);
    if (fd < 0)
      continue;
    tls_serve_one(t, fd);
    close(fd);
  }
  return NULL;
}

static void tlssrv_start(struct tlssrv *t, EVP_PKEY *key, X509 *cert)
{
  struct sockaddr_in sa;
  socklen_t sl = sizeof(sa);

  memset(t, 0, sizeof(*t));
  t->ctx = SSL_CTX_new(TLS_server_method());
  assert_non_null(t->ctx);
  assert_int_equal(SSL_CTX_use_certificate(t->ctx, cert), 1);
  assert_int_equal(SSL_CTX_use_PrivateKey(t->ctx, key), 1);
  t->listen_fd = socket(AF_INET, SOCK_STREAM, 0);
  assert_true(t->listen_fd >= 0);
  memset(&sa, 0, sizeof(sa));
  sa.sin_family = AF_INET;
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  assert_int_equal(bind(t->listen_fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
  assert_int_equal(listen(t->listen_fd, 16), 0);
  assert_int_equal(getsockname(t->listen_fd, (struct sockaddr *)&sa, &sl), 0);
  t->port = ntohs(sa.sin_port);
  assert_int_equal(pipe(t->wake), 0);
  assert_int_equal(pthread_create(&t->thread, NULL, tls_run, t), 0);
}

static void tlssrv_stop(struct tlssrv *t)
{
  char b = 1;

  assert_int_equal(write(t->wake[1], &b, 1), 1);
  pthread_join(t->thread, NULL);
  close(t->listen_fd);
  close(t->wake[0]);
  close(t->wake[1]);
  SSL_CTX_free(t->ctx);
}

/* ---- the test ----------------------------------------------------------- */

struct result {
  int called;
  int code;
  long status;
  char msg[SNM_ERR_MSG_MAX];
};

static void on_done(struct snm_http_response *resp, const struct snm_err *err,
                    void *data)
{
  struct result *r = data;

  r->called++;
  r->code = err->code;
  r->status = resp != NULL ? resp->status : 0;
  snprintf(r->msg, sizeof(r->msg), "%s", err->msg);
}

/* Send one GET per request and run the loop until all are done. */
static void run_requests(const struct snm_http_request *reqs, size_t n,
                         struct result *res)
{
  struct snm_test_loop lp;
  struct snm_err err;

  snm_test_loop_init(&lp, NULL);
  for (size_t i = 0; i < n; i++)
    assert_int_equal(
        snm_http_send(lp.http, &reqs[i], on_done, &res[i], NULL, &err), 0);
  snm_test_loop_run(&lp);
  snm_test_loop_done(&lp);
}

static void test_tls_verification(void **state)
{
  EVP_PKEY *key;
  X509 *cert;
  struct tlssrv srv;
  char ca_path[] = "/tmp/snm-test-ca-XXXXXX";
  char url_ip[64], url_name[64];
  struct result res[6];
  struct snm_test_log log;
  FILE *fp;
  int fd;
  (void)state;

  make_cert(&key, &cert);
  fd = mkstemp(ca_path);
  assert_true(fd >= 0);
  fp = fdopen(fd, "w");
  assert_non_null(fp);
  assert_int_equal(PEM_write_X509(fp, cert), 1);
  fclose(fp);
  tlssrv_start(&srv, key, cert);
  snprintf(url_ip, sizeof(url_ip), "https://127.0.0.1:%d/", srv.port);
  /* the certificate names IP 127.0.0.1 only, not "localhost" */
  snprintf(url_name, sizeof(url_name), "https://localhost:%d/", srv.port);

  struct snm_http_request reqs[6] = {
      {.method = "GET", .url = url_ip, .max_attempts = 1, .label = "source"},
      {.method = "GET", .url = url_ip, .ca_file = ca_path, .label = "source"},
      {.method = "GET", .url = url_ip, .insecure = 1, .label = "source"},
      {.method = "GET",
       .url = url_name,
       .ca_file = ca_path,
       .max_attempts = 1,
       .label = "target"},
      {.method = "GET", .url = url_name, .insecure = 1, .label = "source"},
      {.method = "GET",
       .url = url_ip,
       .ca_file = "/nonexistent/ca.pem",
       .max_attempts = 1},
  };
  memset(res, 0, sizeof(res));
  snm_test_log_start(&log, SNM_LOG_WARN);
  run_requests(reqs, 6, res);
  snm_test_log_stop(&log);
  tlssrv_stop(&srv);

  /* verification on by default: the self-signed certificate is refused */
  assert_int_equal(res[0].code, SNM_ENET);
  assert_non_null(strstr(res[0].msg, "source: GET https://127.0.0.1:"));
  assert_non_null(strstr(res[0].msg, "certificate could not be verified"));
  assert_non_null(strstr(res[0].msg, "set the domain's ca_file"));
  assert_non_null(strstr(res[0].msg, "\"insecure\": true would skip"));
  /* trusted through ca_file */
  assert_int_equal(res[1].code, SNM_OK);
  assert_int_equal(res[1].status, 200);
  /* insecure skips verification */
  assert_int_equal(res[2].code, SNM_OK);
  assert_int_equal(res[2].status, 200);
  /* the host name is checked too, even with a trusted CA */
  assert_int_equal(res[3].code, SNM_ENET);
  assert_non_null(strstr(res[3].msg, "could not be verified"));
  assert_int_equal(res[4].code, SNM_OK);
  assert_int_equal(res[4].status, 200);
  /* a ca_file that cannot be read is a local error, named */
  assert_int_equal(res[5].code, SNM_EIO);
  assert_non_null(
      strstr(res[5].msg, ": cannot load ca_file /nonexistent/ca.pem"));
  assert_int_equal(atomic_load(&srv.served), 3);
  /* one warning per label, however many insecure requests */
  assert_non_null(
      strstr(log.text, "source: TLS certificate verification is off"));
  assert_null(strstr(strstr(log.text, "verification is off") + 1,
                     "verification is off"));

  free(log.text);
  unlink(ca_path);
  X509_free(cert);
  EVP_PKEY_free(key);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_tls_verification),
  };
  int rc;

  signal(SIGPIPE, SIG_IGN); /* as main.c: the stand-in writes to closed peers */
  curl_global_init(CURL_GLOBAL_DEFAULT);
  rc = cmocka_run_group_tests(tests, NULL, NULL);
  curl_global_cleanup();
  return rc;
}
