/* The handler's documents: the agent's settings file in, the status file out. Both parse or
 * produce JSON only; files and logging stay in extension.c. */
#include "extension.h"

#include "../base/err.h"
#include "../base/util.h"
#include "../policy/match.h"

#include <cjson/cJSON.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Copies text into out as one line of valid UTF-8 of at most size - 1 bytes: control
 * characters become spaces and bytes that are not UTF-8 become '?', so every status file
 * parses (the agent reads them as UTF-8 JSON) and every status line stays one line. */
void ext_clean_text(const char *text, char *out, size_t size)
{
	const unsigned char *s = (const unsigned char *)text;
	size_t o = 0;

	while (*s && o + 1 < size) {
		size_t n = *s < 0x80             ? 1
			   : (*s & 0xe0) == 0xc0 ? 2
			   : (*s & 0xf0) == 0xe0 ? 3
			   : (*s & 0xf8) == 0xf0 ? 4
						 : 0;
		size_t i;

		for (i = 1; n && i < n; i++)
			if ((s[i] & 0xc0) != 0x80)
				n = 0;
		/* What a strict decoder (the agent's) refuses: overlong forms, UTF-16 surrogates and
		 * code points past U+10FFFF. */
		if ((n == 2 && *s < 0xc2) || (n == 3 && *s == 0xe0 && s[1] < 0xa0) ||
		    (n == 3 && *s == 0xed && s[1] >= 0xa0) || (n == 4 && *s == 0xf0 && s[1] < 0x90) ||
		    (n == 4 && (*s > 0xf4 || (*s == 0xf4 && s[1] >= 0x90))))
			n = 0;
		if (n == 0 || o + n >= size) {
			if (n && o + n >= size)
				break;
			out[o++] = '?';
			s++;
			continue;
		}
		if (n == 1 && (*s < 0x20 || *s == 0x7f)) {
			out[o++] = ' ';
			s++;
			continue;
		}
		memcpy(out + o, s, n);
		o += n;
		s += n;
	}
	out[o] = '\0';
}

static int setting_error(const char *key, const char *what)
{
	return ib_fail(IB_E_USAGE,
		       "public settings: '%s' %s (documented settings: package, timeout, "
		       "allowDowngrade, reinstall, os, nic)",
		       key, what);
}

static int apply_setting(struct stub_opts *o, struct ext_settings *x, const cJSON *v)
{
	const char *key = v->string;

	if (!strcmp(key, "package")) {
		if (!cJSON_IsString(v) || ib_snprintf(x->package, sizeof(x->package), "%s", v->valuestring) ||
		    !x->package[0])
			return setting_error(key, "must be a package id of this bundle");
		o->force_package = x->package;
	} else if (!strcmp(key, "timeout")) {
		double d = cJSON_IsNumber(v) ? v->valuedouble : 0;

		if (d < 1 || d > IB_TIMEOUT_MAX || d != (double)(long)d)
			return setting_error(key, "must be a whole number of seconds from 1 to 604800");
		o->timeout = (long)d;
	} else if (!strcmp(key, "allowDowngrade")) {
		if (!cJSON_IsBool(v))
			return setting_error(key, "must be true or false");
		/* The rollback rule: a bundle older (lower sequence) than the one installed before is
		 * refused (exit 15) unless this is true, as with --allow-downgrade. */
		o->allow_downgrade = cJSON_IsTrue(v);
	} else if (!strcmp(key, "reinstall")) {
		if (!cJSON_IsBool(v))
			return setting_error(key, "must be true or false");
		/* A new settings sequence alone finds the bundle installed and runs nothing. */
		o->reinstall = cJSON_IsTrue(v);
	} else if (!strcmp(key, "os")) {
		if (!cJSON_IsString(v) || ib_snprintf(x->os, sizeof(x->os), "%s", v->valuestring) || !x->os[0])
			return setting_error(key, "must be an OS token such as \"ubuntu-22.04\"");
		o->os_override = x->os;
	} else if (!strcmp(key, "nic")) {
		const cJSON *e;
		size_t n = 0;

		if (!cJSON_IsArray(v) || cJSON_GetArraySize(v) < 1 || cJSON_GetArraySize(v) > STUB_MAX_NICS)
			return setting_error(key, "must be an array of 1 to 16 NIC tokens");
		cJSON_ArrayForEach (e, v) {
			if (!cJSON_IsString(e) || !ib_nic_token_known(e->valuestring))
				return setting_error(key, "holds an unknown NIC token (known: cx3, cx3pro, cib, cx4, "
							  "cx4lx, cx5, cx5ex, cx6, cx6dx, cx6lx, cx7, nd)");
			snprintf(x->nics[n], sizeof(x->nics[n]), "%s", e->valuestring);
			o->nic_override[n] = x->nics[n];
			n++;
		}
		o->n_nic_override = n;
	} else {
		return setting_error(key, "is not a setting of this handler");
	}
	return 0;
}

