/* The folder ACL rule (ib_win_sd_trusted) on security descriptors built from SDDL strings, run
 * under Wine by tests/bats/hardening-windows.bats: Wine neither enforces nor fully reports NTFS
 * ACLs, so the rule is checked on descriptors as real Windows folders carry them. Prints TAP.
 * Built with mingw by the test, never shipped. */
#include "../../base/fs.h"

#include <windows.h>
#include <sddl.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The user the rule runs for; O:US below makes it the owner. */
#define USER_SID       L"S-1-5-21-1111111111-2222222222-3333333333-1001"
#define OTHER_SID      L"S-1-5-21-1111111111-2222222222-3333333333-1002"
#define OTHER_SID_UTF8 "S-1-5-21-1111111111-2222222222-3333333333-1002"

static const struct {
	const char *name;
	const wchar_t *sddl;
	int trusted;
	const char *why; /* a part of the reason when refused */
} cases[] = {
	{"SYSTEM and Administrators only", L"O:SYD:P(A;OICI;FA;;;SY)(A;OICI;FA;;;BA)", 1, NULL},
	{"owned by Administrators, users may read", L"O:BAD:P(A;OICI;FA;;;SY)(A;OICI;FA;;;BA)(A;OICI;FRFX;;;BU)", 1,
	 NULL},
	{"owned by TrustedInstaller", L"O:S-1-5-80-956008885-3418522649-1831038044-1853292631-2271478464D:(A;;FA;;;SY)",
	 1, NULL},
	{"the user's own folder", L"O:" USER_SID L"D:P(A;OICI;FA;;;SY)(A;OICI;FA;;;BA)(A;OICI;FA;;;" USER_SID L")", 1,
	 NULL},
	/* %SystemRoot%\Temp: Users may create files and folders (this folder and subfolders),
	 * CREATOR OWNER gets full control of what they create. */
	{"%SystemRoot%\\Temp", L"O:SYD:P(A;OICIIO;GA;;;CO)(A;OICI;FA;;;SY)(A;OICI;FA;;;BA)(A;CI;0x100026;;;BU)", 1,
	 NULL},
	/* C:\: Authenticated Users may add folders here and modify what lies below (inherit-only). */
	{"the system drive's root",
	 L"O:S-1-5-80-956008885-3418522649-1831038044-1853292631-2271478464D:(A;OICI;FA;;;SY)(A;OICI;FA;;;BA)"
	 L"(A;OICI;0x1200a9;;;BU)(A;;0x4;;;AU)(A;OICIIO;SDGXGWGR;;;AU)",
	 1, NULL},
	{"a deny ACE for Everyone", L"O:SYD:P(D;;FA;;;WD)(A;;FA;;;SY)", 1, NULL},
	/* C:\ProgramData: Users may write (add files and folders, attributes, EAs) here, which lets
	 * nobody rename or delete what another user made. */
	{"C:\\ProgramData",
	 L"O:SYD:P(A;OICI;FA;;;SY)(A;OICI;FA;;;BA)(A;OICIIO;GA;;;CO)(A;OICI;0x1200a9;;;BU)(A;CI;0x116;;;BU)", 1, NULL},
	{"Everyone: write", L"O:SYD:P(A;OICI;FA;;;SY)(A;OICI;FW;;;WD)", 1, NULL},
	{"Users: generic write", L"O:SYD:(A;;FA;;;SY)(A;;GW;;;BU)", 1, NULL},
	{"Everyone: modify", L"O:SYD:P(A;OICI;FA;;;SY)(A;OICI;0x1301bf;;;WD)", 0,
	 "Everyone (S-1-1-0) may rename, delete or re-permission"},
	{"Everyone: full control", L"O:SYD:(A;;FA;;;SY)(A;;FA;;;WD)", 0, "Everyone"},
	{"Everyone: generic all", L"O:SYD:(A;;FA;;;SY)(A;;GA;;;WD)", 0, "Everyone"},
	{"Users: modify", L"O:BAD:P(A;OICI;FA;;;BA)(A;OICI;SDGRGWGX;;;BU)", 0, "Users (S-1-5-32-545)"},
	{"Users: delete", L"O:BAD:P(A;OICI;FA;;;BA)(A;;SD;;;BU)", 0, "Users"},
	{"Users: take ownership", L"O:BAD:P(A;OICI;FA;;;BA)(A;;WO;;;BU)", 0, "Users"},
	{"Authenticated Users: delete child", L"O:BAD:(A;;FA;;;BA)(A;;0x40;;;AU)", 0, "Authenticated Users"},
	/* A folder made directly below C:\ inherits Modify for Authenticated Users. */
	{"a folder below C:\\", L"O:BAD:(A;ID;FA;;;SY)(A;ID;FA;;;BA)(A;ID;0x1200a9;;;BU)(A;ID;0x1301bf;;;AU)", 0,
	 "Authenticated Users (S-1-5-11)"},
	{"another user: change permissions", L"O:BAD:(A;;FA;;;BA)(A;;WD;;;" OTHER_SID L")", 0, OTHER_SID_UTF8},
	{"owned by another user", L"O:" OTHER_SID L"D:P(A;OICI;FA;;;SY)", 0, "owned by"},
	{"owned by Users", L"O:BUD:P(A;OICI;FA;;;SY)", 0, "owned by Users"},
};

