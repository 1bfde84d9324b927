/*
 * A tiny mosquitto 2.0 plugin used only by tools/vectors/capture.mjs, for two things stock
 * mosquitto 2.0.11 cannot be configured to do:
 *
 *  - MQTT 5 enhanced authentication, so that mosquitto puts AUTH packets on the wire (without
 *    a plugin it answers every Authentication Method with CONNACK 0x8C and never sends AUTH);
 *  - denying SUBSCRIBE and UNSUBSCRIBE by topic, so that SUBACK/UNSUBACK carry failure codes
 *    (0x80, 0x87): the acl_file checker of 2.0.11 allows every subscription ("FIXME - implement
 *    ACL subscription strings" in src/security_default.c).
 *
 * capture.mjs compiles it into its temporary directory:
 *
 *   gcc -shared -fPIC -o wren_test_plugin.so tools/vectors/wren_test_plugin.c
 *
 * The declarations below are copied from mosquitto 2.0.11's include/mosquitto_broker.h,
 * mosquitto_plugin.h and mosquitto.h (plugin interface version 5), so the mosquitto-dev
 * headers are not needed.
 *
 * ACL: every access (publish, delivery, subscribe, unsubscribe) to a topic or filter starting
 * with "secret/" is denied; everything else is allowed.
 *
 * Enhanced authentication, by Authentication Method:
 *   "WREN-CHALLENGE"  start (CONNECT, or AUTH 0x19 re-authenticate): data "hello" ->
 *                     AUTH 0x18 with data "challenge"; other data -> not authorized.
 *                     continue (AUTH 0x18): data "response" -> success with data "welcome"
 *                     (CONNACK 0x00, or AUTH 0x00 after a re-authentication).
 *   "WREN-PLAIN"      start: success at once, no data (CONNACK carries only the method).
 *   "WREN-DENY"       start: not authorized (CONNACK 0x87).
 *   anything else     deferred, so mosquitto answers CONNACK 0x8C Bad authentication method.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

struct mosquitto;
typedef struct mosquitto_plugin_id_t mosquitto_plugin_id_t;
struct mosquitto_opt { char *key; char *value; };

enum { MOSQ_EVT_ACL_CHECK = 2, MOSQ_EVT_EXT_AUTH_START = 4, MOSQ_EVT_EXT_AUTH_CONTINUE = 5 };
enum {
  MOSQ_ERR_AUTH_CONTINUE = -4,
  MOSQ_ERR_SUCCESS = 0,
  MOSQ_ERR_AUTH = 11,
  MOSQ_ERR_ACL_DENIED = 12,
  MOSQ_ERR_PLUGIN_DEFER = 17,
};

struct mosquitto_evt_extended_auth {
  void *future;
  struct mosquitto *client;
  const void *data_in;
  void *data_out;
  uint16_t data_in_len;
  uint16_t data_out_len;
  const char *auth_method;
  void *future2[3];
};

struct mosquitto_evt_acl_check {
  void *future;
  struct mosquitto *client;
  const char *topic;
  const void *payload;
  void *properties;
  int access;
  uint32_t payloadlen;
  uint8_t qos;
  bool retain;
  void *future2[4];
};

typedef int (*MOSQ_FUNC_generic_callback)(int, void *, void *);
int mosquitto_callback_register(mosquitto_plugin_id_t *identifier, int event,
                                MOSQ_FUNC_generic_callback cb_func, const void *event_data,
                                void *userdata);
int mosquitto_callback_unregister(mosquitto_plugin_id_t *identifier, int event,
                                  MOSQ_FUNC_generic_callback cb_func, const void *event_data);

static mosquitto_plugin_id_t *plugin_id;

static int data_is(const struct mosquitto_evt_extended_auth *ed, const char *text) {
  size_t n = strlen(text);
  return ed->data_in_len == n && (n == 0 || memcmp(ed->data_in, text, n) == 0);
}

/* mosquitto frees data_out with free(). */
static void reply(struct mosquitto_evt_extended_auth *ed, const char *text) {
  size_t n = strlen(text);
  ed->data_out = malloc(n);
  if (ed->data_out) {
    memcpy(ed->data_out, text, n);
    ed->data_out_len = (uint16_t)n;
  }
}

static int on_start(int event, void *event_data, void *userdata) {
  struct mosquitto_evt_extended_auth *ed = event_data;
  (void)event; (void)userdata;
  if (ed->auth_method == NULL) return MOSQ_ERR_PLUGIN_DEFER;
  if (strcmp(ed->auth_method, "WREN-CHALLENGE") == 0) {
    if (!data_is(ed, "hello")) return MOSQ_ERR_AUTH;
    reply(ed, "challenge");
    return MOSQ_ERR_AUTH_CONTINUE;
  }
  if (strcmp(ed->auth_method, "WREN-PLAIN") == 0) return MOSQ_ERR_SUCCESS;
  if (strcmp(ed->auth_method, "WREN-DENY") == 0) return MOSQ_ERR_AUTH;
  return MOSQ_ERR_PLUGIN_DEFER;
}

static int on_continue(int event, void *event_data, void *userdata) {
  struct mosquitto_evt_extended_auth *ed = event_data;
  (void)event; (void)userdata;
  /* mosquitto 2.0.11 leaves auth_method NULL for this event; only "WREN-CHALLENGE" ever
   * continues (see on_start), so the method need not be checked. */
  if (!data_is(ed, "response")) return MOSQ_ERR_AUTH;
  reply(ed, "welcome");
  return MOSQ_ERR_SUCCESS;
}

static int on_acl_check(int event, void *event_data, void *userdata) {
  struct mosquitto_evt_acl_check *ed = event_data;
  (void)event; (void)userdata;
  if (ed->topic && strncmp(ed->topic, "secret/", 7) == 0) return MOSQ_ERR_ACL_DENIED;
  return MOSQ_ERR_SUCCESS;
}

int mosquitto_plugin_version(int supported_version_count, const int *supported_versions) {
  (void)supported_version_count; (void)supported_versions;
  return 5;
}

int mosquitto_plugin_init(mosquitto_plugin_id_t *identifier, void **userdata,
                          struct mosquitto_opt *options, int option_count) {
  (void)userdata; (void)options; (void)option_count;
  plugin_id = identifier;
  if (mosquitto_callback_register(plugin_id, MOSQ_EVT_ACL_CHECK, on_acl_check, NULL, NULL)) return 1;
  if (mosquitto_callback_register(plugin_id, MOSQ_EVT_EXT_AUTH_START, on_start, NULL, NULL)) return 1;
  return mosquitto_callback_register(plugin_id, MOSQ_EVT_EXT_AUTH_CONTINUE, on_continue, NULL, NULL);
}

int mosquitto_plugin_cleanup(void *userdata, struct mosquitto_opt *options, int option_count) {
  (void)userdata; (void)options; (void)option_count;
  mosquitto_callback_unregister(plugin_id, MOSQ_EVT_ACL_CHECK, on_acl_check, NULL);
  mosquitto_callback_unregister(plugin_id, MOSQ_EVT_EXT_AUTH_START, on_start, NULL);
  mosquitto_callback_unregister(plugin_id, MOSQ_EVT_EXT_AUTH_CONTINUE, on_continue, NULL);
  return 0;
}
