/*
 * sha256.c - SHA-256 checksums of revision files, through OpenSSL's libcrypto. The digest
 * and a context are fetched once and reused: creating them per file cost more than
 * hashing a typical revision.
 */
#include <openssl/evp.h>
#include "internal.h"

static EVP_MD *sha256_md;
static EVP_MD_CTX *sha256_ctx;

int rt_sha256_hex(const void *data, size_t len, char out[65])
{
	static const char hex[] = "0123456789abcdef";
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;

	if (!sha256_md && !(sha256_md = EVP_MD_fetch(NULL, "SHA256", NULL)))
		return rt_error_set(RT_ERROR, "sha256 is not available from libcrypto");
	if (!sha256_ctx && !(sha256_ctx = EVP_MD_CTX_new()))
		return rt_error_set(RT_ENOMEM, "out of memory");
	if (!EVP_DigestInit_ex2(sha256_ctx, sha256_md, NULL) ||
	    !EVP_DigestUpdate(sha256_ctx, data, len) || !EVP_DigestFinal_ex(sha256_ctx, md, &mdlen) ||
	    mdlen != 32)
		return rt_error_set(RT_ERROR, "sha256 computation failed");
	for (unsigned int i = 0; i < 32; i++) {
		out[2 * i] = hex[md[i] >> 4];
		out[2 * i + 1] = hex[md[i] & 15];
	}
	out[64] = '\0';
	return 0;
}

void rt_library_cleanup(void)
{
	rt_secrets_clear();
	rt_error_clear();
	EVP_MD_CTX_free(sha256_ctx);
	EVP_MD_free(sha256_md);
	sha256_ctx = NULL;
	sha256_md = NULL;
}