int ext_settings_apply(struct stub_opts *o, struct ext_settings *x, const char *text, size_t len,
		       struct ext_settings_report *rep)
{
	const cJSON *hs, *pub, *prot, *v;
	cJSON *doc;
	int rc = 0;

	memset(rep, 0, sizeof(*rep));
	if (strspn(text, " \t\r\n") == len)
		return 0; /* the agents' empty settings file */
	doc = cJSON_ParseWithLength(text, len);
	v = cJSON_GetObjectItemCaseSensitive(doc, "runtimeSettings");
	hs = cJSON_GetObjectItemCaseSensitive(cJSON_IsArray(v) ? cJSON_GetArrayItem(v, 0) : NULL, "handlerSettings");
	if (!cJSON_IsObject(doc) || !cJSON_IsArray(v) || !(cJSON_IsObject(hs) || !hs)) {
		cJSON_Delete(doc);
		return IB_E_FORMAT;
	}
	prot = cJSON_GetObjectItemCaseSensitive(hs, "protectedSettings");
	rep->protected_ignored = prot && !cJSON_IsNull(prot) && !(cJSON_IsString(prot) && !prot->valuestring[0]);
	pub = cJSON_GetObjectItemCaseSensitive(hs, "publicSettings");
	if (pub && !cJSON_IsNull(pub) && !cJSON_IsObject(pub))
		rc = ib_fail(IB_E_USAGE, "public settings must be a JSON object");
	else if (cJSON_IsObject(pub)) {
		cJSON_ArrayForEach (v, pub) {
			if ((rc = apply_setting(o, x, v)))
				break;
		}
	}
	if (!rc && cJSON_GetArraySize(pub) > 0) {
		char *shown = cJSON_PrintUnformatted(pub);

		snprintf(rep->public_shown, sizeof(rep->public_shown), "%s", shown ? shown : "?");
		free(shown);
	}
	cJSON_Delete(doc);
	return rc;
}

static void add_message(cJSON *o, const char *text, size_t max)
{
	char clean[EXT_DETAIL_MAX];
	cJSON *fm = cJSON_AddObjectToObject(o, "formattedMessage");

	ext_clean_text(text, clean, max < sizeof(clean) ? max : sizeof(clean));
	cJSON_AddStringToObject(fm, "lang", "en-US");
	cJSON_AddStringToObject(fm, "message", clean);
}

char *ext_status_text(const struct ext_status *s, int64_t now)
{
	cJSON *doc = cJSON_CreateArray(), *e = cJSON_CreateObject(), *st;
	char ts[32], *text;

	ib_format_utc(now, ts, sizeof(ts));
	cJSON_AddItemToArray(doc, e);
	/* The schema's version is the number 1.0, which cJSON would print as 1. */
	cJSON_AddRawToObject(e, "version", "1.0");
	cJSON_AddStringToObject(e, "timestampUTC", ts);
	st = cJSON_AddObjectToObject(e, "status");
	cJSON_AddStringToObject(st, "name", s->name);
	cJSON_AddStringToObject(st, "operation", s->operation);
	cJSON_AddStringToObject(st, "status", s->status);
	cJSON_AddNumberToObject(st, "code", s->code);
	add_message(st, s->message, EXT_MESSAGE_MAX);
	if (s->detail) {
		cJSON *sub = cJSON_CreateObject();

		cJSON_AddStringToObject(sub, "name", "driver");
		cJSON_AddStringToObject(sub, "status", s->status);
		cJSON_AddNumberToObject(sub, "code", s->code);
		add_message(sub, s->detail, EXT_DETAIL_MAX);
		cJSON_AddItemToArray(cJSON_AddArrayToObject(st, "substatus"), sub);
	}
	text = cJSON_Print(doc);
	cJSON_Delete(doc);
	return text;
}