/* A descriptor owned by SYSTEM whose DACL is NULL (present) or absent: built by hand, as Wine's
 * SDDL parser turns "D:NO_ACCESS_CONTROL" into an empty DACL, which grants nobody anything. */
static int null_dacl(PSID user, int present)
{
	SECURITY_DESCRIPTOR sd;
	PSID system = NULL;
	char why[256] = "";
	int got;

	if (!ConvertStringSidToSidW(L"S-1-5-18", &system) ||
	    !InitializeSecurityDescriptor(&sd, SECURITY_DESCRIPTOR_REVISION) ||
	    !SetSecurityDescriptorOwner(&sd, system, FALSE) ||
	    (present && !SetSecurityDescriptorDacl(&sd, TRUE, NULL, FALSE)))
		return -1;
	got = ib_win_sd_trusted(&sd, user, why, sizeof(why));
	LocalFree(system);
	return !got && strstr(why, "NULL DACL");
}

int main(void)
{
	PSID user = NULL;
	int failed = 0;

	if (!ConvertStringSidToSidW(USER_SID, &user)) {
		printf("Bail out! cannot build the user SID\n");
		return 1;
	}
	printf("1..%u\n", (unsigned)(sizeof(cases) / sizeof(cases[0])) + 2);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		PSECURITY_DESCRIPTOR sd = NULL;
		char why[256] = "";
		int got, ok;

		if (!ConvertStringSecurityDescriptorToSecurityDescriptorW(cases[i].sddl, SDDL_REVISION_1, &sd, NULL)) {
			printf("not ok %zu - %s: SDDL not accepted (error %lu)\n", i + 1, cases[i].name,
			       (unsigned long)GetLastError());
			failed++;
			continue;
		}
		got = ib_win_sd_trusted(sd, user, why, sizeof(why));
		ok = got == cases[i].trusted && (!cases[i].why || strstr(why, cases[i].why));
		printf("%s %zu - %s: %s%s%s\n", ok ? "ok" : "not ok", i + 1, cases[i].name, got ? "trusted" : "refused",
		       got ? "" : ": ", why);
		failed += !ok;
		LocalFree(sd);
	}
	for (int present = 1; present >= 0; present--) {
		int ok = null_dacl(user, present) == 1;

		printf("%s %zu - %s: refused as a NULL DACL\n", ok ? "ok" : "not ok",
		       sizeof(cases) / sizeof(cases[0]) + 2 - (size_t)present,
		       present ? "a NULL DACL" : "no DACL at all");
		failed += !ok;
	}
	LocalFree(user);
	return failed != 0;
}
